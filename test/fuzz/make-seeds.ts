/**
 * Writes the fuzzer's seed corpus, test/corpus/seeds/: small valid messages in every input form
 * (DER definite, BER indefinite, PEM, S/MIME) from every writer we have (openssl cms, p7m), plus signed
 * messages for `verify`. The keys in test/corpus/seeds/keys/ were made once with openssl (RSA-2048,
 * 100-year validity, README there); this script only (re)writes the messages and seeds.json.
 *
 * Not deterministic (openssl and p7m draw fresh keys and IVs): run it only to add seeds, then commit.
 *   node --import tsx test/fuzz/make-seeds.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { encrypt, prepareEnvelope, OID } from '../../src/index.js';
import { encodeOutput } from '../../src/stream/armor.js';
import { SEEDS_DIR, type SeedEntry } from './seeds.js';

const K = path.join(SEEDS_DIR, 'keys');
const content = Buffer.from('fuzz seed content: the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(3));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'p7m-seeds-'));
const plain = path.join(tmp, 'plain.txt');
writeFileSync(plain, content);
const seeds: SeedEntry[] = [];

function openssl(file: string, args: string[], entry: Omit<SeedEntry, 'file' | 'peer'>): void {
  const out = path.join(SEEDS_DIR, file);
  execFileSync('openssl', ['cms', '-in', plain, '-out', out, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  seeds.push({ file, peer: 'openssl', ...entry });
}

const rcpt = path.join(K, 'rcpt.pem');
const other = path.join(K, 'other.pem');
openssl('openssl-des3.der', ['-encrypt', '-des3', '-binary', '-outform', 'DER', rcpt], { kind: 'enveloped', form: 'der' });
openssl('openssl-aes128.pem', ['-encrypt', '-aes128', '-binary', '-outform', 'PEM', rcpt], { kind: 'enveloped', form: 'pem' });
openssl('openssl-aes256-oaep.der', ['-encrypt', '-aes256', '-binary', '-outform', 'DER', '-recip', rcpt, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'], { kind: 'enveloped', form: 'der' });
openssl('openssl-aes192-ski.der', ['-encrypt', '-aes192', '-binary', '-outform', 'DER', '-keyid', rcpt], { kind: 'enveloped', form: 'der' });
openssl('openssl-stream.ber', ['-encrypt', '-aes256', '-binary', '-stream', '-outform', 'DER', rcpt], { kind: 'enveloped', form: 'der' });
openssl('openssl-smime.eml', ['-encrypt', '-aes128', rcpt, other], { kind: 'enveloped', form: 'smime' });
openssl('openssl-two-oaep-sha1.der', ['-encrypt', '-aes256', '-binary', '-outform', 'DER', '-recip', other, '-recip', rcpt, '-keyopt', 'rsa_padding_mode:oaep'], { kind: 'enveloped', form: 'der' });
openssl('openssl-aes256-gcm.der', ['-encrypt', '-aes-256-gcm', '-binary', '-outform', 'DER', rcpt], { kind: 'enveloped', form: 'der' });
openssl('openssl-signed.der', ['-sign', '-binary', '-outform', 'DER', '-nodetach', '-md', 'sha256', '-signer', rcpt, '-inkey', path.join(K, 'rcpt.key.pem')], { kind: 'signed', form: 'der' });

// p7m-written: the library's buffer API, and the streaming framing (indefinite, several segments).
const rcptPem = readFileSync(rcpt);
const otherPem = readFileSync(other);
async function p7m(file: string, form: 'der' | 'pem' | 'smime', opts: Record<string, unknown>): Promise<void> {
  const bytes = await encrypt(content, { recipients: [rcptPem], form, ...opts });
  writeFileSync(path.join(SEEDS_DIR, file), bytes);
  seeds.push({ file, peer: 'p7m', kind: 'enveloped', form });
}
await p7m('p7m-aes256.der', 'der', {});
await p7m('p7m-aes128-oaep384-ski.pem', 'pem', { cipher: 'aes-128-cbc', keyTransport: 'oaep', oaepHash: 'sha384', rid: 'ski' });
await p7m('p7m-aes192.eml', 'smime', { cipher: 'aes-192-cbc' });
await p7m('p7m-two.der', 'der', { recipients: [otherPem, rcptPem], keyTransport: 'oaep', oaepHash: 'sha1' });
{
  // Indefinite BER: unknown length, content arriving in several chunks → several OCTET STRING segments.
  const env = await prepareEnvelope({ recipients: [rcptPem] });
  const chunks = [content.subarray(0, 40), content.subarray(40, 41), content.subarray(41)];
  const parts: Uint8Array[] = [];
  for await (const p of encodeOutput(env.stream(Readable.from(chunks), null), 'der')) parts.push(p);
  writeFileSync(path.join(SEEDS_DIR, 'p7m-stream.ber'), Buffer.concat(parts));
  seeds.push({ file: 'p7m-stream.ber', peer: 'p7m', kind: 'enveloped', form: 'der' });
}
{
  // AuthEnvelopedData (AES-GCM), indefinite: the tag follows the segments.
  const env = await prepareEnvelope({ recipients: [rcptPem], cipher: 'aes-128-gcm' });
  const chunks = [content.subarray(0, 40), content.subarray(40, 41), content.subarray(41)];
  const parts: Uint8Array[] = [];
  for await (const p of encodeOutput(env.stream(Readable.from(chunks), null), 'der')) parts.push(p);
  writeFileSync(path.join(SEEDS_DIR, 'p7m-aes128-gcm-stream.ber'), Buffer.concat(parts));
  seeds.push({ file: 'p7m-aes128-gcm-stream.ber', peer: 'p7m', kind: 'enveloped', form: 'der' });
}

// Signed messages, for `verify`, when the signing code is present.
try {
  const { sign } = await import('../../src/signed/sign.js');
  const der = (pem: Buffer): Uint8Array => new Uint8Array(Buffer.from(pem.toString().replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  const signed = await sign(content, {
    signerCert: der(rcptPem),
    signerKey: createPrivateKey(readFileSync(path.join(K, 'rcpt.key.pem'))),
    clock: () => new Date('2030-01-01T00:00:00Z'),
    contentIdentifier: new Uint8Array(16).fill(7),
  });
  writeFileSync(path.join(SEEDS_DIR, 'p7m-signed.der'), signed);
  seeds.push({ file: 'p7m-signed.der', peer: 'p7m', kind: 'signed', form: 'der' });
  // Sign-then-encrypt: the enveloped content is a SignedData (decrypt gives its bytes).
  const wrapped = await encrypt(signed, { recipients: [rcptPem], contentType: OID.signedData });
  writeFileSync(path.join(SEEDS_DIR, 'p7m-signed-enveloped.der'), wrapped);
  seeds.push({ file: 'p7m-signed-enveloped.der', peer: 'p7m', kind: 'enveloped', form: 'der' });
} catch (e) {
  console.error(`no p7m signed seeds: ${(e as Error).message}`);
}

writeFileSync(path.join(SEEDS_DIR, 'seeds.json'), JSON.stringify({ content: content.toString('base64'), seeds }, null, 2) + '\n');
rmSync(tmp, { recursive: true, force: true });
console.log(`${seeds.length} seeds in ${SEEDS_DIR}`);
