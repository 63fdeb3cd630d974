/**
 * Branch-free helpers for the padding checks in pkcs1.ts and oaep.ts.
 *
 * Why: a decryptor that takes a different path (or a different time) for "bad padding" than for "good
 * padding" is a Bleichenbacher / Manger oracle; the Marvin attack (2023) showed that even small timing
 * differences in the unpadding of RSA PKCS#1 v1.5 are enough. JavaScript gives no hard guarantee that the
 * JIT keeps these expressions branch-free, but 32-bit integer bitwise arithmetic on small integers is what
 * V8 compiles to straight-line machine code, and it keeps every secret-dependent decision out of `if`,
 * `?:`, `&&`, array lengths and loop bounds. scripts/oracle-timing.ts measures the result.
 *
 * Masks are int32: -1 (all ones) for true, 0 for false. Inputs are non-negative integers below 2^30
 * (bytes, indices, lengths): every caller stays in that range.
 */

/** -1 if x === 0, else 0 (0 ≤ x < 2^31). ~x & (x - 1) has its sign bit set only for x = 0. */
export function ctIsZero(x: number): number {
  return (~x & (x - 1)) >> 31;
}

/** -1 if a === b, else 0. */
export function ctEq(a: number, b: number): number {
  return ctIsZero(a ^ b);
}

/** -1 if a < b, else 0 (0 ≤ a, b < 2^30: the difference's sign bit is the answer). */
export function ctLt(a: number, b: number): number {
  return (a - b) >> 31;
}

/** -1 if a ≥ b, else 0. */
export function ctGe(a: number, b: number): number {
  return ~ctLt(a, b);
}

/** mask ? a : b, without a branch. */
export function ctSelect(mask: number, a: number, b: number): number {
  return (a & mask) | (b & ~mask);
}

/**
 * Moves buf[shift..] to buf[0..] in place, for a secret `shift` (0 ≤ shift ≤ buf.length), touching every
 * byte once per bit of the length: O(n log n), the same memory accesses whatever `shift` is (the
 * technique BoringSSL and OpenSSL use to copy an unpadded message out). Bytes past n - shift are left
 * as garbage; callers read only the first n - shift (none at all when shift = n, an empty message).
 */
export function ctShiftLeft(buf: Uint8Array, shift: number): void {
  const n = buf.length;
  for (let bit = 0; 1 << bit < n; bit++) {
    const step = 1 << bit;
    const m = -((shift >>> bit) & 1); // -1 when this bit of the shift is set
    for (let i = 0; i + step < n; i++) {
      buf[i] = ctSelect(m, buf[i + step]!, buf[i]!);
    }
  }
}

/**
 * Copies `len` bytes of `src` (the decoded key, already at index 0) into a fresh `outLen`-byte array when
 * `good` is -1 and `len === outLen`; otherwise returns `fallback` — all without branching on either.
 * RFC 3218 §2.3.2: on any unwrap failure carry on with a random key, so that the caller cannot tell a
 * padding failure from a later content-decryption failure. `outLen` and `src.length` are public.
 */
export function ctSelectKey(good: number, src: Uint8Array, len: number, fallback: Uint8Array): Uint8Array {
  const outLen = fallback.length;
  const ok = good & ctEq(len, outLen);
  const out = new Uint8Array(outLen);
  for (let i = 0; i < outLen; i++) {
    // i and src.length are public; when outLen > src.length the length check above already failed.
    const s = i < src.length ? src[i]! : 0;
    out[i] = ctSelect(ok, s, fallback[i]!);
  }
  return out;
}

/** -1 if a and b (same public length) are equal, else 0; reads every byte. */
export function ctBytesEq(a: Uint8Array, b: Uint8Array): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return ctIsZero(diff) & ctEq(a.length, b.length);
}
