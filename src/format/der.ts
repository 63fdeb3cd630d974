/**
 * Minimal DER/BER *writing* helpers for the outer layers that p7m streams itself (X.690 §8.1, §10.1).
 * Small inner structures are built with asn1js; these helpers only frame bytes whose lengths we know.
 */

export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OCTET_STRING_CONSTRUCTED: 0x24,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0_CONSTRUCTED: 0xa0,
  CONTEXT_1_CONSTRUCTED: 0xa1,
  CONTEXT_0_PRIMITIVE: 0x80,
} as const;

/** End-of-contents octets that close an indefinite-length element (X.690 §8.1.5). */
export const EOC = Uint8Array.of(0, 0);

/** DER length octets: short form below 128, else the minimal long form (X.690 §10.1). */
export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) { bytes.unshift(v % 256); v = Math.floor(v / 256); }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Header (identifier + length) for a definite-length element of `contentLength` bytes. */
export function header(tag: number, contentLength: number): Uint8Array {
  const l = derLength(contentLength);
  const out = new Uint8Array(1 + l.length);
  out[0] = tag; out.set(l, 1);
  return out;
}

/** Header of an indefinite-length constructed element. */
export function indefiniteHeader(tag: number): Uint8Array { return Uint8Array.of(tag, 0x80); }

/** Size of a whole definite element with `contentLength` bytes of content. */
export function tlvSize(contentLength: number): number { return 1 + derLength(contentLength).length + contentLength; }

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  // One allocation: header and contents written in place (this builds every RecipientInfo).
  let n = 0;
  for (const c of content) n += c.length;
  const h = header(tag, n);
  const out = new Uint8Array(h.length + n);
  out.set(h, 0);
  let o = h.length;
  for (const c of content) { out.set(c, o); o += c.length; }
  return out;
}

/** Encoded OIDs by dotted form: the same few are written for every recipient and attribute. */
const oidCache = new Map<string, Uint8Array>();

/** Contents octets of an OBJECT IDENTIFIER from dotted form (X.690 §8.19), arcs of any size. */
export function oidContent(dotted: string): Uint8Array {
  let c = oidCache.get(dotted);
  if (!c) {
    c = encodeArcs(dotted);
    if (oidCache.size < 256) oidCache.set(dotted, c);
  }
  return c.slice(); // callers own what they get
}

function encodeArcs(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => BigInt(s));
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const b: number[] = [];
    let v = arc;
    do { b.unshift(Number(v & 0x7fn)); v >>= 7n; } while (v > 0n);
    for (let i = 0; i < b.length - 1; i++) b[i]! |= 0x80;
    out.push(...b);
  }
  return Uint8Array.from(out);
}

/** DER OBJECT IDENTIFIER from dotted form. */
export function encodeOid(dotted: string): Uint8Array {
  return tlv(TAG.OID, oidContent(dotted));
}

/** DER INTEGER for a small non-negative number (versions). */
export function encodeSmallInt(n: number): Uint8Array {
  if (n < 0 || n > 127) throw new RangeError('small integer out of range');
  return Uint8Array.of(TAG.INTEGER, 1, n);
}
