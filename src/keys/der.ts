/**
 * A small BER/DER reader for the structures src/keys/ reads: X.509 certificates, PKCS#1/#8 keys and PKCS#12.
 *
 * Why not asn1js: importing it costs ~45 ms (pkijs ~90 ms) on every cold start of the CLI, and the byte-exact
 * slices needed here (issuer Name, serial INTEGER, the MACed authSafe octets) fall out of a TLV walk for free.
 * The reader never copies: every element is a view into the input.
 *
 * Two modes: 'der' (X.690 §10: definite, minimal lengths — certificates and keys) and 'ber' (indefinite lengths and
 * constructed OCTET STRINGs, which Windows and Java write inside PKCS#12).
 */
import { KeyFileError } from '../errors.js';

export type Mode = 'der' | 'ber';

/** Universal tags (identifier octet, class universal). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific [n]: constructed (EXPLICIT or IMPLICIT of a constructed type) or primitive (IMPLICIT). */
export const ctx = (n: number, constructed: boolean): number => (constructed ? 0xa0 : 0x80) | n;

const MAX_DEPTH = 32;

export interface Tlv {
  /** Identifier octet (class, constructed bit and a tag number below 31). */
  readonly tag: number;
  readonly constructed: boolean;
  /** The whole element, header included: the exact bytes as they appear in the input. */
  readonly bytes: Uint8Array;
  /** Contents octets (for an indefinite length: up to, not including, the end-of-contents octets). */
  readonly content: Uint8Array;
  readonly mode: Mode;
  readonly depth: number;
}

function fail(what: string): never {
  throw new KeyFileError(`malformed ASN.1: ${what}`);
}

/**
 * An element read from a buffer. It keeps offsets and makes its two views (`bytes`, `content`) only
 * when they are asked for: most of a certificate's ~100 elements are never looked at as bytes, and
 * each view is an object of its own (see parse()).
 */
class Element implements Tlv {
  private bytesView: Uint8Array | undefined;
  private contentView: Uint8Array | undefined;
  constructor(
    readonly tag: number,
    readonly constructed: boolean,
    private readonly buf: Uint8Array,
    private readonly start: number,
    private readonly contentStart: number,
    private readonly contentEnd: number,
    /** Offset after the element (after the end-of-contents octets of an indefinite length). */
    readonly end: number,
    readonly mode: Mode,
    readonly depth: number,
  ) {}
  get bytes(): Uint8Array { return (this.bytesView ??= this.buf.subarray(this.start, this.end)); }
  get content(): Uint8Array { return (this.contentView ??= this.buf.subarray(this.contentStart, this.contentEnd)); }
  /** The element's children, read from the same buffer (no view of the contents is made for it). */
  childElements(): Element[] {
    const out: Element[] = [];
    for (let p = this.contentStart; p < this.contentEnd;) {
      const e = readElement(this.buf, p, this.contentEnd, this.mode, this.depth + 1);
      out.push(e);
      p = e.end;
    }
    return out;
  }
}

/** Reads one element at `offset` of `buf`, which must end by `limit`. */
function readElement(buf: Uint8Array, offset: number, limit: number, mode: Mode, depth: number): Element {
  if (depth > MAX_DEPTH) fail('nesting too deep');
  let p = offset;
  if (p >= limit) fail('truncated element');
  const tag = buf[p++]!;
  // X.690 §8.1.2.4: high tag numbers never occur in the structures read here.
  if ((tag & 0x1f) === 0x1f) fail('unexpected high tag number');
  const constructed = (tag & 0x20) !== 0;
  if (p >= limit) fail('truncated length');
  const first = buf[p++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    // X.690 §8.1.3.6: indefinite form, constructed only; DER forbids it (§10.1).
    if (mode === 'der') fail('indefinite length in DER');
    if (!constructed) fail('indefinite length on a primitive element');
    let q = p;
    for (;;) {
      if (q + 2 > limit) fail('missing end-of-contents');
      if (buf[q] === 0 && buf[q + 1] === 0) break;
      q = readElement(buf, q, limit, mode, depth + 1).end;
    }
    return new Element(tag, constructed, buf, offset, p, q, q + 2, mode, depth);
  } else {
    const n = first & 0x7f;
    if (n > 4) fail('length too large');
    if (p + n > limit) fail('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p + i]!;
    // X.690 §10.1: DER uses the fewest length octets.
    if (mode === 'der' && (buf[p] === 0 || length < 0x80)) fail('non-minimal length in DER');
    p += n;
  }
  if (p + length > limit) fail('element longer than its input');
  return new Element(tag, constructed, buf, offset, p, p + length, p + length, mode, depth);
}

/** Reads one element at `offset` of `buf`; returns it and the offset after it. */
export function readTlv(buf: Uint8Array, offset: number, mode: Mode, depth = 0): { tlv: Tlv; next: number } {
  const tlv = readElement(buf, offset, buf.length, mode, depth);
  return { tlv, next: tlv.end };
}

/** Parses `buf` as exactly one element: trailing bytes are an error. */
export function parse(buf: Uint8Array, mode: Mode): Tlv {
  const tlv = readElement(buf, 0, buf.length, mode, 0);
  if (tlv.end !== buf.length) fail('trailing bytes after the outer element');
  return tlv;
}

/** The elements inside a constructed element. */
export function children(t: Tlv): Tlv[] {
  if (!t.constructed) fail('expected a constructed element');
  if (t instanceof Element) return t.childElements();
  const out: Tlv[] = [];
  for (let p = 0; p < t.content.length;) {
    const e = readElement(t.content, p, t.content.length, t.mode, t.depth + 1);
    out.push(e);
    p = e.end;
  }
  return out;
}

/** Sequential reader over the children of a SEQUENCE (or any constructed element). */
export class Reader {
  private readonly items: Tlv[];
  private i = 0;
  constructor(t: Tlv, readonly what: string) {
    this.items = children(t);
  }
  /** The next element, which must carry `tag`. */
  next(tag: number, field = 'field'): Tlv {
    const t = this.items[this.i];
    if (!t) fail(`${this.what}: missing ${field}`);
    if (t.tag !== tag) fail(`${this.what}: unexpected tag 0x${t.tag.toString(16)} for ${field}`);
    this.i++;
    return t;
  }
  /** The next element whatever its tag (CHOICE, ANY). */
  any(field = 'field'): Tlv {
    const t = this.items[this.i];
    if (!t) fail(`${this.what}: missing ${field}`);
    this.i++;
    return t;
  }
  /** The next element if it carries `tag`, else undefined (OPTIONAL / DEFAULT). */
  optional(tag: number): Tlv | undefined {
    const t = this.items[this.i];
    if (t && t.tag === tag) {
      this.i++;
      return t;
    }
    return undefined;
  }
  get done(): boolean {
    return this.i >= this.items.length;
  }
  /** Ignores whatever follows (extensibility: `...` in the ASN.1 module). */
  rest(): Tlv[] {
    const r = this.items.slice(this.i);
    this.i = this.items.length;
    return r;
  }
  end(): void {
    if (!this.done) fail(`${this.what}: unexpected trailing field`);
  }
}

export function seq(t: Tlv, what: string): Reader {
  if (t.tag !== TAG.SEQUENCE) fail(`${what}: expected a SEQUENCE`);
  return new Reader(t, what);
}

/** OCTET STRING contents; in BER a constructed OCTET STRING is the concatenation of its segments (X.690 §8.7.3). */
export function octets(t: Tlv, tag: number = TAG.OCTET_STRING): Uint8Array {
  if (t.tag === tag) return t.content;
  if (t.mode === 'ber' && t.tag === (tag | 0x20)) {
    const parts = children(t).map((c) => octets(c, TAG.OCTET_STRING));
    return Buffer.concat(parts);
  }
  fail('expected an OCTET STRING');
}

export function oid(t: Tlv): string {
  if (t.tag !== TAG.OID) fail('expected an OBJECT IDENTIFIER');
  const b = t.content;
  if (b.length === 0 || b.length > 64) fail('bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (v === 0 && c === 0x80) fail('non-minimal OBJECT IDENTIFIER arc');
    v = v * 128 + (c & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) fail('OBJECT IDENTIFIER arc too large');
    if ((c & 0x80) === 0) {
      if (arcs.length === 0) {
        const x = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(x, v - 40 * x);
      } else arcs.push(v);
      v = 0;
    } else if (i === b.length - 1) fail('truncated OBJECT IDENTIFIER');
  }
  return arcs.join('.');
}

/** INTEGER contents octets, exactly as encoded (two's complement, big-endian). */
export function integerBytes(t: Tlv): Uint8Array {
  if (t.tag !== TAG.INTEGER) fail('expected an INTEGER');
  const b = t.content;
  if (b.length === 0) fail('empty INTEGER');
  // X.690 §8.3.2: the first nine bits are never all zero or all one — in BER as in DER.
  if (b.length > 1 && ((b[0] === 0 && (b[1]! & 0x80) === 0) || (b[0] === 0xff && (b[1]! & 0x80) !== 0))) {
    fail('non-minimal INTEGER');
  }
  return b;
}

/** A non-negative INTEGER that fits a JavaScript number (versions, iteration counts, key lengths). */
export function smallInt(t: Tlv): number {
  const b = integerBytes(t);
  if (b[0]! & 0x80) fail('negative INTEGER where a count was expected');
  if (b.length > 7) fail('INTEGER too large');
  let v = 0;
  for (const c of b) v = v * 256 + c;
  return v;
}

export function boolean(t: Tlv): boolean {
  if (t.tag !== TAG.BOOLEAN || t.content.length !== 1) fail('expected a BOOLEAN');
  return t.content[0] !== 0;
}

/** BIT STRING: the unused-bit count and the bit octets (primitive form only: DER, and all we meet). */
export function bitString(t: Tlv): { unused: number; bits: Uint8Array } {
  if (t.tag !== TAG.BIT_STRING) fail('expected a BIT STRING');
  const b = t.content;
  if (b.length === 0 || b[0]! > 7 || (b.length === 1 && b[0] !== 0)) fail('bad BIT STRING');
  return { unused: b[0]!, bits: b.subarray(1) };
}

/** UTCTime / GeneralizedTime as RFC 5280 §4.1.2.5 profiles them (seconds, 'Z'); fractions are tolerated. */
export function time(t: Tlv): Date {
  const s = Buffer.from(t.content).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === TAG.UTCTime) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) fail(`bad UTCTime ${JSON.stringify(s)}`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
  } else if (t.tag === TAG.GeneralizedTime) {
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(s);
    if (!m) fail(`bad GeneralizedTime ${JSON.stringify(s)}`);
    year = Number(m[1]);
  } else fail('expected a time');
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) fail(`bad date ${JSON.stringify(s)}`);
  return d;
}

/** Decodes the directory-string types found in Names (RFC 5280 §4.1.2.4); undefined for any other tag. */
export function directoryString(t: Tlv): string | undefined {
  const b = Buffer.from(t.content);
  switch (t.tag) {
    case TAG.UTF8String:
      return b.toString('utf8');
    case TAG.PrintableString:
    case TAG.IA5String:
    case TAG.TeletexString: // T.61 in theory; latin1 in every certificate that uses it
      return b.toString('latin1');
    case TAG.BMPString: {
      if (b.length % 2) fail('odd-length BMPString');
      return Buffer.from(b).swap16().toString('utf16le');
    }
    case TAG.UniversalString: {
      if (b.length % 4) fail('bad UniversalString length');
      let s = '';
      for (let i = 0; i < b.length; i += 4) {
        const cp = b.readUInt32BE(i);
        // UCS-4 beyond Unicode, or a surrogate: not a character (String.fromCodePoint would throw a RangeError).
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(`bad UniversalString character 0x${cp.toString(16)}`);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } (RFC 5280 §4.1.1.2). */
export function algorithmIdentifier(t: Tlv, what: string): { oid: string; params?: Tlv } {
  const r = seq(t, what);
  const o = oid(r.next(TAG.OID, 'algorithm'));
  const params = r.done ? undefined : r.any('parameters');
  r.end();
  return params ? { oid: o, params } : { oid: o };
}
