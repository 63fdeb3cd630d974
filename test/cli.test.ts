/**
 * The built CLI (dist/bin/p7m.cjs, `npm run build` first) as a user meets it: spawned, with files in a
 * temp dir. Exit statuses (0 ok, 1 failed, 2 usage), the voice on stderr (`p7m: error: …`, `p7m: hint: …`,
 * never a stack trace), output files that appear only on success, and each command's help.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEMO, DEMO_PASSWORD } from './helpers/demo.js';
import { days, issue, makeCa, rsaKey, writeCert } from './helpers/pki.js';
import { CLI, ROOT, explain, p7m, type RunResult } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';
import { cacheFileFor, compileWithCodeCache } from '../src/cli/code-cache.js';

const tmp = tempDir('p7m-cli-');
after(() => tmp.remove());

const CONTENT = Buffer.concat([Buffer.from('hello from the CLI tests\r\n'), randomBytes(5000)]);
const IN = tmp.join('in.bin');
/** A message for alice (RSA-2048), made by the CLI in `before`. */
const FOR_ALICE = tmp.join('for-alice.p7m');
/** A message for alice and bob, by SKI. */
const FOR_BOTH = tmp.join('for-both.p7m');
/** 4 MiB for alice: more than a pipe holds. */
const BIG_FOR_ALICE = tmp.join('big-for-alice.p7m');
let stranger: { cert: string; key: string }; // RSA-2048: alice's size, not a recipient
let noSki: { cert: string; key: string };
let expired: { cert: string; key: string };
let signOnly: { cert: string; key: string };
let small: { cert: string; key: string };

/** The shape every diagnostic has: only `p7m: error|hint|warning:` lines (and indented hint lines), no stack. */
function assertVoice(r: RunResult): void {
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.*:\d+:\d+\)$/m, `stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/, r.stderr);
  for (const line of r.stderr.split('\n').filter((l) => l !== '')) {
    assert.match(line, /^(p7m: (error|hint|warning): \S|  \S)/, `unexpected stderr line: ${JSON.stringify(line)}`);
  }
}

/** Exit status `status`, a `p7m: error:` line matching `error`, the voice kept. */
function assertFails(r: RunResult, status: 1 | 2, error: RegExp): void {
  assert.equal(r.status, status, explain(r));
  assert.match(r.stderr, /^p7m: error: /, explain(r));
  assert.match(r.stderr.split('\n')[0]!, error, explain(r));
  assertVoice(r);
}

function hints(r: RunResult): string {
  return r.stderr.split('\n').filter((l) => l.startsWith('p7m: hint: ') || l.startsWith('  ')).join('\n');
}

before(async () => {
  writeFileSync(IN, CONTENT);
  const ca = await makeCa('cli CA');
  const [k1, k2] = await Promise.all([rsaKey(2048, 'stranger'), rsaKey(2048, 'misc'), rsaKey(1024, 'small')]);
  const now = Date.now();
  stranger = writeCert(tmp.path, await issue(ca, { name: 'stranger', key: k1 }));
  noSki = writeCert(tmp.path, await issue(ca, { name: 'no-ski', key: k2, ski: false }));
  expired = writeCert(tmp.path, await issue(ca, { name: 'expired', key: k2, notBefore: new Date(now - days(30)), notAfter: new Date(now - days(1)) }));
  signOnly = writeCert(tmp.path, await issue(ca, { name: 'sign-only', key: k2, keyUsage: ['digitalSignature'] }));
  small = writeCert(tmp.path, await issue(ca, { name: 'small', key: await rsaKey(1024, 'small') }));
  const { encrypt } = await import('../src/index.js');
  writeFileSync(BIG_FOR_ALICE, await encrypt(randomBytes(4 << 20), { recipients: [readFileSync(DEMO.alice)] }));
  const [a, b] = await Promise.all([
    p7m(['encrypt', IN, '-r', DEMO.alice, '-o', FOR_ALICE]),
    p7m(['encrypt', IN, '-r', DEMO.alice, '-r', DEMO.bob, '--rid', 'ski', '-o', FOR_BOTH]),
  ]);
  assert.equal(a.status, 0, explain(a));
  assert.equal(b.status, 0, explain(b));
});

describe('success: exit 0, nothing on stderr', { concurrency: 4 }, () => {
  it('encrypt → decrypt with -o, key and certificate', async () => {
    const out = tmp.join('ok-1.txt');
    const r = await p7m(['decrypt', FOR_ALICE, '--key', DEMO.aliceKey, '--cert', DEMO.alice, '-o', out]);
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.length, 0);
    assert.ok(readFileSync(out).equals(CONTENT));
  });

  it('decrypt to standard output with a bare key', async () => {
    const r = await p7m(['decrypt', FOR_ALICE, '--key', DEMO.aliceKey]);
    assert.equal(r.status, 0, explain(r));
    assert.ok(r.stdout.equals(CONTENT));
  });

  it('decrypt with --p12 and each --pass form (pass:, env:, file:)', async () => {
    const pwFile = tmp.join('pw.txt');
    writeFileSync(pwFile, `${DEMO_PASSWORD}\n`);
    const env = { ...process.env, P7M_TEST_PW: DEMO_PASSWORD };
    for (const [p12, pass] of [[DEMO.bobP12, `pass:${DEMO_PASSWORD}`], [DEMO.bobLegacyP12, 'env:P7M_TEST_PW'], [DEMO.bobP12, `file:${pwFile}`]] as const) {
      const r = await p7m(['decrypt', FOR_BOTH, '--p12', p12, '--pass', pass], { env });
      assert.equal(r.status, 0, explain(r));
      assert.ok(r.stdout.equals(CONTENT), `${p12} ${pass}`);
    }
  });

  it('decrypt with an encrypted PKCS#8 key and --pass, and with a combined key+certificate PEM', async () => {
    const r1 = await p7m(['decrypt', FOR_ALICE, '--key', DEMO.aliceKeyEnc, '--pass', `pass:${DEMO_PASSWORD}`]);
    assert.equal(r1.status, 0, explain(r1));
    assert.ok(r1.stdout.equals(CONTENT));
    const combined = tmp.join('alice.combined.pem');
    writeFileSync(combined, Buffer.concat([readFileSync(DEMO.aliceKey), readFileSync(DEMO.alice)]));
    const r2 = await p7m(['decrypt', FOR_BOTH, '--key', combined]);
    assert.equal(r2.status, 0, explain(r2));
    assert.ok(r2.stdout.equals(CONTENT));
  });

  it('encrypt from standard input to standard output, decrypt from standard input', async () => {
    const e = await p7m(['encrypt', '-r', DEMO.bob, '--form', 'smime'], { stdin: CONTENT });
    assert.equal(e.status, 0, explain(e));
    assert.match(e.stdout.toString('latin1'), /application\/(x-)?pkcs7-mime/i);
    const d = await p7m(['decrypt', '-', '--key', DEMO.bobKey, '--cert', DEMO.bob], { stdin: e.stdout });
    assert.equal(d.status, 0, explain(d));
    assert.ok(d.stdout.equals(CONTENT));
  });

  it('--allow-expired accepts an expired certificate', async () => {
    const out = tmp.join('expired-ok.p7m');
    const r = await p7m(['encrypt', IN, '-r', expired.cert, '--allow-expired', '-o', out]);
    assert.equal(r.status, 0, explain(r));
    const d = await p7m(['decrypt', out, '--key', expired.key, '--cert', expired.cert]);
    assert.equal(d.status, 0, explain(d));
    assert.ok(d.stdout.equals(CONTENT));
  });

  it('inspect: text, and --json', async () => {
    const t = await p7m(['inspect', FOR_BOTH]);
    assert.equal(t.status, 0, explain(t));
    const text = t.stdout.toString();
    assert.match(text, /^recipients: +2$/m);
    assert.match(text, /subject key id: +[0-9a-f]{40}/);
    assert.match(text, /cipher: +aes-256-cbc/);
    const j = await p7m(['inspect', FOR_BOTH, '--json']);
    assert.equal(j.status, 0, explain(j));
    const i = JSON.parse(j.stdout.toString()) as { version: number; recipients: { identifier: { type: string } }[]; content: { cipher: string; ciphertextLength: number } };
    assert.equal(i.version, 2);
    assert.deepEqual(i.recipients.map((r) => r.identifier.type), ['subjectKeyIdentifier', 'subjectKeyIdentifier']);
    assert.equal(i.content.cipher, 'aes-256-cbc');
    assert.equal(i.content.ciphertextLength, (Math.floor(CONTENT.length / 16) + 1) * 16);
  });

  it('inspect from standard input', async () => {
    const r = await p7m(['inspect', '--json'], { stdin: readFileSync(FOR_ALICE) });
    assert.equal(r.status, 0, explain(r));
    assert.equal((JSON.parse(r.stdout.toString()) as { form: string }).form, 'der');
  });
});

describe('usage errors: exit 2, with a hint to --help', { concurrency: 4 }, () => {
  const usage = async (args: string[], error: RegExp): Promise<RunResult> => {
    const r = await p7m(args);
    assertFails(r, 2, error);
    assert.match(hints(r), /^p7m: hint: see 'p7m (\w+ )?--help'$/m);
    return r;
  };

  it('unknown option: named, without node\'s advice about positionals', async () => {
    const r = await usage(['encrypt', IN, '-r', DEMO.bob, '--bogus'], /^p7m: error: unknown option '--bogus'$/);
    assert.match(r.stderr, /p7m: hint: see 'p7m encrypt --help'/);
  });
  it('missing -r', async () => { await usage(['encrypt', IN], /at least one recipient certificate is required \(-r CERT\)/); });
  it('bad --cipher', async () => { await usage(['encrypt', IN, '-r', DEMO.bob, '--cipher', 'des-ede3-cbc'], /--cipher must be one of aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-gcm, aes-192-gcm, aes-256-gcm \(got des-ede3-cbc\)/); });
  it('bad --form, --key-transport, --rid', async () => {
    await usage(['encrypt', IN, '-r', DEMO.bob, '--form', 'base64'], /--form must be one of der, pem, smime/);
    await usage(['encrypt', IN, '-r', DEMO.bob, '--key-transport', 'rsa'], /--key-transport must be one of pkcs1, oaep/);
    await usage(['encrypt', IN, '-r', DEMO.bob, '--rid', 'name'], /--rid must be one of issuer-serial, ski/);
  });
  it('--oaep-hash without --key-transport oaep', async () => { await usage(['encrypt', IN, '-r', DEMO.bob, '--oaep-hash', 'sha1'], /--oaep-hash needs --key-transport oaep/); });
  it('an option without its value', async () => { await usage(['encrypt', IN, '-r'], /argument missing/); });
  it('-o equal to IN (encrypt), untouched', async () => {
    await usage(['encrypt', IN, '-r', DEMO.bob, '-o', IN], /the output file .* is the input file/);
    assert.ok(readFileSync(IN).equals(CONTENT));
  });
  it('-o equal to IN by another path (decrypt), untouched', async () => {
    const before = readFileSync(FOR_ALICE);
    const other = path.join(path.dirname(FOR_ALICE), '.', path.basename(FOR_ALICE));
    await usage(['decrypt', FOR_ALICE, '--key', DEMO.aliceKey, '-o', other], /is the input file/);
    assert.ok(readFileSync(FOR_ALICE).equals(before));
  });
  it('two input files', async () => { await usage(['encrypt', IN, IN, '-r', DEMO.bob], /takes one input file/); });
  it('decrypt without --key or --p12, and with both', async () => {
    await usage(['decrypt', FOR_ALICE], /give either --key KEY .* or --p12 FILE/);
    await usage(['decrypt', FOR_ALICE, '--key', DEMO.aliceKey, '--p12', DEMO.bobP12], /give either --key/);
  });
  it('--cert with --p12', async () => { await usage(['decrypt', FOR_ALICE, '--p12', DEMO.bobP12, '--cert', DEMO.bob], /--cert goes with --key/); });
  it('unknown command, also after help', async () => {
    for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
      const r = await p7m(args);
      assertFails(r, 2, /^p7m: error: unknown command 'frobnicate'$/);
      assert.match(r.stderr, /^p7m: hint: see 'p7m --help'$/m);
    }
  });
  it('no command: the usage on stderr', async () => {
    const r = await p7m([]);
    assert.equal(r.status, 2, explain(r));
    assert.match(r.stderr, /^usage: p7m <command>/);
    assert.equal(r.stdout.length, 0);
  });
});

describe('failures: exit 1, no output file, no temp file left', { concurrency: 4 }, () => {
  /** Runs `args` (whose -o is `out` in a fresh directory) and checks the directory is as before. */
  async function failsCleanly(name: string, args: (out: string) => string[], error: RegExp, existing?: Buffer, garbageMayPass = false): Promise<RunResult> {
    const dir = tmp.join(`fail-${name}`);
    mkdirSync(dir);
    const out = path.join(dir, 'out.bin');
    if (existing) writeFileSync(out, existing);
    const r = await p7m(args(out));
    if (garbageMayPass && r.status === 0) {
      assert.ok(!readFileSync(out).equals(CONTENT), 'a wrong key gave the content');
      return r;
    }
    assertFails(r, 1, error);
    assert.deepEqual(readdirSync(dir), existing ? ['out.bin'] : [], `left in ${dir}`);
    if (existing) assert.ok(readFileSync(out).equals(existing), 'the existing output file was changed');
    else assert.ok(!existsSync(out));
    return r;
  }

  /**
   * A wrong key of the right size unwraps a pseudo-random CEK, and the last CBC block of that garbage
   * pads validly about 1 time in 256: the "decryption" then succeeds with garbage (EnvelopedData has no
   * integrity check; openssl does the same). So each attempt takes a fresh message, until one fails.
   */
  async function wrongKeyFails(name: string, existing?: Buffer): Promise<RunResult> {
    const { encrypt } = await import('../src/index.js');
    for (let attempt = 0; attempt < 4; attempt++) {
      const msg = tmp.join(`${name}-${attempt}.p7m`);
      writeFileSync(msg, await encrypt(CONTENT, { recipients: [readFileSync(DEMO.alice)] }));
      const r = await failsCleanly(`${name}-${attempt}`, (out) => ['decrypt', msg, '--key', stranger.key, '-o', out], /^p7m: error: decryption failed$/, existing, true);
      if (r.status !== 0) return r;
    }
    assert.fail('a wrong key "decrypted" four fresh messages');
  }

  it('wrong key of the right size: "decryption failed", no file at -o', async () => {
    const r = await wrongKeyFails('wrong-key');
    assert.match(hints(r), /^p7m: hint: the key is not the one this message was encrypted for, or the message was altered$/);
  });

  it('wrong key: an existing file at -o is left untouched', async () => {
    await wrongKeyFails('existing', Buffer.from('precious\n'));
  });

  it('altered message: "decryption failed", no file at -o', async () => {
    const m = readFileSync(FOR_ALICE);
    // CBC: flipping a bit of the previous ciphertext block flips the same bit of the last plaintext
    // block. The last byte is the padding length, 1..16: with 0x20 flipped it is 33..48, never valid.
    m[m.length - 17] ^= 0x20;
    const altered = tmp.join('altered.p7m');
    writeFileSync(altered, m);
    await failsCleanly('altered', (out) => ['decrypt', altered, '--key', DEMO.aliceKey, '--cert', DEMO.alice, '-o', out], /^p7m: error: decryption failed$/);
  });

  it('no matching recipient: the hint lists who the message is for', async () => {
    const r = await failsCleanly('no-match', (out) => ['decrypt', FOR_ALICE, '--key', stranger.key, '--cert', stranger.cert, '-o', out],
      /^p7m: error: no recipient in this message matches the given key or certificate$/);
    const h = hints(r);
    assert.match(h, /^p7m: hint: this message is addressed to:$/m);
    assert.match(h, /^ {2}1: key transport \(rsaEncryption\) to issuer "CN=p7m Demo CA,O=p7m demo", serial 0x[0-9a-f]+$/m);
  });

  it('no matching recipient among two: both listed', async () => {
    const r = await failsCleanly('no-match-2', (out) => ['decrypt', FOR_BOTH, '--key', stranger.key, '--cert', stranger.cert, '-o', out], /no recipient/);
    const lines = hints(r).split('\n').filter((l) => l.startsWith('  '));
    assert.equal(lines.length, 2, hints(r));
    for (const l of lines) assert.match(l, /^ {2}[12]: key transport \(rsaEncryption\) to subject key identifier [0-9a-f:]+$/);
  });

  it('wrong --pass for a PKCS#12: ERR_BAD_PASSWORD wording and hint', async () => {
    const r = await failsCleanly('bad-pass', (out) => ['decrypt', FOR_BOTH, '--p12', DEMO.bobP12, '--pass', 'pass:nope', '-o', out], /wrong password/);
    assert.match(hints(r), /--pass/);
  });

  it('encrypted key without --pass and no terminal: exit 1 (not a usage error), with the --pass hint', async () => {
    const r = await failsCleanly('no-pass', (out) => ['decrypt', FOR_ALICE, '--key', DEMO.aliceKeyEnc, '-o', out], /^p7m: error: a password is needed/);
    assert.match(hints(r), /^p7m: hint: give the password with --pass/m);
  });

  it('missing input file', async () => { await failsCleanly('missing-in', (out) => ['decrypt', tmp.join('nope.p7m'), '--key', DEMO.aliceKey, '-o', out], /nope\.p7m.*no such file or directory/); });
  it('missing key file', async () => { await failsCleanly('missing-key', (out) => ['decrypt', FOR_ALICE, '--key', tmp.join('nope.pem'), '-o', out], /cannot read key .*nope\.pem: no such file or directory/); });
  it('not a CMS message', async () => { await failsCleanly('garbage', (out) => ['decrypt', IN, '--key', DEMO.aliceKey, '-o', out], /^p7m: error: input is not a CMS message/); });
  it('inspect of something that is not a message', async () => {
    const r = await p7m(['inspect', IN]);
    assertFails(r, 1, /^p7m: error: input is not a CMS message/);
  });

  describe('recipient certificates refused at encryption (ERR_BAD_RECIPIENT_CERT), nothing written', { concurrency: 4 }, () => {
    const refused = (name: string, cert: () => string, error: RegExp, extra: string[] = []) =>
      it(name, async () => {
        const r = await failsCleanly(`cert-${name.replace(/\W+/g, '-')}`, (out) => ['encrypt', IN, '-r', cert(), '-o', out, ...extra], error);
        assert.match(hints(r), /check the certificate given with -r/);
      });
    refused('EC certificate', () => DEMO.carol, /key of type EC; only RSA recipients are supported/);
    refused('keyUsage without keyEncipherment', () => signOnly.cert, /does not allow key encipherment/);
    refused('expired', () => expired.cert, /expired on/);
    refused('RSA-1024', () => small.cert, /1024-bit RSA key/);
    refused('--rid ski without a subjectKeyIdentifier', () => noSki.cert, /no subject key identifier/, ['--rid', 'ski']);
    refused('one bad among good ones', () => DEMO.carol, /CN=Carol/, ['-r', DEMO.bob]);
  });
});

describe('help and version', { concurrency: 4 }, () => {
  for (const cmd of ['encrypt', 'decrypt', 'inspect', 'demo']) {
    it(`${cmd} --help: usage and an example, on stdout, exit 0`, async () => {
      // -h and `help CMD` are the same path: checked on one command.
      for (const args of cmd === 'encrypt' ? [[cmd, '--help'], [cmd, '-h'], ['help', cmd]] : [[cmd, '--help']]) {
        const r = await p7m(args);
        assert.equal(r.status, 0, explain(r));
        const text = r.stdout.toString();
        assert.match(text, new RegExp(`^usage: p7m ${cmd}`), args.join(' '));
        assert.match(text, new RegExp(`^example:\\n {2}p7m ${cmd}( |$)`, 'm'), args.join(' '));
        assert.equal(r.stderr, '');
      }
    });
  }

  it('--help: commands, exit statuses and an example', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await p7m([flag]);
      assert.equal(r.status, 0, explain(r));
      const text = r.stdout.toString();
      for (const cmd of ['encrypt', 'decrypt', 'inspect', 'demo']) assert.match(text, new RegExp(`^ {2}${cmd} `, 'm'));
      assert.match(text, /exit status: 0 success, 1 the operation failed, 2 usage error/);
      assert.match(text, /^example:\n {2}p7m encrypt /m);
    }
  });

  it('--version and -V: the package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await p7m([flag]);
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stdout.toString(), `p7m ${version}\n`);
    }
  });
});

describe('the built command bundle', () => {
  it('is ASCII, and V8 takes each code cache the build made for it', () => {
    const bundle = path.join(ROOT, 'dist', 'bin', 'commands.cjs');
    // The loader reads an ASCII bundle as Latin-1 (src/cli/code-cache.ts); a cache V8 refuses would
    // quietly cost the compile time back at every start.
    assert.ok(isAscii(readFileSync(bundle)), 'dist/bin/commands.cjs is not ASCII');
    for (const command of ['encrypt', 'decrypt', 'inspect']) {
      const cacheFile = cacheFileFor(bundle, command);
      assert.ok(existsSync(cacheFile), `${cacheFile} missing`);
      assert.equal(compileWithCodeCache(bundle, cacheFile).cachedDataRejected, false, `${cacheFile} refused by V8`);
    }
    assert.notEqual(cacheFileFor(bundle, 'encrypt'), cacheFileFor(bundle, 'decrypt'));
  });
});

describe('standard output that fails', { concurrency: 2 }, () => {
  it('a reader that goes away (EPIPE): exit 1, no stack trace, no message', async () => {
    const child = spawn(process.execPath, [CLI, 'decrypt', BIG_FOR_ALICE, '--key', DEMO.aliceKey], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    // Read the first chunk, then close our end of the pipe.
    await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
    const [status] = await once(child, 'close') as [number | null];
    assert.equal(status, 1, stderr);
    assert.equal(stderr, '');
  });

  it('a full disk (/dev/full): exit 1, "cannot write to standard output"', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async () => {
    for (const args of [['decrypt', BIG_FOR_ALICE, '--key', DEMO.aliceKey], ['encrypt', IN, '-r', DEMO.bob], ['inspect', FOR_ALICE]]) {
      const fd = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
        const res: RunResult = { status: r.status, signal: r.signal, stdout: Buffer.alloc(0), stderr: r.stderr, command: args.join(' ') };
        assertFails(res, 1, /^p7m: error: cannot write to standard output: /);
      } finally {
        closeSync(fd);
      }
    }
  });
});

describe('demo', () => {
  it('runs the exchange on the demo PKI and exits 0', async () => {
    const r = await p7m(['demo']);
    const text = r.stdout.toString();
    // The demo keeps its message for the user to look at: not here.
    const written = /written (\S+message\.p7m)/.exec(text)?.[1];
    if (written && path.basename(path.dirname(written)).startsWith('p7m-demo-')) rmSync(path.dirname(written), { recursive: true, force: true });
    assert.equal(r.status, 0, explain(r));
    assert.match(text, /identical to what alice wrote/);
    assertVoice(r);
  });
});
