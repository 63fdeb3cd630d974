/**
 * Password-based decryption of key material: EncryptedPrivateKeyInfo (RFC 5958 §3) and the encrypted parts of a
 * PKCS#12 file. Two families, described once in the tables below:
 *
 * - PBES2 (RFC 8018 §6.2): PBKDF2 (RFC 8018 §5.2) or scrypt (RFC 7914 §7), then AES-CBC or 3DES-CBC. What OpenSSL 3
 *   writes by default. The password enters the KDF as its UTF-8 octets.
 * - PKCS#12 PBE (RFC 7292 Appendix C): the Appendix B KDF with SHA-1 over the BMPString password, then 3DES or
 *   RC2. What Windows, Java and OpenSSL before 3.0 (or with -legacy) write.
 *
 * Only decryption lives here; p7m never writes these formats.
 */
import * as nodeCrypto from 'node:crypto';
import { createDecipheriv, createHash, pbkdf2, scrypt, type BinaryLike, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';
import { KeyFileError, LimitExceededError, UnsupportedAlgorithmError } from '../errors.js';
import { CONTENT_CIPHERS, hashByHmacOid } from '../algorithms.js';
import { OID } from '../oids.js';
import * as der from './der.js';
import { TAG } from './der.js';

/** Resource limits for password-based KDFs (the jose `maxPBES2Count` model): a file must not buy unbounded work. */
export interface PbeLimits {
  /** Highest PBKDF2 / PKCS#12 KDF iteration count accepted. Default 10,000,000. */
  maxIterations?: number;
  /** Highest scrypt memory (128·N·r·p bytes) accepted. Default 256 MiB. */
  maxScryptMemory?: number;
}

const DEFAULT_MAX_ITERATIONS = 10_000_000;
const DEFAULT_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

/** A password in the two encodings the two families use. */
export interface Password {
  /** RFC 8018 §3: PBES2 takes the octets as given; p7m (like OpenSSL) uses UTF-8. */
  readonly utf8: Uint8Array;
  /** RFC 7292 Appendix B.1: BMPString, big-endian, with two trailing zero octets. */
  readonly bmp: Uint8Array;
}

export function encodePassword(text: string): Password {
  const bmp = Buffer.alloc(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) bmp.writeUInt16BE(text.charCodeAt(i), 2 * i);
  return { utf8: new Uint8Array(Buffer.from(text, 'utf8')), bmp: new Uint8Array(bmp) };
}

/**
 * Other encodings a file may have been written with, for the same typed text, in the order OpenSSL tries them:
 * an empty password may be "no password" (an empty BMPString, not just the two zero octets; OpenSSL's
 * PKCS12_verify_mac(…, NULL)); a non-ASCII password may have been widened byte by byte from UTF-8 by OpenSSL before
 * 1.1.0 (what `openssl pkcs12` itself retries).
 */
export function passwordVariants(text: string): Password[] {
  const p = encodePassword(text);
  const out = [p];
  if (text === '') out.push({ utf8: p.utf8, bmp: new Uint8Array(0) });
  if (/[^\x00-\x7f]/.test(text)) {
    const bytes = p.utf8;
    const bmp = Buffer.alloc(bytes.length * 2 + 2);
    bytes.forEach((b, i) => (bmp[2 * i + 1] = b));
    out.push({ utf8: p.utf8, bmp: new Uint8Array(bmp) });
  }
  return out;
}

/** One-shot digest: crypto.hash (Node ≥ 20.12) is about three times faster than createHash for the KDF's loop. */
const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;
const digest = (alg: string, data: Uint8Array): Buffer =>
  oneShot ? oneShot(alg, data, 'buffer') : createHash(alg).update(data).digest();

const HASH_BLOCK: Record<string, number> = { sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

/**
 * RFC 7292 Appendix B.2: derives `n` octets for purpose `id` (1 key, 2 IV, 3 MAC key) from the BMPString password.
 * The iteration count has already been checked against the limit.
 */
export function pkcs12Kdf(hash: string, password: Uint8Array, salt: Uint8Array, iterations: number, id: 1 | 2 | 3, n: number): Uint8Array {
  const v = HASH_BLOCK[hash];
  if (v === undefined) throw new UnsupportedAlgorithmError(`unsupported PKCS#12 KDF hash ${hash}`);
  const u = createHash(hash).digest().length;
  const D = Buffer.alloc(v, id);
  const fill = (src: Uint8Array): Buffer => {
    const len = src.length === 0 ? 0 : v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(password)]);
  const out = Buffer.alloc(Math.ceil(n / u) * u);
  for (let block = 0; block * u < n; block++) {
    let A: Buffer = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = digest(hash, A);
    A.copy(out, block * u);
    if ((block + 1) * u >= n) break;
    // B = A repeated to v octets; each v-octet block Ij of I becomes (Ij + B + 1) mod 2^(8v).
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % u]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const x = I[j + k]! + B[k]! + carry;
        I[j + k] = x & 0xff;
        carry = x >> 8;
      }
    }
  }
  return new Uint8Array(out.subarray(0, n));
}

function checkIterations(iterations: number, limits: PbeLimits | undefined): void {
  const max = limits?.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (iterations < 1) throw new KeyFileError('password-based encryption with an iteration count below 1');
  if (iterations > max) throw new LimitExceededError(`password-based KDF iteration count ${iterations} exceeds the limit ${max}`);
}

/** RFC 7292 Appendix C: the PKCS#12 PBE schemes (always SHA-1 in the KDF). */
const PKCS12_PBE: Record<string, { cipher: 'des-ede3-cbc' | 'des-ede-cbc' | 'rc2'; keyLength: number; ivLength: number }> = {
  [OID.pbeWithSHAAnd3KeyTripleDESCBC]: { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  [OID.pbeWithSHAAnd2KeyTripleDESCBC]: { cipher: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
  [OID.pbeWithSHAAnd128BitRC2CBC]: { cipher: 'rc2', keyLength: 16, ivLength: 8 },
  [OID.pbeWithSHAAnd40BitRC2CBC]: { cipher: 'rc2', keyLength: 5, ivLength: 8 },
};

const PBE_NAMES: Record<string, string> = {
  [OID.pbeWithSHAAnd128BitRC4]: 'pbeWithSHAAnd128BitRC4',
  [OID.pbeWithSHAAnd40BitRC4]: 'pbeWithSHAAnd40BitRC4',
  [OID.pbeWithMD5AndDESCBC]: 'pbeWithMD5AndDES-CBC',
  [OID.pbeWithSHA1AndDESCBC]: 'pbeWithSHA1AndDES-CBC',
  [OID.pbeWithMD5AndRC2CBC]: 'pbeWithMD5AndRC2-CBC',
  [OID.pbeWithSHA1AndRC2CBC]: 'pbeWithSHA1AndRC2-CBC',
};

/** Whether `oid` names a password-based scheme this module can decrypt (used to decide if a password is needed). */
export function isSupportedPbe(oid: string): boolean {
  return oid === OID.pbes2 || oid in PKCS12_PBE;
}

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (pw: BinaryLike, salt: BinaryLike, len: number, opts: ScryptOptions) => Promise<Buffer>;

/** CBC decryption with PKCS#5 padding; null when the padding is wrong (the mark of a wrong password). */
function cbcDecrypt(node: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array | null {
  if (data.length === 0) return null;
  try {
    const d = createDecipheriv(node, key, iv);
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  } catch {
    return null;
  }
}

/**
 * Decrypts `ciphertext` under the password-based scheme `alg`. Returns null when decryption fails in the way a wrong
 * password makes it fail (bad padding); throws UnsupportedAlgorithmError for schemes not in the tables,
 * KeyFileError for malformed parameters and LimitExceededError for excessive KDF cost.
 */
export async function pbeDecrypt(
  alg: { oid: string; params?: der.Tlv },
  password: Password,
  ciphertext: Uint8Array,
  limits?: PbeLimits,
): Promise<Uint8Array | null> {
  if (alg.oid === OID.pbes2) return pbes2Decrypt(alg.params, password, ciphertext, limits);
  const scheme = PKCS12_PBE[alg.oid];
  if (scheme) {
    // RFC 7292 Appendix C: pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
    if (!alg.params) throw new KeyFileError('PKCS#12 PBE without parameters');
    const r = der.seq(alg.params, 'pkcs-12PbeParams');
    const salt = der.octets(r.next(TAG.OCTET_STRING, 'salt'));
    const iterations = der.smallInt(r.next(TAG.INTEGER, 'iterations'));
    r.end();
    checkIterations(iterations, limits);
    const key = pkcs12Kdf('sha1', password.bmp, salt, iterations, 1, scheme.keyLength);
    const iv = pkcs12Kdf('sha1', password.bmp, salt, iterations, 2, scheme.ivLength);
    if (scheme.cipher === 'rc2') {
      if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) return null;
      const { rc2CbcDecrypt } = await import('./rc2.js'); // legacy files only
      return rc2CbcDecrypt(key, key.length * 8, iv, ciphertext);
    }
    return cbcDecrypt(scheme.cipher, key, iv, ciphertext);
  }
  const name = PBE_NAMES[alg.oid] ?? alg.oid;
  throw new UnsupportedAlgorithmError(`unsupported password-based encryption ${name}`);
}

/** RFC 8018 §A.4: PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier } */
async function pbes2Decrypt(params: der.Tlv | undefined, password: Password, ciphertext: Uint8Array, limits?: PbeLimits): Promise<Uint8Array | null> {
  if (!params) throw new KeyFileError('PBES2 without parameters');
  const r = der.seq(params, 'PBES2-params');
  const kdf = der.algorithmIdentifier(r.next(TAG.SEQUENCE, 'keyDerivationFunc'), 'keyDerivationFunc');
  const enc = der.algorithmIdentifier(r.next(TAG.SEQUENCE, 'encryptionScheme'), 'encryptionScheme');
  r.end();
  // RFC 8018 §B.2 / RFC 3565: PBES2 names the same CBC ciphers as CMS content encryption (src/algorithms.ts).
  const cipher = CONTENT_CIPHERS.find((c) => c.oid === enc.oid && c.mode === 'cbc');
  if (!cipher) throw new UnsupportedAlgorithmError(`unsupported PBES2 cipher ${enc.oid}`);
  if (!enc.params) throw new KeyFileError('PBES2 cipher without an IV');
  const iv = der.octets(enc.params);
  if (iv.length !== cipher.ivLength) throw new KeyFileError('PBES2 cipher IV has the wrong length');
  const key = await deriveKey(kdf, password.utf8, cipher.keyLength, limits);
  return cbcDecrypt(cipher.nodeName, key, iv, ciphertext);
}

/** PBKDF2 (RFC 8018 §A.2) or scrypt (RFC 7914 §7) key derivation for PBES2 (and PBMAC1, RFC 9579). */
export async function deriveKey(
  kdf: { oid: string; params?: der.Tlv },
  password: Uint8Array,
  keyLength: number | undefined,
  limits?: PbeLimits,
): Promise<Uint8Array> {
  if (!kdf.params) throw new KeyFileError('key derivation function without parameters');
  if (kdf.oid === OID.pbkdf2) {
    // PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, … }, iterationCount INTEGER,
    //                              keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
    const r = der.seq(kdf.params, 'PBKDF2-params');
    const salt = der.octets(r.next(TAG.OCTET_STRING, 'salt'));
    const iterations = der.smallInt(r.next(TAG.INTEGER, 'iterationCount'));
    const kl = r.optional(TAG.INTEGER);
    const prfT = r.optional(TAG.SEQUENCE);
    r.end();
    const declared = kl ? der.smallInt(kl) : undefined;
    const length = keyLength ?? declared;
    if (length === undefined) throw new KeyFileError('PBKDF2 without a key length');
    if (declared !== undefined && declared !== length) throw new KeyFileError('PBKDF2 key length does not match the cipher');
    const prf = prfT ? der.algorithmIdentifier(prfT, 'prf').oid : OID.hmacWithSHA1;
    const digest = hashByHmacOid(prf)?.name;
    if (!digest) throw new UnsupportedAlgorithmError(`unsupported PBKDF2 PRF ${prf}`);
    checkIterations(iterations, limits);
    return new Uint8Array(await pbkdf2Async(password, salt, iterations, length, digest));
  }
  if (kdf.oid === OID.scrypt) {
    // scrypt-params ::= SEQUENCE { salt OCTET STRING, costParameter, blockSize, parallelizationParameter,
    //                              keyLength INTEGER OPTIONAL }
    const r = der.seq(kdf.params, 'scrypt-params');
    const salt = der.octets(r.next(TAG.OCTET_STRING, 'salt'));
    const N = der.smallInt(r.next(TAG.INTEGER, 'costParameter'));
    const rr = der.smallInt(r.next(TAG.INTEGER, 'blockSize'));
    const p = der.smallInt(r.next(TAG.INTEGER, 'parallelizationParameter'));
    const kl = r.optional(TAG.INTEGER);
    r.end();
    const declared = kl ? der.smallInt(kl) : undefined;
    const length = keyLength ?? declared;
    if (length === undefined) throw new KeyFileError('scrypt without a key length');
    if (declared !== undefined && declared !== length) throw new KeyFileError('scrypt key length does not match the cipher');
    const memory = 128 * N * rr * p;
    const max = limits?.maxScryptMemory ?? DEFAULT_MAX_SCRYPT_MEMORY;
    if (memory > max) throw new LimitExceededError(`scrypt memory ${memory} exceeds the limit ${max}`);
    try {
      return new Uint8Array(await scryptAsync(password, salt, length, { N, r: rr, p, maxmem: memory + 1024 * 1024 }));
    } catch (e) {
      throw new KeyFileError('bad scrypt parameters', { cause: e });
    }
  }
  throw new UnsupportedAlgorithmError(`unsupported key derivation function ${kdf.oid}`);
}

/**
 * RFC 5958 §3: EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }.
 * Parses without decrypting, so a caller can tell that a password is needed before asking for one.
 */
export function parseEncryptedPrivateKeyInfo(t: der.Tlv): { alg: { oid: string; params?: der.Tlv }; data: Uint8Array } {
  const r = der.seq(t, 'EncryptedPrivateKeyInfo');
  const alg = der.algorithmIdentifier(r.next(TAG.SEQUENCE, 'encryptionAlgorithm'), 'encryptionAlgorithm');
  const data = der.octets(r.any('encryptedData'));
  r.end();
  return { alg, data };
}
