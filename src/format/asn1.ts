/**
 * Thin reading helpers over asn1js for the small structures p7m parses as trees (RecipientInfos,
 * AlgorithmIdentifiers). Every helper throws MalformedInputError with a path (LimitExceededError past a
 * limit), never an asn1js error; parseBer checks the BER structure itself (scanBer) before asn1js sees it.
 */
import { createRequire } from 'node:module';
import type * as Asn1js from 'asn1js';
import { LimitExceededError, MalformedInputError } from '../errors.js';

export type Node = Asn1js.AsnType;

/**
 * asn1js is loaded on first parse, not at import: encryption only writes DER (src/format/der.ts) and
 * must not pay the 45–120 ms of loading a parser. Node ≥ 20.19 loads this ES module synchronously.
 */
let lib: typeof Asn1js | undefined;
function asn1js(): typeof Asn1js {
  return (lib ??= createRequire(import.meta.url)('asn1js') as typeof Asn1js);
}

export interface ParseLimits { maxDepth: number; maxNodes: number; maxOidLength: number }

/** asn1js's own limit errors (asn1js 4 `fromBER` options): a limit, not a malformation. */
const ASN1JS_LIMIT_ERRORS = new Set(['Maximum ASN.1 nesting depth exceeded', 'Maximum ASN.1 node count exceeded', 'Maximum ASN.1 content length exceeded']);

/**
 * Checks, without building anything, that `bytes` is exactly one well-formed BER element (X.690 §8.1):
 * every definite length fits inside its parent and the children fill it exactly, indefinite lengths only
 * on constructed elements and each closed by an end-of-contents, no end-of-contents anywhere else, no
 * reserved length-of-length 127, no trailing bytes. One pass over the headers, iterative (no recursion),
 * so that it costs O(size) whatever the nesting. Limits: nesting deeper than `maxDepth`, more than
 * `maxNodes` elements, or an OBJECT IDENTIFIER longer than `maxOidLength` octets is a LimitExceededError.
 *
 * parseBer runs it before asn1js, which would otherwise build objects (~2 KB and ~40 µs per element)
 * for a megabyte OID's million arcs, or let a child run past its parent's end.
 */
export function scanBer(bytes: Uint8Array, what: string, limits?: Partial<ParseLimits>): void {
  const maxDepth = limits?.maxDepth ?? 64;
  const maxNodes = limits?.maxNodes ?? Number.MAX_SAFE_INTEGER;
  const maxOid = limits?.maxOidLength ?? Number.MAX_SAFE_INTEGER;
  const bad = (m: string, at: number): never => { throw new MalformedInputError(`malformed ${what}: ${m} at byte ${at}`); };
  // Open constructed elements: end offset (null: indefinite) and the bound their children must fit in.
  const ends: (number | null)[] = [];
  const bounds: number[] = [];
  let pos = 0;
  let nodes = 0;
  for (;;) {
    while (ends.length > 0 && ends[ends.length - 1] === pos) { ends.pop(); bounds.pop(); }
    if (ends.length === 0 && nodes > 0) break;
    const bound = bounds.length > 0 ? bounds[bounds.length - 1]! : bytes.length;
    if (pos >= bound) bad(pos >= bytes.length ? 'truncated' : 'an element overruns its enclosing length', pos);
    const start = pos;
    const id = bytes[pos++]!;
    if (id === 0 && bytes[pos] === 0 && pos < bound) {
      if (ends.length === 0 || ends[ends.length - 1] !== null) bad('end-of-contents outside an indefinite-length element', start);
      pos++;
      ends.pop(); bounds.pop();
      continue;
    }
    if (id === 0) bad('malformed end-of-contents', start);
    if ((id & 0x1f) === 0x1f) {
      // High tag number (§8.1.2.4): base-128, at most 4 octets here.
      for (let n = 0; ; n++) {
        if (pos >= bound) bad('truncated identifier', start);
        if (n === 4) bad('tag number too large', start);
        if ((bytes[pos++]! & 0x80) === 0) break;
      }
    }
    if (pos >= bound) bad('truncated length', start);
    const constructed = (id & 0x20) !== 0;
    if (++nodes > maxNodes) throw new LimitExceededError(`${what}: more than ${maxNodes} elements`);
    if (ends.length > maxDepth) throw new LimitExceededError(`${what}: nesting deeper than ${maxDepth}`);
    const first = bytes[pos++]!;
    if (first === 0x80) {
      if (!constructed) bad('indefinite length on a primitive element', start);
      ends.push(null); bounds.push(bound);
      continue;
    }
    let len = first;
    if (first > 0x80) {
      const n = first & 0x7f;
      if (n === 0x7f) bad('reserved length-of-length 127', start);
      if (pos + n > bound) bad('truncated length', start);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[pos++]!;
    }
    if (len > bound - pos) bad('an element overruns its enclosing length', start);
    if (!constructed) {
      if (id === 0x06 && len > maxOid) throw new LimitExceededError(`${what}: object identifier longer than ${maxOid} bytes`);
      pos += len;
    } else if (len > 0) {
      ends.push(pos + len); bounds.push(pos + len);
    }
    if (ends.length === 0) break; // the root was primitive or empty
  }
  if (pos !== bytes.length) bad('trailing bytes', pos);
}

/**
 * The elements directly inside the one constructed element `bytes`, as views (end-of-contents left out);
 * with `max`, only their number when it is more than `max` (a million views would be garbage to
 * collect). `bytes` must have passed scanBer.
 */
export function elementsOf(bytes: Uint8Array, what: string): Uint8Array[];
export function elementsOf(bytes: Uint8Array, what: string, max: number): Uint8Array[] | number;
export function elementsOf(bytes: Uint8Array, what: string, max = Number.MAX_SAFE_INTEGER): Uint8Array[] | number {
  if ((bytes[0]! & 0x20) === 0) throw new MalformedInputError(`malformed ${what}: expected a constructed element`);
  // One pass over the headers, without allocating per element (scanBer has checked them all).
  let p = 1;
  if ((bytes[0]! & 0x1f) === 0x1f) while (bytes[p++]! & 0x80);
  const l0 = bytes[p++]!;
  let end = bytes.length - 2; // indefinite: the last two octets are the end-of-contents
  if (l0 !== 0x80) {
    let len = l0;
    if (l0 > 0x80) { len = 0; for (let i = 0; i < (l0 & 0x7f); i++) len = len * 256 + bytes[p++]!; }
    end = p + len;
  }
  const starts: number[] = [];
  let count = 0;
  let depth = 0;
  while (p < end) {
    if (depth > 0 && bytes[p] === 0 && bytes[p + 1] === 0) { depth--; p += 2; continue; }
    if (depth === 0 && ++count <= max) starts.push(p);
    let q = p + 1;
    if ((bytes[p]! & 0x1f) === 0x1f) while (bytes[q++]! & 0x80);
    const first = bytes[q++]!;
    if (first === 0x80) { depth++; p = q; continue; }
    let len = first;
    if (first > 0x80) { len = 0; for (let i = 0; i < (first & 0x7f); i++) len = len * 256 + bytes[q++]!; }
    p = q + len;
  }
  if (count > max) return count;
  return starts.map((at, i) => bytes.subarray(at, i + 1 < starts.length ? starts[i + 1] : end));
}

/**
 * Defaults of parseBer: asn1js costs about 2 KB and 40 µs per element, so 50,000 elements is ~100 MB and
 * ~2 s at worst (64 certificates of a SignedData are ~20,000). An OBJECT IDENTIFIER over 1 KiB is
 * refused before asn1js decodes its arcs; where an OID is read, oid() holds it to 64 octets.
 */
const PARSE_DEFAULTS: ParseLimits = { maxDepth: 64, maxNodes: 50_000, maxOidLength: 1024 };

/** Parse exactly one BER element filling `bytes` (no trailing data). */
export function parseBer(bytes: Uint8Array, what: string, limits?: Partial<ParseLimits>): Node {
  const l: ParseLimits = {
    maxDepth: limits?.maxDepth ?? PARSE_DEFAULTS.maxDepth,
    maxNodes: limits?.maxNodes ?? PARSE_DEFAULTS.maxNodes,
    maxOidLength: limits?.maxOidLength ?? PARSE_DEFAULTS.maxOidLength,
  };
  scanBer(bytes, what, l);
  let r: ReturnType<typeof Asn1js.fromBER>;
  try {
    r = asn1js().fromBER(bytes, { maxDepth: l.maxDepth, maxNodes: l.maxNodes });
  } catch (e) {
    // asn1js throws (rather than reporting) on some malformed values, e.g. a GeneralizedTime or
    // UTCTime whose contents are not a time ("Wrong input string for conversion").
    throw new MalformedInputError(`malformed ${what}: ${(e as Error).message ?? 'cannot decode'}`, { cause: e });
  }
  if (r.offset === -1 || r.result.error) {
    const error = r.result.error;
    if (ASN1JS_LIMIT_ERRORS.has(error)) throw new LimitExceededError(`${what}: ${error.toLowerCase()}`);
    throw new MalformedInputError(`malformed ${what}: ${error || 'cannot decode'}`);
  }
  if (r.offset !== bytes.length) throw new MalformedInputError(`malformed ${what}: trailing bytes`);
  return r.result;
}

export function tagOf(n: Node): { cls: number; num: number; constructed: boolean } {
  return { cls: n.idBlock.tagClass, num: n.idBlock.tagNumber, constructed: n.idBlock.isConstructed };
}

export function isUniversal(n: Node, num: number): boolean {
  return n.idBlock.tagClass === 1 && n.idBlock.tagNumber === num;
}

export function isContext(n: Node, num: number): boolean {
  return n.idBlock.tagClass === 3 && n.idBlock.tagNumber === num;
}

export function children(n: Node, what: string): Node[] {
  if (!n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: expected a constructed element`);
  const v = (n.valueBlock as unknown as { value: unknown }).value;
  // A constructed encoding of a type asn1js decodes as a scalar (a string, a time) has no child list.
  if (!Array.isArray(v)) throw new MalformedInputError(`malformed ${what}: unexpected constructed encoding`);
  // asn1js keeps end-of-contents markers of indefinite encodings as children: drop them. (scanBer, run
  // by parseBer, has already refused one anywhere else, e.g. inside a definite-length SET.)
  return (v as Node[]).filter((c) => !(c instanceof asn1js().EndOfContent));
}

export function sequence(n: Node, what: string, min: number, max: number): Node[] {
  if (!isUniversal(n, 16) || !n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: expected SEQUENCE`);
  const c = children(n, what);
  if (c.length < min || c.length > max) throw new MalformedInputError(`malformed ${what}: ${c.length} fields`);
  return c;
}

/** Contents octets of a primitive element, or of a constructed (BER) string by concatenation. */
export function octets(n: Node, what: string): Uint8Array {
  if (!n.idBlock.isConstructed) return new Uint8Array((n.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView);
  const parts = children(n, what).map((c) => octets(c, what));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function octetString(n: Node, what: string): Uint8Array {
  if (!isUniversal(n, 4)) throw new MalformedInputError(`malformed ${what}: expected OCTET STRING`);
  return octets(n, what);
}

export function oid(n: Node, what: string, maxLength = 64): string {
  if (!isUniversal(n, 6) || n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: expected OBJECT IDENTIFIER`);
  const len = n.lenBlock.length;
  if (len === 0) throw new MalformedInputError(`malformed ${what}: empty object identifier`);
  if (len > maxLength) throw new LimitExceededError(`${what}: object identifier longer than ${maxLength} bytes`);
  // X.690 §8.19.2: each subidentifier in as few octets as possible (no leading 80), the last octet of
  // each with bit 8 clear. asn1js reads both leniently, which would let 2.16.840.1.101.3.4.1.42 be
  // spelled several ways.
  const raw = rawBytes(n);
  const c = raw.subarray(raw.length - len);
  for (let i = 0; i < c.length; i++) {
    if (c[i] === 0x80 && (i === 0 || (c[i - 1]! & 0x80) === 0)) throw new MalformedInputError(`malformed ${what}: object identifier with a padded subidentifier`);
  }
  if (c[c.length - 1]! & 0x80) throw new MalformedInputError(`malformed ${what}: truncated object identifier`);
  return (n as Asn1js.ObjectIdentifier).getValue();
}

/** INTEGER contents octets as encoded (two's complement, big-endian). */
export function integerBytes(n: Node, what: string): Uint8Array {
  if (!isUniversal(n, 2) || n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: expected INTEGER`);
  const b = octets(n, what);
  if (b.length === 0) throw new MalformedInputError(`malformed ${what}: empty INTEGER`);
  return b;
}

export function smallInteger(n: Node, what: string): number {
  const b = integerBytes(n, what);
  if (b.length > 4 || (b[0]! & 0x80) !== 0) throw new MalformedInputError(`malformed ${what}: version out of range`);
  return b.reduce((a, x) => a * 256 + x, 0);
}

/** The element re-encoded exactly as it was read (the raw bytes asn1js saw). */
export function rawBytes(n: Node): Uint8Array {
  return new Uint8Array(n.valueBeforeDecodeView);
}
