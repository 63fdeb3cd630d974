/**
 * Parsing time stays linear in the input size (issue 6, docs/security.md "Fuzz report"). Each row runs
 * in a fresh process, reading a file as a stream with 1 MiB reads (as the CLI does), so that its peak
 * resident size is its own:
 *  - decrypt of a message with 1 / 10 / 100 MB of content (definite DER, one primitive ciphertext);
 *  - inspect and decrypt of a message whose 1 / 10 / 100 MB ciphertext is a constructed OCTET STRING of
 *    16-byte segments (BER indefinite, as many as 6.5 million segments);
 *  - inspect of a header made of 1 / 4 / 16 MB of tiny indefinite-length elements inside recipientInfos
 *    (the most headers per byte the header budget admits; refused by maxRecipients after one pass).
 *
 *   node --import tsx test/fuzz/linearity.ts            prints the table (markdown)
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspectStream, openDecryption, resolveIdentity } from '../../src/index.js';
import { Cases, material } from './hostile-cases.js';
import { concat, lengthOctets } from './ber.js';
import { OIDS, int, oid, set } from './build.js';
import { loadKeys } from './seeds.js';

const MB = 1 << 20;
const self = fileURLToPath(import.meta.url);

type Kind = 'decrypt-definite' | 'segments-inspect' | 'segments-decrypt' | 'header-inspect';

/** Writes the message for a row to `file`, streaming, and returns its size. */
function make(kind: Kind, mb: number, file: string): number {
  const c = new Cases(material());
  const fd = openSync(file, 'w');
  let size = 0;
  const w = (b: Uint8Array): void => { writeSync(fd, b); size += b.length; };
  const plainBlock = new Uint8Array(MB).fill(0x61);
  const encryptAll = (each: (ct: Uint8Array) => void): void => {
    // Content of mb MiB: mb whole MiB blocks chained in one CBC (the last block carries the padding).
    const ci = createCipheriv('aes-256-cbc', c.cek32, c.iv);
    for (let i = 0; i < mb; i++) each(new Uint8Array(ci.update(plainBlock)));
    each(new Uint8Array(ci.final()));
  };
  if (kind === 'decrypt-definite') {
    w(definitePrefix(c, mb * MB + 16));
    encryptAll(w);
  } else if (kind === 'segments-inspect' || kind === 'segments-decrypt') {
    const m = c.msg({ indefinite: true, encryptedContent: Uint8Array.of(0xa0, 0x80, 0, 0) });
    const at = m.length - 2 * 4 - 4; // before `a0 80 00 00` and the four closing end-of-contents
    w(m.subarray(0, at + 2));
    encryptAll((ct) => {
      const out = new Uint8Array((ct.length / 16) * 18);
      for (let i = 0, o = 0; i < ct.length; i += 16, o += 18) { out[o] = 0x04; out[o + 1] = 16; out.set(ct.subarray(i, i + 16), o + 2); }
      w(out);
    });
    w(m.subarray(at + 2));
  } else {
    // recipientInfos: an indefinite SET of (mb MiB / 4) empty indefinite SEQUENCEs.
    const m = c.msg({ indefinite: true, recipientInfos: Uint8Array.of(0x31, 0x80, 0, 0) });
    const at = Buffer.from(m).indexOf(Buffer.from([0x31, 0x80, 0, 0]));
    w(m.subarray(0, at + 2));
    const tiny = new Uint8Array(MB);
    for (let i = 0; i < MB; i += 4) tiny.set([0x30, 0x80, 0, 0], i);
    for (let i = 0; i < mb; i++) w(i === mb - 1 ? tiny.subarray(0, MB - 64) : tiny);
    w(m.subarray(at + 2));
  }
  closeSync(fd);
  return size;
}

/** ContentInfo → EnvelopedData → EncryptedContentInfo headers, definite, for a ciphertext of ctLen. */
function definitePrefix(c: Cases, ctLen: number): Uint8Array {
  const hdr = (tag: number, len: number): Uint8Array => concat(Uint8Array.of(tag), lengthOctets(len));
  const eciHead = concat(oid(OIDS.data), c.aesAlg(), hdr(0x80, ctLen));
  const eciLen = eciHead.length + ctLen;
  const edHead = concat(int(0), set(c.ri()), hdr(0x30, eciLen));
  const edLen = edHead.length + eciLen;
  const edTlvLen = hdr(0x30, edLen).length + edLen;
  const ciBodyLen = oid(OIDS.envelopedData).length + hdr(0xa0, edTlvLen).length + edTlvLen;
  return concat(hdr(0x30, ciBodyLen), oid(OIDS.envelopedData), hdr(0xa0, edTlvLen), hdr(0x30, edLen), edHead, eciHead);
}

async function one(kind: Kind, file: string): Promise<{ ms: number; peakMb: number; result: string }> {
  const k = loadKeys();
  const identity = await resolveIdentity({ key: k.rcptKey, certificate: k.rcptCertPem });
  const base = process.memoryUsage.rss();
  const src = (): AsyncIterable<Uint8Array> => createReadStream(file, { highWaterMark: MB });
  const t0 = performance.now();
  let result = 'ok';
  try {
    if (kind === 'segments-inspect' || kind === 'header-inspect') {
      const i = await inspectStream(src());
      result = `ok, ${i.content.ciphertextLength} bytes of ciphertext`;
    } else {
      const core = await openDecryption(src(), identity);
      let n = 0;
      await core.run(async () => ({ async write(c: Uint8Array) { n += c.length; }, async commit() {}, async abort() {} }));
      result = `ok, ${n} bytes of plaintext`;
    }
  } catch (e) {
    result = (e as { code?: string }).code ?? String(e);
  }
  const ms = performance.now() - t0;
  return { ms, peakMb: (process.resourceUsage().maxRSS * 1024 - base) / MB, result };
}

if (process.argv[2] === '--one') {
  const r = await one(process.argv[3] as Kind, process.argv[4]!);
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'p7m-linear-'));
  const rows: [Kind, number[]][] = [
    ['decrypt-definite', [1, 10, 100]],
    ['segments-inspect', [1, 10, 100]],
    ['segments-decrypt', [1, 10, 100]],
    ['header-inspect', [1, 4, 16]],
  ];
  console.log('| case | input | time | MB/s | peak resident growth | result |');
  console.log('|---|---:|---:|---:|---:|---|');
  try {
    for (const [kind, sizes] of rows) {
      for (const mb of sizes) {
        const file = path.join(dir, `${kind}-${mb}`);
        const size = make(kind, mb, file);
        const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--one', kind, file], { encoding: 'utf8' });
        rmSync(file);
        const o = JSON.parse(r.stdout) as { ms: number; peakMb: number; result: string };
        console.log(`| ${kind} | ${(size / MB).toFixed(1)} MB | ${o.ms.toFixed(0)} ms | ${(size / MB / (o.ms / 1000)).toFixed(0)} | ${o.peakMb.toFixed(0)} MB | ${o.result} |`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
