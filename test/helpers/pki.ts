/**
 * Throw-away keys and certificates for tests, made in-process: keys by node:crypto (in the thread pool, so
 * several generate at once), certificates by @peculiar/x509 — an independent writer, with full control over
 * what the demo PKI (certs/) cannot show: validity in the past or the future, a keyUsage without
 * keyEncipherment, no subjectKeyIdentifier, a 1024-bit key, an EC key.
 *
 * RSA key generation is the slow part: `rsaKey(bits, label)` memoises per process, so a test file makes
 * each key once and reuses it.
 */
import { generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type * as X509 from '@peculiar/x509';

// @peculiar/x509 loads tsyringe, which needs the Reflect metadata API before it loads.
await import('reflect-metadata');
const x509: typeof X509 = await import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const generateKeyPairAsync = promisify(generateKeyPair);

export interface TestKey {
  readonly type: 'rsa' | 'ec';
  /** RSA modulus size, or the EC field size. */
  readonly bits: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Unencrypted PKCS#8 PEM. */
  readonly keyPem: string;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array<ArrayBuffer>;
}

function testKey(type: 'rsa' | 'ec', bits: number, kp: { privateKey: KeyObject; publicKey: KeyObject }): TestKey {
  return {
    type,
    bits,
    privateKey: kp.privateKey,
    publicKey: kp.publicKey,
    keyPem: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    spki: new Uint8Array(kp.publicKey.export({ type: 'spki', format: 'der' })),
  };
}

const keyCache = new Map<string, Promise<TestKey>>();

/** An RSA key of `bits`, made once per process for each (bits, label). */
export function rsaKey(bits: number, label = 'default'): Promise<TestKey> {
  const id = `rsa:${bits}:${label}`;
  let p = keyCache.get(id);
  if (!p) {
    p = generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 }).then((kp) => testKey('rsa', bits, kp));
    keyCache.set(id, p);
  }
  return p;
}

/** A P-256 key, once per process for each label. */
export function ecKey(label = 'default'): Promise<TestKey> {
  const id = `ec:${label}`;
  let p = keyCache.get(id);
  if (!p) {
    p = generateKeyPairAsync('ec', { namedCurve: 'P-256' }).then((kp) => testKey('ec', 256, kp));
    keyCache.set(id, p);
  }
  return p;
}

export interface TestCert {
  readonly name: string;
  readonly key: TestKey;
  readonly pem: string;
  readonly der: Buffer;
  /** Serial number, lower-case hex as written. */
  readonly serial: string;
  /** The key PEM followed by the certificate PEM (the "combined" file some tools write). */
  readonly combinedPem: string;
}

export interface TestCa extends TestCert {
  readonly signingKey: CryptoKey;
}

async function signingKeyOf(key: TestKey): Promise<CryptoKey> {
  const der = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  const alg = key.type === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  return webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']) as Promise<CryptoKey>;
}

const DAY = 86_400_000;
let serialCounter = 0x1000;

function nextSerial(): string {
  serialCounter += 1;
  // A positive INTEGER with a fixed-length, unambiguous hex (leading 01: never a sign octet issue).
  return `01${Date.now().toString(16).padStart(12, '0')}${serialCounter.toString(16).padStart(6, '0')}`;
}

function certOf(name: string, key: TestKey, cert: X509.X509Certificate): TestCert {
  const pem = cert.toString('pem') + '\n';
  return { name, key, pem, der: Buffer.from(cert.rawData), serial: cert.serialNumber.toLowerCase(), combinedPem: key.keyPem + pem };
}

/** A self-signed RSA CA (SKI, keyCertSign), valid from a year ago for ten years. */
export async function makeCa(name = 'p7m Test CA', key?: TestKey): Promise<TestCa> {
  const k = key ?? await rsaKey(2048, `ca:${name}`);
  const signingKey = await signingKeyOf(k);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `O=p7m tests, CN=${name}`,
    issuer: `O=p7m tests, CN=${name}`,
    notBefore: new Date(now - 365 * DAY),
    notAfter: new Date(now + 3650 * DAY),
    publicKey: k.spki,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(k.spki),
    ],
  });
  return { ...certOf(name, k, cert), signingKey };
}

export type KeyUsageName = keyof typeof X509.KeyUsageFlags;

export interface IssueOptions {
  /** Common name; the subject is `O=p7m tests, CN=<name>` (encoded in that order, as openssl writes). */
  name: string;
  key: TestKey;
  /** Default: yesterday. */
  notBefore?: Date;
  /** Default: a year from now. */
  notAfter?: Date;
  /** keyUsage bits; null: no keyUsage extension at all. Default: digitalSignature + keyEncipherment. */
  keyUsage?: KeyUsageName[] | null;
  /** Write a subjectKeyIdentifier extension (default true). */
  ski?: boolean;
  /** Hex serial; default: a fresh one. */
  serial?: string;
}

/** An end-entity certificate issued by `ca`. */
export async function issue(ca: TestCa, opts: IssueOptions): Promise<TestCert> {
  const now = Date.now();
  const usage = opts.keyUsage === undefined ? ['digitalSignature', 'keyEncipherment'] as KeyUsageName[] : opts.keyUsage;
  const extensions: X509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (usage !== null) {
    extensions.push(new x509.KeyUsagesExtension(usage.reduce((f, u) => f | x509.KeyUsageFlags[u], 0), true));
  }
  if (opts.ski ?? true) extensions.push(await x509.SubjectKeyIdentifierExtension.create(opts.key.spki));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serial ?? nextSerial(),
    subject: `O=p7m tests, CN=${opts.name}`,
    issuer: `O=p7m tests, CN=${ca.name}`,
    notBefore: opts.notBefore ?? new Date(now - DAY),
    notAfter: opts.notAfter ?? new Date(now + 365 * DAY),
    publicKey: opts.key.spki,
    signingKey: ca.signingKey,
    extensions,
  });
  return certOf(opts.name, opts.key, cert);
}

/** Writes `<name>.pem`, `<name>.key.pem` and `<name>.combined.pem` into `dir`; returns their paths. */
export function writeCert(dir: string, cert: TestCert): { cert: string; key: string; combined: string } {
  const files = {
    cert: path.join(dir, `${cert.name}.pem`),
    key: path.join(dir, `${cert.name}.key.pem`),
    combined: path.join(dir, `${cert.name}.combined.pem`),
  };
  writeFileSync(files.cert, cert.pem);
  writeFileSync(files.key, cert.key.keyPem, { mode: 0o600 });
  writeFileSync(files.combined, cert.combinedPem, { mode: 0o600 });
  return files;
}

export const days = (n: number): number => n * DAY;
