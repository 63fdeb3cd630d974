/**
 * Raw RSA (RFC 8017 §5.1: RSAEP / RSADP) over node:crypto, with no padding.
 *
 * Why raw: Node 20 refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809, the Marvin attack),
 * yet PKCS#1 v1.5 key transport is what openssl, Outlook and Thunderbird write. So the private operation
 * is done with RSA_NO_PADDING (OpenSSL's blinded, constant-time modular exponentiation) and the
 * unpadding is ours, branch-free (pkcs1.ts, oaep.ts).
 */
import { constants, createHash, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { DecryptionFailedError, UnsupportedAlgorithmError, UsageError } from '../errors.js';

interface RsaKeyMaterial {
  /** Modulus length in bytes (RFC 8017 §2: k). */
  readonly k: number;
  /** The modulus, to reject ciphertext representatives ≥ n (RFC 8017 §5.1.2 step 1). Public. */
  readonly n: bigint;
  /**
   * SHA-256(I2OSP(d, k)): the secret from which implicit rejection derives its per-ciphertext key
   * (draft-irtf-cfrg-rsa-guidance §7.1 step 1). Private keys only; computed once per key.
   */
  readonly dHash?: Uint8Array;
}

/**
 * Per-KeyObject material, computed on first use. A WeakMap so that dropping the KeyObject drops the
 * material with it; exporting the key as JWK to read n and d costs more than one decryption.
 */
const material = new WeakMap<KeyObject, RsaKeyMaterial>();

function b64uToBytes(s: string): Buffer {
  return Buffer.from(s, 'base64url');
}

function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** k (RFC 8017 §2) from the key's details, after checking it is an RSA key transport key. */
function modulusBytesOf(key: KeyObject): number {
  if (key.type === 'secret' || key.asymmetricKeyType !== 'rsa') {
    // rsa-pss keys (id-RSASSA-PSS, RFC 4055 §1.2) are for signatures only; node refuses them here too.
    throw new UnsupportedAlgorithmError(`a ${key.asymmetricKeyType ?? key.type} key cannot be used for rsa key transport`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new UnsupportedAlgorithmError('rsa key without a modulus length');
  return Math.ceil(bits / 8);
}

function materialOf(key: KeyObject): RsaKeyMaterial {
  const cached = material.get(key);
  if (cached) return cached;
  const k = modulusBytesOf(key);
  const jwk = key.export({ format: 'jwk' });
  const n = bytesToBigInt(b64uToBytes(jwk.n!));
  let dHash: Uint8Array | undefined;
  if (key.type === 'private') {
    // I2OSP(d, k): d is below n, so it fits in k bytes; left-pad with zeros.
    const d = b64uToBytes(jwk.d!);
    const dk = Buffer.alloc(k);
    d.copy(dk, k - d.length);
    dHash = createHash('sha256').update(dk).digest();
    dk.fill(0); d.fill(0); // best effort: JS cannot promise the JWK strings are gone
  }
  const m: RsaKeyMaterial = dHash ? { k, n, dHash } : { k, n };
  material.set(key, m);
  return m;
}

/**
 * k: the RSA modulus length in bytes (RFC 8017 §2), for a public or private RSA KeyObject. From the
 * key's details, not materialOf(): encrypting to 100 recipients needs k of 100 keys and never n, and
 * exporting each key as JWK to read n was a third of the JavaScript cost of a recipient.
 */
export function rsaModulusBytes(key: KeyObject): number {
  return material.get(key)?.k ?? modulusBytesOf(key);
}

/**
 * SHA-256(I2OSP(d, k)) for implicit rejection (draft-irtf-cfrg-rsa-guidance §7.1), cached per key.
 * Secret: only pkcs1.ts uses it, as an HMAC key.
 */
export function implicitRejectionSecret(key: KeyObject): Uint8Array {
  const m = materialOf(key);
  if (!m.dHash) throw new UsageError('rsa decryption needs a private key');
  return m.dHash;
}

/**
 * RSADP (RFC 8017 §5.1.2): c^d mod n, as exactly k bytes (I2OSP(m, k)).
 *
 * The length check and the c < n check concern public data only, so they may throw early — with the
 * same DecryptionFailedError as every later failure. Wycheproof's InvalidCiphertextFormat cases
 * (CVE-2020-14967 prepended zeros, CVE-2021-3580 c = n) land here.
 */
export function rawRsaPrivate(key: KeyObject, c: Uint8Array): Uint8Array {
  if (key.type !== 'private') throw new UsageError('rsa decryption needs a private key');
  const { k, n } = materialOf(key);
  if (c.length !== k) throw new DecryptionFailedError();
  if (bytesToBigInt(c) >= n) throw new DecryptionFailedError();
  let out: Buffer;
  try {
    out = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, c);
  } catch {
    throw new DecryptionFailedError();
  }
  // A plain Uint8Array, not a Buffer: Buffer#slice is a view, and callers wipe what they slice from.
  // OpenSSL pads to k already (BN_bn2binpad); left-pad anyway, should that ever change.
  const em = new Uint8Array(k);
  em.set(out, k - out.length);
  out.fill(0);
  return em;
}

/**
 * RSAEP (RFC 8017 §5.1.1): m^e mod n for a k-byte m < n. Used by OAEP encryption when the MGF1 hash
 * differs from the label hash, which node's own OAEP cannot express.
 */
export function rawRsaPublic(key: KeyObject, m: Uint8Array): Uint8Array {
  const { k, n } = materialOf(key);
  if (m.length !== k || bytesToBigInt(m) >= n) throw new RangeError('rsa message representative out of range');
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, m);
}
