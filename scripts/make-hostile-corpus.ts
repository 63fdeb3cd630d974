/**
 * Writes test/corpus/hostile/: the small hostile messages of test/fuzz/hostile-cases.ts, one file each,
 * and manifest.json mapping each file to what it is and the error code p7m must give for `inspect` and
 * for `decrypt` with the right key and certificate. Deterministic: the crypto in the cases draws from a
 * seeded PRNG and uses raw RSA, so running this again rewrites the same bytes.
 *
 *   node --import tsx scripts/make-hostile-corpus.ts
 *
 * The big cases (1 MB OIDs, 100,000 recipients, 10,000 certificates, 1,000 nested envelopes) are made
 * by test/hostile.test.ts at run time instead of being committed.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Cases, committedCases, material } from '../test/fuzz/hostile-cases.js';
import { HOSTILE_DIR } from '../test/fuzz/seeds.js';

const cases = committedCases(new Cases(material()));
mkdirSync(HOSTILE_DIR, { recursive: true });
for (const f of readdirSync(HOSTILE_DIR)) rmSync(path.join(HOSTILE_DIR, f));
const manifest: Record<string, unknown> = {};
let total = 0;
for (const c of cases) {
  if (manifest[c.name]) throw new Error(`duplicate case ${c.name}`);
  writeFileSync(path.join(HOSTILE_DIR, c.name), c.bytes);
  total += c.bytes.length;
  manifest[c.name] = { what: c.what, inspect: c.inspect, decrypt: c.decrypt, ...(c.random ? { random: true } : {}) };
}
writeFileSync(path.join(HOSTILE_DIR, 'manifest.json'), JSON.stringify({
  about: 'Hostile messages (scripts/make-hostile-corpus.ts; keys in ../seeds/keys/). For each file: what it is, and the code '
    + 'inspect and decrypt (key rcpt.key.pem with certificate rcpt.pem) must give; "ok" for odd but valid input. "random": the '
    + 'oracle-free decryption failure goes through a random CEK (RFC 3218), so about 1 run in 256 garbage passes the padding check.',
  files: manifest,
}, null, 2) + '\n');
console.log(`${cases.length} files, ${(total / 1024).toFixed(0)} KiB, in ${HOSTILE_DIR}`);
