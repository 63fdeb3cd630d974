/**
 * Generates the demo PKI in certs/ (run once; the output is committed): `npx tsx scripts/make-certs.ts`.
 *
 *   ca.pem, ca.key.pem                 demo CA, RSA-3072, sha256WithRSAEncryption
 *   alice.pem, alice.key.pem           RSA-2048 recipient; alice.key.enc.pem: the same key, encrypted PKCS#8
 *   bob.pem, bob.key.pem               RSA-3072 recipient
 *   bob.p12                            OpenSSL 3 default PKCS#12: PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, HMAC-SHA256 MAC
 *   bob-legacy.p12                     legacy PKCS#12: 3DES key bag, RC2-40 cert bag, SHA-1 MAC (Windows, gpgsm, Java)
 *   carol.pem, carol.key.pem           ECDSA P-256 signer (digitalSignature only)
 *
 * Every password is `demo-password`. These keys are public: never use them for anything real.
 *
 * Certificates are made with @peculiar/x509 (it encodes validity per RFC 5280 §4.1.2.5: UTCTime through 2049,
 * GeneralizedTime from 2050, which the 2125 notAfter exercises). The PKCS#12 files are written by
 * `openssl pkcs12 -export` rather than by pkijs: they are the inputs src/keys/pkcs12.ts is tested on, so they must
 * come from an independent, reference writer (not from code sharing our reading of RFC 7292), and the legacy file
 * needs RC2-40, which only OpenSSL's legacy provider still writes.
 */
import { execFileSync } from 'node:child_process';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'certs');
const PASSWORD = 'demo-password';
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2125-01-01T00:00:00Z'); // 100 years

// @peculiar/x509 loads tsyringe, which needs the Reflect metadata API before it loads.
await import('reflect-metadata');
const x509 = await import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA = (bits: number): RsaHashedKeyGenParams => ({
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: bits,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
});
const P256: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

async function keyPair(alg: RsaHashedKeyGenParams | EcKeyGenParams): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A positive 16-byte serial (RFC 5280 §4.1.2.2: at most 20 octets), hex. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return b.toString('hex');
}

function write(name: string, data: string | Uint8Array): void {
  writeFileSync(join(OUT, name), data);
  console.log(`wrote certs/${name}`);
}

function keyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

mkdirSync(OUT, { recursive: true });

// --- CA ---
const caKeys = await keyPair(RSA(3072));
// @peculiar/x509 encodes a name string's RDNs in the order written (it does not reverse RFC 4514 order), so the
// strings are written in DER order, most significant first: the certificates then read `CN=…,O=p7m demo` per RFC 4514.
const caName = 'O=p7m demo,CN=p7m Demo CA';
const ca = await x509.X509CertificateGenerator.create({
  serialNumber: serial(),
  subject: caName,
  issuer: caName,
  notBefore: NOT_BEFORE,
  notAfter: NOT_AFTER,
  signingAlgorithm: RSA(3072),
  publicKey: caKeys.publicKey,
  signingKey: caKeys.privateKey,
  extensions: [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
  ],
});
write('ca.pem', ca.toString('pem') + '\n');
write('ca.key.pem', keyPem(caKeys.privateKey));

// --- end entities ---
async function endEntity(
  name: string,
  cn: string,
  alg: RsaHashedKeyGenParams | EcKeyGenParams,
  usage: number,
): Promise<{ keys: CryptoKeyPair; pem: string }> {
  const keys = await keyPair(alg);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `O=p7m demo,CN=${cn}`,
    issuer: ca.subject,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: RSA(3072),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection]),
      new x509.SubjectAlternativeNameExtension([{ type: 'email', value: `${name}@example.org` }]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const pem = cert.toString('pem') + '\n';
  write(`${name}.pem`, pem);
  write(`${name}.key.pem`, keyPem(keys.privateKey));
  return { keys, pem };
}

const encipher = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
const alice = await endEntity('alice', 'Alice', RSA(2048), encipher);
await endEntity('bob', 'Bob', RSA(3072), encipher);
await endEntity('carol', 'Carol', P256, x509.KeyUsageFlags.digitalSignature);

// Encrypted PKCS#8 (RFC 5958 §3); node:crypto writes PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC.
write('alice.key.enc.pem', KeyObject.from(alice.keys.privateKey).export({
  type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD,
}) as string);

// --- PKCS#12, written by OpenSSL (see the header) ---
function pkcs12(out: string, extra: string[]): void {
  execFileSync('openssl', [
    'pkcs12', '-export',
    '-in', join(OUT, 'bob.pem'), '-inkey', join(OUT, 'bob.key.pem'), '-certfile', join(OUT, 'ca.pem'),
    '-name', 'Bob', '-passout', `pass:${PASSWORD}`, '-out', join(OUT, out), ...extra,
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  console.log(`wrote certs/${out}`);
}
// OpenSSL 3's defaults, spelled out so an older or newer openssl writes the same schemes.
pkcs12('bob.p12', ['-keypbe', 'AES-256-CBC', '-certpbe', 'AES-256-CBC', '-macalg', 'sha256', '-iter', '2048']);
// What OpenSSL 1.x and Windows write: needs OpenSSL 3's legacy provider for RC2.
pkcs12('bob-legacy.p12', ['-legacy', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-RC2-40', '-macalg', 'sha1', '-iter', '2048']);
