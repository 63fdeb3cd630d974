/**
 * parseBer (src/format/asn1.ts) made strict for what src/signed/ reads:
 *  - asn1js lets a child run past the end of its parent's definite length (30 02 02 01 01 inside a
 *    SET of the right total length parses); X.690 §8.1.1 says the contents are exactly `length` octets,
 *    so every definite-length node is checked to be exactly as long as its header says;
 *  - asn1js throws plain Errors from some value decoders (a malformed GeneralizedTime inside a BIT
 *    STRING): any non-p7m error while parsing is a MalformedInputError.
 * (Both belong in parseBer itself; until then this wrapper is the boundary.)
 */
import { MalformedInputError, P7mError } from '../errors.js';
import { type Node, type ParseLimits, parseBer } from '../format/asn1.js';

export type { Node };

export function parseStrict(bytes: Uint8Array, what: string, limits?: Partial<ParseLimits>): Node {
  let n: Node;
  try {
    n = parseBer(bytes, what, limits);
  } catch (e) {
    if (e instanceof P7mError) throw e;
    throw new MalformedInputError(`malformed ${what}`, { cause: e });
  }
  checkLengths(n, what, 0);
  return n;
}

interface Lengths {
  blockLength: number;
  idBlock: { blockLength: number };
  lenBlock: { blockLength: number; length: number; isIndefiniteForm: boolean };
  valueBlock: { value?: unknown };
}

function checkLengths(n: Node, what: string, depth: number): void {
  const x = n as unknown as Lengths;
  if (!x.lenBlock.isIndefiniteForm && x.blockLength !== x.idBlock.blockLength + x.lenBlock.blockLength + x.lenBlock.length) {
    throw new MalformedInputError(`malformed ${what}: an element overruns its enclosing length`);
  }
  if (n.idBlock.isConstructed && Array.isArray(x.valueBlock.value) && depth < 256) {
    for (const c of x.valueBlock.value as Node[]) checkLengths(c, what, depth + 1);
  }
}
