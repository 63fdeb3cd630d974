/** AlgorithmIdentifier (RFC 5280 §4.1.1.2) as a plain object: the OID and the raw DER of its parameters. */
import { TAG, encodeOid, tlv } from './der.js';
import { type Node, oid, rawBytes, sequence } from './asn1.js';
import { concatBytes } from '../stream/ber-reader.js';

export interface AlgorithmIdentifier {
  readonly oid: string;
  /** DER of the parameters element; undefined when absent. */
  readonly params?: Uint8Array;
}

export function encodeAlgorithmIdentifier(a: AlgorithmIdentifier): Uint8Array {
  return tlv(TAG.SEQUENCE, concatBytes([encodeOid(a.oid), ...(a.params ? [a.params] : [])]));
}

export function decodeAlgorithmIdentifier(n: Node, what: string, maxOidBytes?: number): AlgorithmIdentifier {
  const f = sequence(n, what, 1, 2);
  const o = oid(f[0]!, what, maxOidBytes);
  return f[1] ? { oid: o, params: rawBytes(f[1]) } : { oid: o };
}
