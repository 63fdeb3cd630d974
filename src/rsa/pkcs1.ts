/**
 * RSAES-PKCS1-v1_5 (RFC 8017 §7.2) key transport, decrypted with implicit rejection
 * (draft-irtf-cfrg-rsa-guidance §7, the algorithm OpenSSL 3.2+ uses).
 *
 * Implicit rejection: on bad padding the decryptor does not fail, it returns a synthetic message derived
 * from the private key and the ciphertext (deterministic, so retrying reveals nothing). Together with
 * branch-free unpadding, a caller — and anyone timing it — sees the same thing for bad padding as for a
 * wrong key: a plausible message. That removes the Bleichenbacher / Marvin padding oracle.
 */
import { constants, createHmac, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { BadRecipientCertificateError, DecryptionFailedError } from '../errors.js';
import { implicitRejectionSecret, rawRsaPrivate, rsaModulusBytes } from './raw.js';
import { ctEq, ctGe, ctIsZero, ctLt, ctSelect, ctSelectKey, ctShiftLeft } from './ct.js';

/** 00 || 02 || PS (≥ 8 non-zero bytes) || 00 || M  (RFC 8017 §7.2.1 step 2). */
const PKCS1_OVERHEAD = 11;

/**
 * The PRF of draft-irtf-cfrg-rsa-guidance §7.1: concatenated blocks
 * HMAC-SHA256(kdk, I2OSP(i, 2) || label || I2OSP(bitLength, 2)) for i = 0, 1, …, truncated to
 * bitLength / 8 bytes. Every input here is public-length, so the time depends only on k.
 */
function prf(kdk: Uint8Array, label: string, bitLength: number): Uint8Array {
  const outLen = bitLength >>> 3;
  const out = new Uint8Array(outLen);
  const labelBytes = Buffer.from(label, 'ascii');
  const suffix = Buffer.of(bitLength >>> 8, bitLength & 0xff);
  for (let i = 0, pos = 0; pos < outLen; i++, pos += 32) {
    const block = createHmac('sha256', kdk).update(Buffer.of(i >>> 8, i & 0xff)).update(labelBytes).update(suffix).digest();
    out.set(block.subarray(0, Math.min(32, outLen - pos)), pos);
  }
  return out;
}

/** draft-irtf-cfrg-rsa-guidance §7.2 step 3: 128 candidate lengths, which makes a bias of 2^-128 at worst. */
const LENGTH_CANDIDATES = 128;

interface Decoded {
  /** k bytes; the message (real or synthetic) occupies the first `len`. */
  readonly buf: Uint8Array;
  /** Message length; public only in so far as the message is. */
  readonly len: number;
}

/**
 * The whole draft algorithm, with a result in a k-byte buffer so that the CEK selection in
 * unwrapPkcs1Cek need not depend on the (secret) length either.
 */
function decryptImplicit(key: KeyObject, c: Uint8Array): Decoded {
  const k = rsaModulusBytes(key);
  if (k < PKCS1_OVERHEAD) throw new DecryptionFailedError();
  const em = rawRsaPrivate(key, c); // length ≠ k or c ≥ n: public, thrown here

  // §7.1: KDK = HMAC-SHA256(SHA256(I2OSP(d, k)), C). C is exactly k bytes here.
  const kdk = createHmac('sha256', implicitRejectionSecret(key)).update(c).digest();

  // §7.2 step 3: the synthetic message (k bytes, of which the last `synthLen` are used) and its length.
  const synthetic = prf(kdk, 'message', k * 8);
  const candidates = prf(kdk, 'length', LENGTH_CANDIDATES * 16);
  // Longest message PKCS#1 v1.5 can carry is k - 11 bytes; candidates < k - 10 are accepted.
  const maxSepOffset = k - 2 - 8;
  let lenMask = maxSepOffset;
  lenMask |= lenMask >>> 1;
  lenMask |= lenMask >>> 2;
  lenMask |= lenMask >>> 4;
  lenMask |= lenMask >>> 8;
  let synthLen = 0;
  for (let i = 0; i < LENGTH_CANDIDATES * 2; i += 2) {
    const cand = ((candidates[i]! << 8) | candidates[i + 1]!) & lenMask;
    // The last candidate that fits wins (as in the draft and OpenSSL), chosen without a branch.
    synthLen = ctSelect(ctLt(cand, maxSepOffset), cand, synthLen);
  }

  // RFC 8017 §7.2.2 step 3, branch-free: EM = 0x00 || 0x02 || PS || 0x00 || M with |PS| ≥ 8.
  let good = ctIsZero(em[0]!) & ctEq(em[1]!, 2);
  let found = 0;
  let zeroIndex = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ctIsZero(em[i]!);
    zeroIndex = ctSelect(~found & isZero, i, zeroIndex);
    found |= isZero;
  }
  // PS must be at least 8 bytes; when no separator was found zeroIndex is 0 and this fails too.
  good &= ctGe(zeroIndex, 2 + 8);

  const msgIndex = ctSelect(good, zeroIndex + 1, k - synthLen);
  // Take every byte from one source or the other, then move the message to the front in constant time.
  const buf = new Uint8Array(k);
  for (let i = 0; i < k; i++) buf[i] = ctSelect(good, em[i]!, synthetic[i]!);
  ctShiftLeft(buf, msgIndex);
  em.fill(0);
  return { buf, len: k - msgIndex };
}

/**
 * RSAES-PKCS1-v1_5 decryption with implicit rejection, exactly as draft-irtf-cfrg-rsa-guidance §7.2:
 * bad padding returns the deterministic synthetic message, never an error. Throws DecryptionFailedError
 * only for publicly invalid input (ciphertext length ≠ k, or ciphertext ≥ n).
 */
export function pkcs1v15DecryptImplicit(key: KeyObject, c: Uint8Array): Uint8Array {
  const { buf, len } = decryptImplicit(key, c);
  const out = buf.slice(0, len);
  buf.fill(0);
  return out;
}

/**
 * Unwraps a CMS content-encryption key transported with rsaEncryption (RFC 5652 §6.2.1, RFC 3370 §4.2.1).
 * When the decrypted message is not exactly `cekLength` bytes — which is what bad padding almost always
 * gives, via the synthetic message — a random key of `cekLength` bytes is returned instead
 * (RFC 3218 §2.3.2), chosen byte by byte without a branch. The content decryption then fails like any
 * wrong key would, and the caller reports one DecryptionFailedError for all of it.
 *
 * Throws DecryptionFailedError only when the ciphertext's length is not k or it is ≥ n (public facts).
 */
export function unwrapPkcs1Cek(key: KeyObject, c: Uint8Array, cekLength: number): Uint8Array {
  // Drawn before decoding, whatever the outcome, so that its cost is the same on every path.
  const fallback = randomBytes(cekLength);
  const { buf, len } = decryptImplicit(key, c);
  const out = ctSelectKey(-1, buf, len, fallback);
  buf.fill(0);
  fallback.fill(0);
  return out;
}

/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1). node's publicEncrypt does it (only private decryption
 * with this padding is refused by Node 20), with fresh non-zero random padding from OpenSSL.
 */
export function pkcs1v15Encrypt(pub: KeyObject, m: Uint8Array): Uint8Array {
  const k = rsaModulusBytes(pub);
  // RFC 8017 §7.2.1 step 1: "message too long" — with a CEK of at most 32 bytes, only a tiny key gets here.
  if (m.length > k - PKCS1_OVERHEAD) throw new BadRecipientCertificateError(`rsa key of ${k * 8} bits is too small to carry a ${m.length}-byte key`);
  return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, m);
}
