/**
 * RC2 (RFC 2268), decrypt-side, for one purpose: reading the certificate bags of PKCS#12 files written by Windows
 * and by OpenSSL before 3.0, which encrypt them with pbeWithSHAAnd40BitRC2-CBC (RFC 7292 Appendix C). node:crypto's
 * OpenSSL 3 keeps RC2 in the legacy provider, which Node does not load.
 *
 * Never used to protect anything: 40-bit RC2 is broken. Encryption exists only so the tests can round-trip.
 */

/** RFC 2268 §2: PITABLE, a permutation of 0..255 derived from the digits of pi. */
const PITABLE = Uint8Array.from(Buffer.from(
  'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2' +
  '179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82' +
  '54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626' +
  '6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7' +
  '08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec' +
  'c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
  '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9' +
  '0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad',
  'hex',
));

/** RFC 2268 §2 key expansion: `key` of 1..128 bytes, `effectiveBits` T1 in 1..1024. Returns K[0..63]. */
export function rc2ExpandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const T = key.length;
  if (T < 1 || T > 128) throw new RangeError('RC2 key must be 1..128 bytes');
  if (!Number.isInteger(effectiveBits) || effectiveBits < 1 || effectiveBits > 1024) {
    throw new RangeError('RC2 effective key bits must be 1..1024');
  }
  const L = new Uint8Array(128);
  L.set(key);
  for (let i = T; i < 128; i++) L[i] = PITABLE[(L[i - 1]! + L[i - T]!) & 0xff]!;
  const T8 = (effectiveBits + 7) >> 3;
  const TM = 0xff >> (8 * T8 - effectiveBits);
  L[128 - T8] = PITABLE[L[128 - T8]! & TM]!;
  for (let i = 127 - T8; i >= 0; i--) L[i] = PITABLE[L[i + 1]! ^ L[i + T8]!]!;
  const K = new Uint16Array(64);
  for (let i = 0; i < 64; i++) K[i] = L[2 * i]! | (L[2 * i + 1]! << 8);
  return K;
}

const S = [1, 2, 3, 5];

/** RFC 2268 §3: encrypts one 8-byte block in place (little-endian 16-bit words). */
export function rc2EncryptBlock(K: Uint16Array, b: Uint8Array, off = 0): void {
  const R = [b[off]! | (b[off + 1]! << 8), b[off + 2]! | (b[off + 3]! << 8), b[off + 4]! | (b[off + 5]! << 8), b[off + 6]! | (b[off + 7]! << 8)];
  let j = 0;
  const mix = (): void => {
    for (let i = 0; i < 4; i++) {
      const x = (R[i]! + K[j++]! + (R[(i + 3) & 3]! & R[(i + 2) & 3]!) + (~R[(i + 3) & 3]! & R[(i + 1) & 3]!)) & 0xffff;
      R[i] = ((x << S[i]!) | (x >> (16 - S[i]!))) & 0xffff;
    }
  };
  const mash = (): void => {
    for (let i = 0; i < 4; i++) R[i] = (R[i]! + K[R[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  for (let r = 0; r < 5; r++) mix();
  mash();
  for (let r = 0; r < 6; r++) mix();
  mash();
  for (let r = 0; r < 5; r++) mix();
  for (let i = 0; i < 4; i++) {
    b[off + 2 * i] = R[i]! & 0xff;
    b[off + 2 * i + 1] = R[i]! >> 8;
  }
}

/** RFC 2268 §4: decrypts one 8-byte block in place. */
export function rc2DecryptBlock(K: Uint16Array, b: Uint8Array, off = 0): void {
  const R = [b[off]! | (b[off + 1]! << 8), b[off + 2]! | (b[off + 3]! << 8), b[off + 4]! | (b[off + 5]! << 8), b[off + 6]! | (b[off + 7]! << 8)];
  let j = 63;
  const rmix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const x = R[i]!;
      const y = ((x >> S[i]!) | (x << (16 - S[i]!))) & 0xffff;
      R[i] = (y - K[j--]! - (R[(i + 3) & 3]! & R[(i + 2) & 3]!) - (~R[(i + 3) & 3]! & R[(i + 1) & 3]!)) & 0xffff;
    }
  };
  const rmash = (): void => {
    for (let i = 3; i >= 0; i--) R[i] = (R[i]! - K[R[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  for (let r = 0; r < 5; r++) rmix();
  rmash();
  for (let r = 0; r < 6; r++) rmix();
  rmash();
  for (let r = 0; r < 5; r++) rmix();
  for (let i = 0; i < 4; i++) {
    b[off + 2 * i] = R[i]! & 0xff;
    b[off + 2 * i + 1] = R[i]! >> 8;
  }
}

/**
 * RC2-CBC decryption with PKCS#5 padding removal. Returns null when the padding is bad (the caller decides what a
 * wrong password looks like); throws RangeError on a ciphertext that is not whole blocks.
 */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
  if (iv.length !== 8) throw new RangeError('RC2 IV must be 8 bytes');
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) throw new RangeError('RC2-CBC ciphertext is not whole blocks');
  const K = rc2ExpandKey(key, effectiveBits);
  const out = new Uint8Array(ciphertext);
  let prev = iv;
  for (let off = 0; off < out.length; off += 8) {
    const c = ciphertext.subarray(off, off + 8);
    rc2DecryptBlock(K, out, off);
    for (let i = 0; i < 8; i++) out[off + i]! ^= prev[i]!;
    prev = c;
  }
  const pad = out[out.length - 1]!;
  let bad = pad === 0 || pad > 8 ? 1 : 0;
  for (let i = 1; i <= 8; i++) if (i <= pad && out[out.length - i] !== pad) bad = 1;
  return bad ? null : out.subarray(0, out.length - pad);
}

/** RC2-CBC encryption with PKCS#5 padding (tests only). */
export function rc2CbcEncrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (iv.length !== 8) throw new RangeError('RC2 IV must be 8 bytes');
  const K = rc2ExpandKey(key, effectiveBits);
  const pad = 8 - (plaintext.length % 8);
  const out = new Uint8Array(plaintext.length + pad);
  out.set(plaintext);
  out.fill(pad, plaintext.length);
  let prev = iv;
  for (let off = 0; off < out.length; off += 8) {
    for (let i = 0; i < 8; i++) out[off + i]! ^= prev[i]!;
    rc2EncryptBlock(K, out, off);
    prev = out.subarray(off, off + 8);
  }
  return out;
}
