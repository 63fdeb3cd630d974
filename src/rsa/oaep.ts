/**
 * RSAES-OAEP (RFC 8017 §7.1) key transport, as CMS uses it (RFC 3560; parameters per RFC 4055 §4).
 *
 * Decryption is raw RSA plus our own branch-free EME-OAEP decoding: RFC 8017 §7.1.2 step 3 note — the
 * decryptor must not let an opponent tell which check failed (Y ≠ 0, lHash mismatch, no 0x01 separator),
 * nor by timing (Manger's attack). Every check is folded into one mask and tested once at the end.
 */
import { constants, createHash, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { hashByName, type HashName } from '../algorithms.js';
import { BadRecipientCertificateError, DecryptionFailedError } from '../errors.js';
import { rawRsaPrivate, rawRsaPublic, rsaModulusBytes } from './raw.js';
import { ctBytesEq, ctEq, ctIsZero, ctSelect, ctSelectKey, ctShiftLeft } from './ct.js';

/**
 * The parameters of RSAES-OAEP (RFC 8017 §A.2.1, RFC 4055 §4.1): label hash, MGF1's hash, and the label
 * (pSpecified). Defaults are SHA-1, MGF1-SHA-1, empty label. src/format/oaep-params.ts reads and writes
 * them as DER.
 */
export interface OaepParams {
  readonly hash: HashName;
  readonly mgf1Hash: HashName;
  readonly label: Uint8Array;
}

/** MGF1 (RFC 8017 §B.2.1): Hash(seed || I2OSP(counter, 4)) for counter = 0, 1, …, truncated. */
function mgf1(hash: HashName, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const ctr = Buffer.alloc(4);
  for (let counter = 0, pos = 0; pos < length; counter++) {
    ctr.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(ctr).digest();
    const n = Math.min(block.length, length - pos);
    out.set(block.subarray(0, n), pos);
    pos += n;
  }
  return out;
}

function xorInto(dst: Uint8Array, mask: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i]! ^= mask[i]!;
}

interface Decoded {
  /** -1 when every check passed, else 0. */
  readonly good: number;
  /** DB shifted so that M starts at index 0 (garbage when good is 0). */
  readonly buf: Uint8Array;
  /** |M| (meaningless when good is 0). */
  readonly len: number;
}

/**
 * EME-OAEP decoding (RFC 8017 §7.1.2 step 3) without a secret-dependent branch. Returns null only for
 * facts that are public: the key too small for the hash (step 1.c), or a ciphertext whose length is not
 * k or which is ≥ n.
 */
function decode(key: KeyObject, c: Uint8Array, p: OaepParams): Decoded | null {
  const hLen = hashByName(p.hash).length;
  hashByName(p.mgf1Hash);
  const k = rsaModulusBytes(key);
  if (k < 2 * hLen + 2) return null; // §7.1.2 step 1.c
  let em: Uint8Array;
  try {
    em = rawRsaPrivate(key, c);
  } catch (e) {
    if (e instanceof DecryptionFailedError) return null;
    throw e;
  }
  const lHash = createHash(p.hash).update(p.label).digest();
  // Step 3.b: EM = Y || maskedSeed || maskedDB.
  const maskedSeed = em.subarray(1, 1 + hLen);
  const db = em.slice(1 + hLen);
  // Steps 3.c–3.f: seed = maskedSeed ⊕ MGF(maskedDB), DB = maskedDB ⊕ MGF(seed).
  const seed = maskedSeed.slice();
  xorInto(seed, mgf1(p.mgf1Hash, db, hLen));
  xorInto(db, mgf1(p.mgf1Hash, seed, k - hLen - 1));
  seed.fill(0);

  // Step 3.g: DB = lHash' || PS (zeros) || 0x01 || M; Y must be 0.
  let good = ctIsZero(em[0]!) & ctBytesEq(db.subarray(0, hLen), lHash);
  let found = 0; // set at the first non-zero byte after lHash'
  let oneIndex = 0;
  for (let i = hLen; i < db.length; i++) {
    const b = db[i]!;
    const first = ~found & ~ctIsZero(b);
    oneIndex = ctSelect(first, i, oneIndex);
    good &= ~first | ctEq(b, 1); // the first non-zero byte must be 0x01
    found |= first;
  }
  good &= found;
  em.fill(0);
  const start = ctSelect(good, oneIndex + 1, 0);
  ctShiftLeft(db, start);
  return { good, buf: db, len: db.length - start };
}

/**
 * RSAES-OAEP-DECRYPT (RFC 8017 §7.1.2). Null on any failure — wrong key, bad padding, wrong label,
 * wrong length — with no distinction between them.
 */
export function oaepDecrypt(key: KeyObject, c: Uint8Array, p: OaepParams): Uint8Array | null {
  const d = decode(key, c, p);
  if (!d) return null;
  // Only the final answer branches on validity: that answer is the output itself.
  const out = d.good !== 0 ? d.buf.slice(0, d.len) : null;
  d.buf.fill(0);
  return out;
}

/**
 * Unwraps a CMS content-encryption key transported with id-RSAES-OAEP (RFC 3560 §3). A failed decoding
 * or a key of the wrong length gives a random `cekLength`-byte key instead (RFC 3218 §2.3.2), selected
 * without a branch, so that the failure shows only later, as the same DecryptionFailedError as a wrong
 * key. A ciphertext whose length is not k (or which is ≥ n) is publicly invalid: DecryptionFailedError.
 */
export function unwrapOaepCek(key: KeyObject, c: Uint8Array, p: OaepParams, cekLength: number): Uint8Array {
  const fallback = randomBytes(cekLength);
  if (c.length !== rsaModulusBytes(key)) throw new DecryptionFailedError();
  const d = decode(key, c, p);
  const out = d ? ctSelectKey(d.good, d.buf, d.len, fallback) : Uint8Array.from(fallback);
  d?.buf.fill(0);
  fallback.fill(0);
  return out;
}

/**
 * RSAES-OAEP-ENCRYPT (RFC 8017 §7.1.1). node's publicEncrypt does OAEP with any label hash and label,
 * but always uses the same hash for MGF1; when the parameters name a different MGF1 hash, EME-OAEP
 * encoding is done here and only the raw RSA operation is node's.
 */
export function oaepEncrypt(pub: KeyObject, m: Uint8Array, p: OaepParams): Uint8Array {
  const hLen = hashByName(p.hash).length;
  hashByName(p.mgf1Hash);
  const k = rsaModulusBytes(pub);
  // §7.1.1 step 1.b: "message too long".
  if (m.length > k - 2 * hLen - 2) {
    throw new BadRecipientCertificateError(`rsa key of ${k * 8} bits is too small for oaep with ${p.hash} and a ${m.length}-byte key`);
  }
  if (p.mgf1Hash === p.hash) {
    return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: p.hash, oaepLabel: p.label }, m);
  }
  // §7.1.1 step 2: EM = 0x00 || maskedSeed || maskedDB, DB = lHash || PS || 0x01 || M.
  const db = new Uint8Array(k - hLen - 1);
  db.set(createHash(p.hash).update(p.label).digest(), 0);
  db[db.length - m.length - 1] = 0x01;
  db.set(m, db.length - m.length);
  const seed = randomBytes(hLen);
  xorInto(db, mgf1(p.mgf1Hash, seed, db.length));
  xorInto(seed, mgf1(p.mgf1Hash, db, hLen));
  const em = new Uint8Array(k);
  em.set(seed, 1);
  em.set(db, 1 + hLen);
  return rawRsaPublic(pub, em);
}
