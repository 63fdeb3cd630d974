/**
 * A lenient BER walker for the fuzzer: finds every element of a (valid or half-valid) encoding, so that
 * mutations can aim at headers and lengths, and splices can move whole elements between messages.
 * Never throws: it records what it could read and stops at the first thing it cannot.
 */
export interface Element {
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Identifier octets (1, or more for high tag numbers). */
  readonly tagLen: number;
  /** Identifier plus length octets. */
  readonly hdrLen: number;
  readonly tag: number;
  readonly constructed: boolean;
  /** null: indefinite. */
  readonly len: number | null;
  /** Offset just past the element (past its end-of-contents when indefinite). */
  readonly end: number;
  readonly depth: number;
}

export function walk(b: Uint8Array, maxElements = 5000): Element[] {
  const out: Element[] = [];
  // Returns the offset after the children, or -1 on anything unreadable.
  const children = (pos: number, limit: number, indefinite: boolean, depth: number): number => {
    while (pos < limit && out.length < maxElements) {
      if (indefinite && b[pos] === 0 && b[pos + 1] === 0) return pos + 2;
      const start = pos;
      const tag = b[pos]!;
      let p = pos + 1;
      if ((tag & 0x1f) === 0x1f) { while (p < limit && (b[p]! & 0x80)) p++; p++; }
      const tagLen = p - start;
      if (p >= limit) return -1;
      const first = b[p++]!;
      let len: number | null;
      if (first < 0x80) len = first;
      else if (first === 0x80) len = null;
      else {
        const n = first & 0x7f;
        if (n > 6 || p + n > limit) return -1;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
      }
      const hdrLen = p - start;
      const constructed = (tag & 0x20) !== 0;
      let end: number;
      const index = out.length;
      out.push({ start, tagLen, hdrLen, tag, constructed, len, end: -1, depth });
      if (len === null) {
        if (!constructed) return -1;
        end = children(p, limit, true, depth + 1);
        if (end < 0) { (out[index] as { end: number }).end = limit; return -1; }
      } else {
        end = p + len;
        if (end > limit) { (out[index] as { end: number }).end = limit; return -1; }
        if (constructed && len > 0) children(p, end, false, depth + 1);
      }
      (out[index] as { end: number }).end = end;
      pos = end;
    }
    return indefinite ? -1 : pos;
  };
  children(0, b.length, false, 0);
  return out;
}

/** Length octets for `n` (a number or bigint), minimal unless `width` asks for more octets. */
export function lengthOctets(n: number | bigint, width?: number): Uint8Array {
  let v = BigInt(n);
  if (width === undefined && v < 0x80n) return Uint8Array.of(Number(v));
  const bytes: number[] = [];
  while (v > 0n) { bytes.unshift(Number(v & 0xffn)); v >>= 8n; }
  while (width !== undefined && bytes.length < width) bytes.unshift(0);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The encoding with element `e`'s length octets replaced by `len`. */
export function withLength(b: Uint8Array, e: Element, len: Uint8Array): Uint8Array {
  return concat(b.subarray(0, e.start + e.tagLen), len, b.subarray(e.start + e.hdrLen));
}

/** The encoding with bytes [from, to) replaced by `by`. */
export function replaceRange(b: Uint8Array, from: number, to: number, by: Uint8Array): Uint8Array {
  return concat(b.subarray(0, from), by, b.subarray(to));
}

/** Definite-length TLV (DER lengths). */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), lengthOctets(body.length), body);
}
