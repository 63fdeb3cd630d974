/**
 * ECDSA signature malleability for the replay tests: (r, s) and (r, n − s) are both valid signatures over the
 * same bytes (SEC 1 §4.1.4 checks neither form), so anyone holding a signed message can make a second one
 * with the same signed attributes and a different signature value. The replay cache must still see it as
 * the same message (docs/replay.md).
 *
 * Reads the message with the interop harness's independent BER reader (test/interop/ber.ts), not p7m's.
 */
import { type BerNode, parseBer } from '../interop/ber.js';

/** Group orders (SEC 2 §2.4.2, §2.5.1). */
const ORDERS: Record<number, bigint> = {
  32: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, // P-256
  48: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n, // P-384
};

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const b: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
  return Uint8Array.of(0x80 | b.length, ...b);
}
const tlv = (tag: number, body: Uint8Array): Uint8Array => Buffer.concat([Uint8Array.of(tag), derLength(body.length), body]);

function intBytes(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const b = Buffer.from(hex, 'hex');
  return b[0]! & 0x80 ? Buffer.concat([Uint8Array.of(0), b]) : b; // X.690 §8.3: a positive INTEGER
}
const intValue = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);

/** The ECDSA-Sig-Value (RFC 5480 §2.2.3 / RFC 5753 §7.2) with s replaced by n − s, for a P-256 or P-384 key. */
export function malleateEcdsaSigValue(sig: Uint8Array, fieldBytes: 32 | 48): Uint8Array {
  const n = ORDERS[fieldBytes]!;
  const seq = parseBer(sig);
  const [r, s] = seq.children as [BerNode, BerNode];
  const sValue = intValue(sig.subarray(s.contentStart, s.contentEnd));
  const twin = n - sValue;
  if (twin === sValue || sValue <= 0n || sValue >= n) throw new Error('not a malleable ECDSA signature');
  return tlv(0x30, Buffer.concat([sig.subarray(r.start, r.end), tlv(0x02, intBytes(twin))]));
}

/** Rebuilds `node` with `target` replaced by `replacement`, fixing every enclosing definite length. */
function rewrite(buf: Uint8Array, node: BerNode, target: BerNode, replacement: Uint8Array): Uint8Array {
  if (node === target) return replacement;
  if (target.start < node.start || target.end > node.end || !node.constructed) return buf.subarray(node.start, node.end);
  const body = Buffer.concat(node.children.map((c) => rewrite(buf, c, target, replacement)));
  if (node.indefinite) return Buffer.concat([Uint8Array.of(node.tag, 0x80), body, Uint8Array.of(0, 0)]);
  return tlv(node.tag, body);
}

/**
 * A ContentInfo(SignedData) with one ECDSA signer, its signature value replaced by the malleated twin; every
 * other byte of the message (content, certificates, signed attributes) is kept.
 */
export function malleateSignedData(der: Uint8Array, fieldBytes: 32 | 48): Uint8Array {
  const ci = parseBer(der);
  const signedData = ci.children[1]!.children[0]!;
  const signerInfos = signedData.children[signedData.children.length - 1]!;
  if (signerInfos.tag !== 0x31 || signerInfos.children.length !== 1) throw new Error('expected one SignerInfo');
  const si = signerInfos.children[0]!;
  const sigNode = si.children.find((c) => c.tag === 0x04);
  if (!sigNode) throw new Error('no signature value');
  const sig = der.subarray(sigNode.contentStart, sigNode.contentEnd);
  return new Uint8Array(rewrite(der, ci, sigNode, tlv(0x04, malleateEcdsaSigValue(sig, fieldBytes))));
}
