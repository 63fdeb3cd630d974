/**
 * Every algorithm p7m speaks, described once. Dispatch reads these tables; a name or OID that is not here is
 * an UnsupportedAlgorithmError at the boundary (the jose `jwe_algorithms` model).
 */
import { OID, oidName } from './oids.js';
import { UnsupportedAlgorithmError } from './errors.js';

export type ContentCipherName = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc' | 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';

export interface ContentCipher {
  readonly name: ContentCipherName;
  readonly oid: string;
  /** node:crypto cipher name. */
  readonly nodeName: string;
  readonly keyLength: number;
  readonly blockSize: number;
  readonly ivLength: number;
  /** false: read only (3DES is what `openssl cms -encrypt` writes by default; p7m never writes it). */
  readonly writable: boolean;
  /**
   * 'cbc': PKCS#7-padded CBC in EnvelopedData (RFC 5652 §6.3), parameters an IV OCTET STRING.
   * 'gcm': authenticated encryption in AuthEnvelopedData (RFC 5083), parameters GCMParameters with a nonce
   * (ivLength, the RECOMMENDED 12 octets when writing) and the tag length (RFC 5084 §3.2); no padding.
   */
  readonly mode: 'cbc' | 'gcm';
}

/** What p7m writes without a --cipher: what Outlook writes, and every peer reads (README). */
export const DEFAULT_CONTENT_CIPHER: ContentCipherName = 'aes-256-cbc';

/** The tag length p7m writes (RFC 5084 §3.2 allows 12 to 16; 16 is GCM's full tag, what openssl writes). */
export const GCM_TAG_LENGTH = 16;

/**
 * RFC 3565 §4.1 (AES-CBC, parameters = 16-byte IV OCTET STRING); RFC 3370 §5.1 (des-ede3-cbc, 8-byte IV);
 * RFC 5084 §3 (AES-GCM in AuthEnvelopedData; blockSize 1: the ciphertext is as long as the content).
 */
export const CONTENT_CIPHERS: readonly ContentCipher[] = [
  { name: 'aes-128-cbc', oid: OID.aes128Cbc, nodeName: 'aes-128-cbc', keyLength: 16, blockSize: 16, ivLength: 16, writable: true, mode: 'cbc' },
  { name: 'aes-192-cbc', oid: OID.aes192Cbc, nodeName: 'aes-192-cbc', keyLength: 24, blockSize: 16, ivLength: 16, writable: true, mode: 'cbc' },
  { name: 'aes-256-cbc', oid: OID.aes256Cbc, nodeName: 'aes-256-cbc', keyLength: 32, blockSize: 16, ivLength: 16, writable: true, mode: 'cbc' },
  { name: 'des-ede3-cbc', oid: OID.desEde3Cbc, nodeName: 'des-ede3-cbc', keyLength: 24, blockSize: 8, ivLength: 8, writable: false, mode: 'cbc' },
  { name: 'aes-128-gcm', oid: OID.aes128Gcm, nodeName: 'aes-128-gcm', keyLength: 16, blockSize: 1, ivLength: 12, writable: true, mode: 'gcm' },
  { name: 'aes-192-gcm', oid: OID.aes192Gcm, nodeName: 'aes-192-gcm', keyLength: 24, blockSize: 1, ivLength: 12, writable: true, mode: 'gcm' },
  { name: 'aes-256-gcm', oid: OID.aes256Gcm, nodeName: 'aes-256-gcm', keyLength: 32, blockSize: 1, ivLength: 12, writable: true, mode: 'gcm' },
];

/** Named for error messages: known-but-refused algorithms (RFC 8551 §2.7: weak ciphers must not be used). */
const REFUSED_CONTENT: Record<string, string> = {
  [OID.rc2Cbc]: 'rc2-cbc',
  [OID.desCbc]: 'des-cbc',
};

export function contentCipherByName(name: string): ContentCipher {
  const c = CONTENT_CIPHERS.find((x) => x.name === name && x.writable);
  if (!c) throw new UnsupportedAlgorithmError(`unsupported content cipher ${name}`);
  return c;
}

export function contentCipherByOid(oid: string): ContentCipher {
  const c = CONTENT_CIPHERS.find((x) => x.oid === oid);
  if (!c) {
    const name = REFUSED_CONTENT[oid] ?? oidName(oid) ?? 'unknown';
    throw new UnsupportedAlgorithmError(`unsupported content encryption algorithm ${name} (${oid})`);
  }
  return c;
}

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface HashAlg {
  readonly name: HashName;
  readonly oid: string;
  /** HMAC with this hash (RFC 8018 §B.1.1–B.1.2): the PBKDF2 PRF and the PBMAC1 MAC. */
  readonly hmacOid: string;
  readonly length: number;
}

/** RFC 5754 §2 digest OIDs; node:crypto names are the same strings. */
export const HASHES: readonly HashAlg[] = [
  { name: 'sha1', oid: OID.sha1, hmacOid: OID.hmacWithSHA1, length: 20 },
  { name: 'sha224', oid: OID.sha224, hmacOid: OID.hmacWithSHA224, length: 28 },
  { name: 'sha256', oid: OID.sha256, hmacOid: OID.hmacWithSHA256, length: 32 },
  { name: 'sha384', oid: OID.sha384, hmacOid: OID.hmacWithSHA384, length: 48 },
  { name: 'sha512', oid: OID.sha512, hmacOid: OID.hmacWithSHA512, length: 64 },
];

export function hashByName(name: string): HashAlg {
  const h = HASHES.find((x) => x.name === name);
  if (!h) throw new UnsupportedAlgorithmError(`unsupported hash ${name}`);
  return h;
}

export function hashByOid(oid: string): HashAlg {
  const h = HASHES.find((x) => x.oid === oid);
  if (!h) throw new UnsupportedAlgorithmError(`unsupported hash algorithm ${oidName(oid) ?? 'unknown'} (${oid})`);
  return h;
}

/** The hash of an hmacWithSHA* OID, or undefined (callers name the field in their own error). */
export function hashByHmacOid(oid: string): HashAlg | undefined {
  return HASHES.find((x) => x.hmacOid === oid);
}

export type KeyTransportName = 'pkcs1' | 'oaep';
