/**
 * Thin reading helpers over asn1js for the small structures p7m parses as trees (RecipientInfos,
 * AlgorithmIdentifiers). Every helper throws MalformedInputError with a path, never an asn1js error.
 */
import * as asn1js from 'asn1js';
import { MalformedInputError } from '../errors.js';

export type Node = asn1js.AsnType;

export interface ParseLimits { maxDepth: number; maxNodes: number; maxOidLength: number }

/** Parse exactly one BER element filling `bytes` (no trailing data). */
export function parseBer(bytes: Uint8Array, what: string, limits?: Partial<ParseLimits>): Node {
  const r = asn1js.fromBER(bytes, { maxDepth: limits?.maxDepth ?? 64, maxNodes: limits?.maxNodes ?? 200_000 });
  if (r.offset === -1 || r.result.error) {
    throw new MalformedInputError(`malformed ${what}: ${r.result.error || 'cannot decode'}`);
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
  const v = (n.valueBlock as unknown as { value: Node[] }).value;
  // asn1js keeps end-of-contents markers of indefinite encodings as children: drop them.
  return v.filter((c) => !(c instanceof asn1js.EndOfContent));
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
  if (len === 0 || len > maxLength) throw new MalformedInputError(`malformed ${what}: object identifier of ${len} bytes`);
  return (n as asn1js.ObjectIdentifier).getValue();
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
