/**
 * The streaming content path, end to end (issue 3):
 *  - CLI round trips at every chunk boundary, for definite DER (a regular file) and indefinite BER
 *    (a pipe on standard input), and in batch mode (--out-dir);
 *  - openssl's messages, definite and `-stream` (indefinite, 4 KiB segments), decrypted by p7m, and
 *    p7m's messages of 50 MB, streamed and definite, decrypted by `openssl cms -decrypt`;
 *  - constructed OCTET STRINGs with segments from 1 byte to 1 MiB (p7m's ciphertext re-framed by a
 *    small BER writer below), nested, definite and indefinite;
 *  - a late failure (the last block's padding): exit 1, no output file, no temp file, an existing
 *    output untouched;
 *  - encryptStream / decryptStream in pipeline();
 *  - the progress bar, forced with --progress off a terminal, and off otherwise.
 * Needs `npm run build` (the CLI runs from dist/). The openssl cases are skipped without openssl.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decrypt, decryptStream, encrypt, encryptStream } from '../src/index.js';
import { READ_CHUNK, openInputFile } from '../src/cli/io.js';
import { DEMO, demo } from './helpers/demo.js';
import { CLI, OPENSSL_VERSION, type RunResult, explain, opensslOk, p7m, run } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('p7m-stream-');
after(() => tmp.remove());
const noOpenssl = OPENSSL_VERSION === null ? 'openssl is not installed' : false;
const hasScript = process.platform === 'linux' && spawnSync('script', ['-qec', 'true', '/dev/null']).status === 0;

const MiB = 1 << 20;
/** The chunk size of the issue: the CLI's read size is 1 MiB or a divisor of it. */
const C = MiB;
const PIPE_SIZES = [0, 1, 15, 16, 17, C - 1, C, C + 1, 3 * C + 5];
/** Files also at the CLI's read size (pipes arrive in pieces the kernel chooses). */
const SIZES = [...new Set([...PIPE_SIZES, READ_CHUNK - 1, READ_CHUNK + 1])].sort((a, b) => a - b);

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
async function shaFile(f: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(f)) h.update(c as Buffer);
  return h.digest('hex');
}

const KEY = ['--key', DEMO.bobKey, '--cert', DEMO.bob] as const;
const contents = new Map<number, Buffer>();
const inputOf = (n: number): string => tmp.join('in', `c${n}.bin`);

before(() => {
  mkdirSync(tmp.join('in'));
  for (const n of SIZES) {
    const b = randomBytes(n);
    contents.set(n, b);
    writeFileSync(inputOf(n), b);
  }
});

/** The first octets say which framing was written: 30 80 indefinite, 30 8x definite. */
const isIndefinite = (msg: Uint8Array): boolean => msg[0] === 0x30 && msg[1] === 0x80;

// ---------------------------------------------------------------------------------------------

describe('CLI round trips across chunk boundaries', { concurrency: 2 }, () => {
  it(`definite: regular files, batch and -o (sizes ${SIZES.join(', ')})`, async () => {
    const enc = tmp.join('def-enc');
    const dec = tmp.join('def-dec');
    mkdirSync(enc); mkdirSync(dec);
    const e = await p7m(['encrypt', '-r', DEMO.bob, '--out-dir', enc, ...SIZES.map(inputOf)]);
    assert.equal(e.status, 0, explain(e));
    assert.equal(e.stderr, `p7m: ${SIZES.length} encrypted, 0 failed\n`);
    for (const n of SIZES) assert.ok(!isIndefinite(readFileSync(tmp.join('def-enc', `c${n}.bin.p7m`))), `size ${n}: definite DER expected`);
    const d = await p7m(['decrypt', ...KEY, '--out-dir', dec, ...SIZES.map((n) => tmp.join('def-enc', `c${n}.bin.p7m`))]);
    assert.equal(d.status, 0, explain(d));
    assert.equal(d.stderr, `p7m: ${SIZES.length} decrypted, 0 failed\n`);
    for (const n of SIZES) assert.equal(sha(readFileSync(tmp.join('def-dec', `c${n}.bin`))), sha(contents.get(n)!), `size ${n}`);
    // The single-file path (-o) for the largest.
    const big = SIZES[SIZES.length - 1]!;
    const one = tmp.join('def-one.p7m');
    const r1 = await p7m(['encrypt', inputOf(big), '-r', DEMO.bob, '-o', one]);
    assert.equal(r1.status, 0, explain(r1));
    const r2 = await p7m(['decrypt', one, ...KEY, '-o', tmp.join('def-one.out')]);
    assert.equal(r2.status, 0, explain(r2));
    assert.equal(await shaFile(tmp.join('def-one.out')), sha(contents.get(big)!));
  });

  for (const n of PIPE_SIZES) {
    it(`indefinite: ${n} bytes through pipes, encrypt and decrypt`, async () => {
      const e = await p7m(['encrypt', '-r', DEMO.bob], { stdin: { file: inputOf(n) } });
      assert.equal(e.status, 0, explain(e));
      assert.ok(isIndefinite(e.stdout), 'indefinite BER expected from a pipe');
      const d = await p7m(['decrypt', ...KEY], { stdin: e.stdout });
      assert.equal(d.status, 0, explain(d));
      assert.equal(d.stdout.length, n);
      assert.equal(sha(d.stdout), sha(contents.get(n)!));
    });
  }
});

describe('the CLI input reader', { skip: process.platform === 'linux' ? false : 'counts open descriptors in /proc/self/fd' }, () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

  it('reads a regular file in pieces of READ_CHUNK, from the first call on, and closes it at the end', async () => {
    const n = 3 * C + 5;
    const before = openFds();
    const input = openInputFile(inputOf(n));
    const reader = input.borrowed(); // starts reading now
    await settle();
    assert.equal(openFds(), before + 1, 'the file is open before the first piece is asked for');
    const h = createHash('sha256');
    const sizes: number[] = [];
    for await (const c of reader) { h.update(c); sizes.push(c.length); }
    assert.equal(h.digest('hex'), sha(contents.get(n)!));
    assert.deepEqual(sizes, [READ_CHUNK, READ_CHUNK, READ_CHUNK, 5]);
    assert.equal(openFds(), before, 'closed after the last piece');
    await reader.release(); // again: nothing to do
    assert.equal(openFds(), before);
  });

  it('release() before reading (a command whose set-up failed) closes the file; the reader is then empty of work', async () => {
    const before = openFds();
    const reader = openInputFile(inputOf(C + 1)).borrowed();
    await reader.release();
    assert.equal(openFds(), before);
  });

  it('a file that cannot be opened fails when read, with the file named', async () => {
    const f = tmp.join('in', 'vanishing.bin');
    writeFileSync(f, 'x');
    const input = openInputFile(f); // stat sees it
    spawnSync('rm', [f]);
    const reader = input.borrowed();
    await assert.rejects(async () => { for await (const _ of reader) { /* nothing */ } }, (e: Error) => /cannot read .*vanishing\.bin: no such file or directory/.test(e.message));
  });
});

describe('the CLI gives written memory back (src/cli/reclaim.ts)', () => {
  it('a file sink frees each written batch of large whole buffers at once; slices, small and shared buffers are left alone', async () => {
    const { FileSink } = await import('../src/io/sink.js');
    const { reclaimer, reclaiming } = await import('../src/cli/reclaim.js');
    const file = tmp.join('reclaim.bin');
    const sink = await FileSink.create(file);
    const out = reclaiming(sink, reclaimer(null));
    const big = [0, 1, 2].map((i) => Buffer.alloc(MiB, i + 1)); // own their ArrayBuffers
    const small = Buffer.alloc(1000, 9);
    const shared = new Uint8Array(2 * MiB).fill(7);
    const slice = shared.subarray(0, MiB); // a view of a larger buffer
    const expected = Buffer.concat([big[0]!, small, slice, big[1]!, big[2]!]);
    for (const c of [big[0]!, small, slice, big[1]!, big[2]!]) await out.write(c);
    await out.commit();
    assert.ok(readFileSync(file).equals(expected), 'the file holds every byte written');
    for (const b of big) assert.equal(b.byteLength, 0, 'a written 1 MiB buffer is released (detached)');
    assert.equal(small.byteLength, 1000);
    assert.equal(slice.byteLength, MiB);
    assert.equal(shared[0], 7, 'the buffer a slice belongs to is untouched');
  });
});

describe('openssl interoperability on large content', { skip: noOpenssl, concurrency: 2 }, () => {
  const big = 3 * C + 5;
  for (const stream of [false, true]) {
    it(`openssl cms -encrypt${stream ? ' -stream (indefinite)' : ' (definite)'} → p7m decrypt, file and pipe`, async () => {
      const msg = tmp.join(`openssl-${stream}.p7m`);
      await opensslOk(['cms', '-encrypt', '-binary', '-aes256', ...(stream ? ['-stream'] : []), '-in', inputOf(big), '-outform', 'DER', '-out', msg, DEMO.bob]);
      assert.equal(isIndefinite(readFileSync(msg)), stream);
      const out = tmp.join(`openssl-${stream}.out`);
      const r = await p7m(['decrypt', msg, ...KEY, '-o', out]);
      assert.equal(r.status, 0, explain(r));
      assert.equal(await shaFile(out), sha(contents.get(big)!));
      const p = await p7m(['decrypt', '--key', DEMO.bobKey], { stdin: { file: msg } });
      assert.equal(p.status, 0, explain(p));
      assert.equal(sha(p.stdout), sha(contents.get(big)!));
    });
  }

  it('p7m encrypt of 50 MB, streamed from a pipe and from a file → openssl cms -decrypt', async () => {
    const content = randomBytes(50_000_000);
    const input = tmp.join('fifty.bin');
    writeFileSync(input, content);
    const want = sha(content);
    for (const viaPipe of [true, false]) {
      const msg = tmp.join(`fifty-${viaPipe}.p7m`);
      const r = viaPipe
        ? await p7m(['encrypt', '-r', DEMO.bob, '-o', msg], { stdin: { file: input } })
        : await p7m(['encrypt', input, '-r', DEMO.bob, '-o', msg]);
      assert.equal(r.status, 0, explain(r));
      const head = readFileSync(msg).subarray(0, 2);
      assert.equal(isIndefinite(head), viaPipe);
      const out = tmp.join(`fifty-${viaPipe}.out`);
      await opensslOk(['cms', '-decrypt', '-inform', 'DER', '-binary', '-in', msg, '-inkey', DEMO.bobKey, '-recip', DEMO.bob, '-out', out]);
      assert.equal(await shaFile(out), want, viaPipe ? 'streamed' : 'definite');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// A tiny BER writer: p7m's ciphertext re-framed as a constructed OCTET STRING of s-byte segments.

interface Tlv { tag: number; start: number; body: number; end: number }
/** One definite-length TLV of a DER message at `at`. */
function tlvAt(b: Uint8Array, at: number): Tlv {
  let len = b[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i]!;
    body += n;
  }
  return { tag: b[at]!, start: at, body, end: body + len };
}
function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}
const cat = (parts: Uint8Array[]): Buffer => Buffer.concat(parts);
const definite = (tag: number, parts: Uint8Array[]): Buffer => { const b = cat(parts); return cat([Uint8Array.of(tag, ...lengthOctets(b.length)), b]); };
const indefinite = (tag: number, parts: Uint8Array[]): Buffer => cat([Uint8Array.of(tag, 0x80), ...parts, Uint8Array.of(0, 0)]);

/**
 * Rewrites a definite p7m message (ContentInfo → EnvelopedData → EncryptedContentInfo with a primitive
 * [0]) so that its ciphertext is a constructed [0] of `segment`-byte OCTET STRINGs, `nest` of them
 * inside each inner constructed OCTET STRING when given, with definite or indefinite lengths.
 */
function reframe(msg: Uint8Array, opts: { segment: number; lengths: 'definite' | 'indefinite'; nest?: number }): Buffer {
  const ci = tlvAt(msg, 0);
  const oid = tlvAt(msg, ci.body);
  const explicit = tlvAt(msg, oid.end);
  const ed = tlvAt(msg, explicit.body);
  const version = tlvAt(msg, ed.body);
  const ris = tlvAt(msg, version.end);
  const eci = tlvAt(msg, ris.end);
  const ctype = tlvAt(msg, eci.body);
  const alg = tlvAt(msg, ctype.end);
  const ec = tlvAt(msg, alg.end);
  assert.equal(ec.tag, 0x80, 'a primitive encryptedContent');
  const raw = (t: Tlv): Uint8Array => msg.subarray(t.start, t.end);
  const ciphertext = msg.subarray(ec.body, ec.end);
  const wrap = opts.lengths === 'definite' ? definite : indefinite;
  let segs: Buffer[] = [];
  for (let at = 0; at < ciphertext.length; at += opts.segment) segs.push(definite(0x04, [ciphertext.subarray(at, at + opts.segment)]));
  if (opts.nest) {
    const groups: Buffer[] = [];
    for (let i = 0; i < segs.length; i += opts.nest) groups.push(wrap(0x24, segs.slice(i, i + opts.nest)));
    segs = groups;
  }
  const content = wrap(0xa0, segs);
  return wrap(0x30, [raw(oid), wrap(0xa0, [wrap(0x30, [raw(version), raw(ris), wrap(0x30, [raw(ctype), raw(alg), content])])])]);
}

describe('constructed OCTET STRING content, segments of 1 byte to 1 MiB', () => {
  const small = randomBytes(40_000 + 3);
  const large = randomBytes(3 * MiB + 5);
  let smallMsg: Uint8Array;
  let largeMsg: Uint8Array;
  before(async () => {
    smallMsg = await encrypt(small, { recipients: [demo('bob')] });
    largeMsg = await encrypt(large, { recipients: [demo('bob')] });
  });
  const keyOpts = { key: demo('bobKey'), certificate: demo('bob') };
  const cases: { segment: number; lengths: 'definite' | 'indefinite'; nest?: number }[] = [
    { segment: 1, lengths: 'indefinite' },
    { segment: 15, lengths: 'definite' },
    { segment: 16, lengths: 'indefinite' },
    { segment: 17, lengths: 'indefinite', nest: 7 },
    { segment: 1000, lengths: 'definite', nest: 3 },
    { segment: 4096, lengths: 'indefinite' },
    { segment: 65_535, lengths: 'definite' },
    { segment: 65_536, lengths: 'indefinite' },
    { segment: MiB - 1, lengths: 'indefinite' },
    { segment: MiB, lengths: 'definite' },
    { segment: MiB + 1, lengths: 'indefinite', nest: 2 },
  ];
  for (const c of cases) {
    it(`segments of ${c.segment} bytes, ${c.lengths}${c.nest ? `, ${c.nest} to a nested constructed segment` : ''}`, async () => {
      const [msg, want] = c.segment < 1000 ? [smallMsg, small] : [largeMsg, large];
      const framed = reframe(msg, c);
      assert.equal(isIndefinite(framed), c.lengths === 'indefinite');
      const r = await decrypt(framed, keyOpts);
      assert.equal(r.content.length, want.length);
      assert.equal(sha(r.content), sha(want));
    });
  }

  it('the re-framed messages are valid BER: openssl decrypts them too, and so does the CLI', { skip: noOpenssl }, async () => {
    for (const c of [{ segment: 4096, lengths: 'indefinite' as const }, { segment: 1000, lengths: 'definite' as const, nest: 3 }]) {
      const f = tmp.join(`reframed-${c.segment}.p7m`);
      writeFileSync(f, reframe(largeMsg, c));
      const out = await opensslOk(['cms', '-decrypt', '-inform', 'DER', '-binary', '-in', f, '-inkey', DEMO.bobKey, '-recip', DEMO.bob]);
      assert.equal(sha(out), sha(large), `openssl, segments of ${c.segment}`);
      const r = await p7m(['decrypt', f, ...KEY]);
      assert.equal(r.status, 0, explain(r));
      assert.equal(sha(r.stdout), sha(large), `p7m CLI, segments of ${c.segment}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('a late failure: the last block does not decrypt', () => {
  const n = 3 * C + 5;
  let bad: string;
  before(async () => {
    const msg = tmp.join('late.p7m');
    const r = await p7m(['encrypt', inputOf(n), '-r', DEMO.bob, '-o', msg]);
    assert.equal(r.status, 0, explain(r));
    const b = readFileSync(msg);
    // The padding byte of the last block is D(C_last)[15] XOR C_prev[15]. Flipping C_prev[15] by the
    // padding value turns it into 0, never valid padding (RFC 5652 §6.3); flipping a byte of C_last
    // itself would leave valid-looking padding about once in 256 runs. Megabytes come out before.
    const pad = 16 - (n % 16);
    b[b.length - 17]! ^= pad;
    bad = tmp.join('late-bad.p7m');
    writeFileSync(bad, b);
  });

  const noTemp = (dir: string): void => {
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.p7m-tmp')), [], `temp file left in ${dir}`);
  };

  it('to a new file: exit 1, decryption failed, no output file, no temp file', async () => {
    const dir = tmp.join('late-new');
    mkdirSync(dir);
    const out = `${dir}/plain.bin`;
    const r = await p7m(['decrypt', bad, ...KEY, '-o', out]);
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stderr, /^p7m: error: decryption failed$/m);
    assert.ok(!existsSync(out), 'no output file');
    noTemp(dir);
  });

  it('over an existing file: exit 1, the file untouched', async () => {
    const dir = tmp.join('late-existing');
    mkdirSync(dir);
    const out = `${dir}/plain.bin`;
    writeFileSync(out, 'precious\n');
    const r = await p7m(['decrypt', bad, ...KEY, '-o', out, '--progress']);
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stderr, /^p7m: error: decryption failed$/m);
    assert.equal(readFileSync(out, 'utf8'), 'precious\n');
    assert.deepEqual(readdirSync(dir), ['plain.bin']);
  });

  it('to standard output: the plaintext streamed, the failure in the exit status', async () => {
    const r = await p7m(['decrypt', bad, ...KEY]);
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stderr, /^p7m: error: decryption failed$/m);
    // What went out before the failure was known is the start of the plaintext (up to the altered
    // block before the last); the exit status is what tells that the rest is missing.
    assert.ok(r.stdout.length > 0 && r.stdout.length < n, `${r.stdout.length} bytes on stdout`);
    const k = Math.min(r.stdout.length, n - 32);
    assert.ok(contents.get(n)!.subarray(0, k).equals(r.stdout.subarray(0, k)));
  });

  it('in a batch: that file fails, the others are written, no temp file', async () => {
    const dir = tmp.join('late-batch');
    mkdirSync(dir);
    const good = tmp.join('late-good.p7m');
    writeFileSync(good, await encrypt(contents.get(17)!, { recipients: [demo('bob')] }));
    const r = await p7m(['decrypt', ...KEY, '--out-dir', dir, bad, good]);
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stderr, new RegExp(`^p7m: error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: decryption failed$`, 'm'));
    assert.match(r.stderr, /^p7m: 1 decrypted, 1 failed$/m);
    assert.deepEqual(readdirSync(dir), ['late-good']);
    assert.ok(readFileSync(`${dir}/late-good`).equals(contents.get(17)!));
  });
});

// ---------------------------------------------------------------------------------------------

describe('batch mode', () => {
  it('encrypt: a missing file is reported and the rest go on; decrypt names the outputs', async () => {
    const enc = tmp.join('batch-enc');
    const dec = tmp.join('batch-dec');
    mkdirSync(enc); mkdirSync(dec);
    const missing = tmp.join('in', 'nope.bin');
    const files = [inputOf(0), inputOf(17), missing, inputOf(C + 1)];
    const r = await p7m(['encrypt', '-r', DEMO.bob, '--out-dir', enc, ...files]);
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stderr, new RegExp(`^p7m: error: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file or directory$`, 'm'));
    assert.match(r.stderr, /^p7m: 3 encrypted, 1 failed$/m);
    assert.deepEqual(readdirSync(enc).sort(), ['c0.bin.p7m', `c${C + 1}.bin.p7m`, 'c17.bin.p7m'].sort());
    // Each file has its own session key: the same content twice gives different messages.
    const again = tmp.join('batch-again');
    mkdirSync(again);
    assert.equal((await p7m(['encrypt', '-r', DEMO.bob, '--out-dir', again, inputOf(17)])).status, 0);
    assert.ok(!readFileSync(`${again}/c17.bin.p7m`).equals(readFileSync(`${enc}/c17.bin.p7m`)));
    // Without the .p7m suffix the output gets .out.
    writeFileSync(tmp.join('batch-enc', 'renamed.msg'), readFileSync(`${enc}/c17.bin.p7m`));
    const d = await p7m(['decrypt', '--p12', DEMO.bobP12, '--pass', 'pass:demo-password', '--out-dir', dec, ...readdirSync(enc).map((f) => `${enc}/${f}`)]);
    assert.equal(d.status, 0, explain(d));
    assert.match(d.stderr, /^p7m: 4 decrypted, 0 failed$/m);
    assert.deepEqual(readdirSync(dec).sort(), ['c0.bin', `c${C + 1}.bin`, 'c17.bin', 'renamed.msg.out'].sort());
    assert.ok(readFileSync(`${dec}/c${C + 1}.bin`).equals(contents.get(C + 1)!));
    assert.ok(readFileSync(`${dec}/renamed.msg.out`).equals(contents.get(17)!));
  });

  it('usage errors before any file: -o with --out-dir, two inputs to one output, a missing directory', async () => {
    const r1 = await p7m(['encrypt', '-r', DEMO.bob, '--out-dir', tmp.path, '-o', 'x', inputOf(1)]);
    assert.equal(r1.status, 2, explain(r1));
    const r2 = await p7m(['encrypt', '-r', DEMO.bob, '--out-dir', tmp.path, inputOf(1), tmp.join('in', '..', 'in', 'c1.bin')]);
    assert.equal(r2.status, 2, explain(r2));
    assert.match(r2.stderr, /would both be written to/);
    const r3 = await p7m(['decrypt', ...KEY, '--out-dir', tmp.join('no-such-dir'), inputOf(1)]);
    assert.equal(r3.status, 1, explain(r3));
    assert.match(r3.stderr, /^p7m: error: cannot write to .*no-such-dir: no such directory$/m);
    const r4 = await p7m(['encrypt', '-r', DEMO.bob, inputOf(1), inputOf(17)]);
    assert.equal(r4.status, 2, explain(r4));
    assert.match(r4.stderr, /use --out-dir DIR for several/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('library streams in pipeline()', () => {
  const n = 3 * C + 5;
  it('encryptStream (indefinite, and definite with a length) → decryptStream', async () => {
    for (const length of [undefined, n]) {
      const msg = tmp.join(`lib-${length ?? 'inf'}.p7m`);
      await pipeline(createReadStream(inputOf(n)), encryptStream({ recipients: [demo('bob')], ...(length ? { length } : {}) }), createWriteStream(msg));
      assert.equal(isIndefinite(readFileSync(msg).subarray(0, 2)), length === undefined);
      const out = tmp.join(`lib-${length ?? 'inf'}.out`);
      await pipeline(createReadStream(msg), decryptStream({ key: demo('bobKey'), certificate: demo('bob') }), createWriteStream(out));
      assert.equal(await shaFile(out), sha(contents.get(n)!));
    }
  });

  it('decryptStream of a message whose last block is bad: the pipeline rejects with ERR_DECRYPTION_FAILED', async () => {
    const msg = Buffer.from(await encrypt(contents.get(n)!, { recipients: [demo('bob')] }));
    msg[msg.length - 17]! ^= 16 - (n % 16);
    await assert.rejects(
      pipeline(Readable.from([msg]), decryptStream({ key: demo('bobKey'), certificate: demo('bob') }), createWriteStream(tmp.join('lib-bad.out'))),
      (e: Error & { code?: string }) => e.code === 'ERR_DECRYPTION_FAILED',
    );
  });

  it('decryptStream reads openssl -stream output', { skip: noOpenssl }, async () => {
    const msg = await opensslOk(['cms', '-encrypt', '-binary', '-aes256', '-stream', '-in', inputOf(C + 1), '-outform', 'DER', DEMO.bob]);
    const parts: Buffer[] = [];
    await pipeline(Readable.from([msg.subarray(0, 1000), msg.subarray(1000)]), decryptStream({ key: demo('bobKey') }), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) parts.push(c);
    });
    assert.equal(sha(Buffer.concat(parts)), sha(contents.get(C + 1)!));
  });
});

// ---------------------------------------------------------------------------------------------

describe('progress bar', { concurrency: 2 }, () => {
  const big = 9 * MiB;
  let input: string;
  let content: Buffer;
  before(() => {
    content = randomBytes(big);
    input = tmp.join('progress.bin');
    writeFileSync(input, content);
  });

  it('--progress off a terminal: lines on stderr, the output file right', async () => {
    const msg = tmp.join('progress.p7m');
    const e = await p7m(['encrypt', input, '-r', DEMO.bob, '-o', msg, '--progress']);
    assert.equal(e.status, 0, explain(e));
    assert.match(e.stderr, /^p7m: encrypting \[.*\] 100% \| 9\.00 MiB of 9\.00 MiB \| .*\/s \| .* left$/m, e.stderr);
    const out = tmp.join('progress.out');
    const d = await p7m(['decrypt', msg, ...KEY, '-o', out, '--progress']);
    assert.equal(d.status, 0, explain(d));
    assert.match(d.stderr, /^p7m: decrypting \[.*\] 100% \|/m, d.stderr);
    assert.equal(await shaFile(out), sha(content));
  });

  it('--progress with standard output: stdout holds only the message', async () => {
    const e = await p7m(['encrypt', input, '-r', DEMO.bob, '--progress']);
    assert.equal(e.status, 0, explain(e));
    assert.match(e.stderr, /p7m: encrypting/);
    const r = await decrypt(e.stdout, { key: demo('bobKey') });
    assert.equal(sha(r.content), sha(content));
  });

  it('--progress on a pipe of unknown size: bytes and rate, no percentage', async () => {
    const e = await p7m(['encrypt', '-r', DEMO.bob, '-o', tmp.join('progress-pipe.p7m'), '--progress'], { stdin: { file: input } });
    assert.equal(e.status, 0, explain(e));
    assert.match(e.stderr, /^p7m: encrypting 9\.00 MiB \| .*\/s$/m, e.stderr);
  });

  it('on a terminal: a bar for an input over 8 MiB, none for a small one', { skip: hasScript ? false : 'needs util-linux script(1) for a pseudo-terminal' }, async () => {
    // script(1) runs the command on a pseudo-terminal and copies what it writes (stdout and stderr).
    const onTty = (args: string[]): Promise<RunResult> =>
      run('script', ['-qec', [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' '), '/dev/null']);
    const r = await onTty(['encrypt', input, '-r', DEMO.bob, '-o', tmp.join('progress-tty.p7m')]);
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout.toString(), /p7m: encrypting \[.*\] 100% \| 9\.00 MiB of 9\.00 MiB/);
    const small = await onTty(['encrypt', inputOf(C + 1), '-r', DEMO.bob, '-o', tmp.join('progress-tty-small.p7m')]);
    assert.equal(small.status, 0, explain(small));
    assert.equal(small.stdout.toString().trim(), '');
    const off = await onTty(['encrypt', input, '-r', DEMO.bob, '-o', tmp.join('progress-tty-off.p7m'), '--no-progress']);
    assert.equal(off.stdout.toString().trim(), '');
    assert.equal(sha((await decrypt(readFileSync(tmp.join('progress-tty.p7m')), { key: demo('bobKey') })).content), sha(content));
  });

  it('no bar off a terminal by default, nor with --no-progress, nor when --no-progress comes last', async () => {
    for (const flags of [[], ['--no-progress'], ['--progress', '--no-progress']]) {
      const r = await p7m(['encrypt', input, '-r', DEMO.bob, '-o', tmp.join('progress-quiet.p7m'), ...flags]);
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stderr, '', `flags ${flags.join(' ')}`);
    }
  });
});
