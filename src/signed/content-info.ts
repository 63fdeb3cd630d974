/**
 * ContentInfo (RFC 5652 §3) around a whole in-memory content, for the buffer APIs that nest one CMS type in
 * another (triple wrapping). In CMS nesting the inner content is the bare type: an eContent of type
 * id-envelopedData holds an EnvelopedData, an EnvelopedData of contentType id-signedData encrypts a SignedData
 * (§5.2, §6.1); a stand-alone message is the ContentInfo.
 */
import { UnsupportedContentError } from '../errors.js';
import { oidName } from '../oids.js';
import { children, isContext, oid, rawBytes, sequence, parseBer } from '../format/asn1.js';
import { TAG, encodeOid, tlv } from '../format/der.js';

export function wrapContentInfo(contentType: string, bare: Uint8Array): Uint8Array {
  return tlv(TAG.SEQUENCE, encodeOid(contentType), tlv(TAG.CONTEXT_0_CONSTRUCTED, bare));
}

/** The content of a ContentInfo of the expected type, as encoded. */
export function unwrapContentInfo(der: Uint8Array, expected: string): Uint8Array {
  return unwrapContentInfoOf(der, [expected]).content;
}

/** The type and content of a ContentInfo whose type is one of `expected`. */
export function unwrapContentInfoOf(der: Uint8Array, expected: readonly string[]): { type: string; content: Uint8Array } {
  const [t, explicit] = sequence(parseBer(der, 'ContentInfo'), 'ContentInfo', 2, 2);
  const type = oid(t!, 'ContentInfo content type');
  if (!expected.includes(type)) {
    throw new UnsupportedContentError(`expected ${expected.map((e) => oidName(e) ?? e).join(' or ')}, got ${oidName(type) ?? type} (${type})`);
  }
  if (!isContext(explicit!, 0)) throw new UnsupportedContentError('malformed ContentInfo: no [0] content');
  const inner = children(explicit!, 'ContentInfo content');
  if (inner.length !== 1) throw new UnsupportedContentError('malformed ContentInfo: [0] must hold one element');
  return { type, content: rawBytes(inner[0]!) };
}
