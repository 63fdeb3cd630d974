/**
 * Signed attributes (RFC 5652 §5.3, §11) written and read: contentType, messageDigest, signingTime,
 * id-aa-contentIdentifier (RFC 2634 §2.7) and smimeCapabilities (RFC 8551 §2.5.2).
 *
 * The replay defence rests on two of them: signingTime bounds when a message may be accepted, and the
 * random contentIdentifier names the message in the replay cache. Both are under the signature, so a
 * replayer can neither refresh the time nor change the name.
 */
import { MalformedInputError } from '../errors.js';
import { OID, oidName } from '../oids.js';
import { type Node, children, isUniversal, octetString, oid, rawBytes, sequence, parseBer } from '../format/asn1.js';
import { TAG, encodeOid, tlv } from '../format/der.js';
import { concatBytes } from '../stream/ber-reader.js';
import { decodeTime, encodeTime } from './time.js';

/** RFC 2634 §2.7 leaves the length open; p7m writes 16 random bytes and accepts up to 256. */
export const CONTENT_IDENTIFIER_LENGTH = 16;
const MAX_CONTENT_IDENTIFIER_LENGTH = 256;

/**
 * What p7m can decrypt, most preferred first (RFC 8551 §2.5.2): AES-CBC without parameters (RFC 3565 §4),
 * RSAES-OAEP with SHA-256 parameters (RFC 4055 §4.1, what p7m writes), rsaEncryption with NULL (RFC 3370 §4.2).
 */
function smimeCapabilities(): Uint8Array {
  const sha256 = tlv(TAG.SEQUENCE, encodeOid(OID.sha256));
  const oaepSha256 = tlv(
    TAG.SEQUENCE,
    tlv(TAG.CONTEXT_0_CONSTRUCTED, sha256),
    tlv(TAG.CONTEXT_1_CONSTRUCTED, tlv(TAG.SEQUENCE, encodeOid(OID.mgf1), sha256)),
  );
  return tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, encodeOid(OID.aes256Cbc)),
    tlv(TAG.SEQUENCE, encodeOid(OID.aes192Cbc)),
    tlv(TAG.SEQUENCE, encodeOid(OID.aes128Cbc)),
    tlv(TAG.SEQUENCE, encodeOid(OID.rsaesOaep), oaepSha256),
    tlv(TAG.SEQUENCE, encodeOid(OID.rsaEncryption), Uint8Array.of(0x05, 0x00)),
  );
}

function attribute(type: string, value: Uint8Array): Uint8Array {
  return tlv(TAG.SEQUENCE, encodeOid(type), tlv(TAG.SET, value));
}

/** X.690 §11.6: the components of a DER SET OF in ascending order of their encodings. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export interface SignedAttributeValues {
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  readonly signingTime: Date;
  readonly contentIdentifier: Uint8Array;
}

/**
 * DER `SET OF Attribute` with the universal SET tag: the bytes the signature covers (RFC 5652 §5.4).
 * In the SignerInfo the same bytes are written with the tag changed to [0] IMPLICIT (0xA0).
 */
export function encodeSignedAttributes(v: SignedAttributeValues): Uint8Array {
  const attrs = [
    attribute(OID.contentType, encodeOid(v.contentType)),
    attribute(OID.signingTime, encodeTime(v.signingTime)),
    attribute(OID.messageDigest, tlv(TAG.OCTET_STRING, v.messageDigest)),
    attribute(OID.contentIdentifier, tlv(TAG.OCTET_STRING, v.contentIdentifier)),
    attribute(OID.smimeCapabilities, smimeCapabilities()),
  ].sort(compareDer);
  return tlv(TAG.SET, concatBytes(attrs));
}

/** The attributes a verifier reads. Absent ones are undefined; a present one is well formed and single. */
export interface ParsedSignedAttributes {
  readonly contentType?: string;
  readonly messageDigest?: Uint8Array;
  readonly signingTime?: Date;
  readonly contentIdentifier?: Uint8Array;
  /** The bytes the signature covers: the attributes as received, under the universal SET tag (RFC 5652 §5.4). */
  readonly signedBytes: Uint8Array;
}

/**
 * Reads a SignerInfo's signedAttrs ([0] IMPLICIT SET OF Attribute). Strict where RFC 5652 is: each
 * attribute type at most once (§5.3 for the types it names: "MUST NOT ... multiple instances"), and
 * contentType, messageDigest and signingTime with exactly one value (§11.1–§11.3). contentIdentifier
 * is held to the same rule: two values would leave the replay cache to pick one.
 */
export function parseSignedAttributes(n: Node): ParsedSignedAttributes {
  const what = 'signed attributes';
  const raw = rawBytes(n);
  // The signature covers the DER encoding; a definite length is the least a DER encoding has.
  if (raw.length < 2 || raw[1] === 0x80) throw new MalformedInputError(`malformed ${what}: indefinite length`);
  const signedBytes = new Uint8Array(raw);
  signedBytes[0] = TAG.SET;

  const seen = new Set<string>();
  const out: { -readonly [K in keyof ParsedSignedAttributes]?: ParsedSignedAttributes[K] } = {};
  const list = children(n, what);
  if (list.length === 0) throw new MalformedInputError(`malformed ${what}: empty`);
  for (const a of list) {
    const [t, valuesNode] = sequence(a, `${what} attribute`, 2, 2) as [Node, Node];
    const type = oid(t, `${what} attribute type`);
    const name = oidName(type) ?? type;
    if (seen.has(type)) throw new MalformedInputError(`malformed ${what}: ${name} appears more than once`);
    seen.add(type);
    if (!isUniversal(valuesNode, 17)) throw new MalformedInputError(`malformed ${what}: ${name} values are not a SET`);
    const values = children(valuesNode, `${what} ${name}`);
    const single = (): Node => {
      if (values.length !== 1) throw new MalformedInputError(`malformed ${what}: ${name} must have exactly one value, has ${values.length}`);
      return values[0]!;
    };
    switch (type) {
      case OID.contentType:
        out.contentType = oid(single(), `${what} contentType`);
        break;
      case OID.messageDigest:
        out.messageDigest = octetString(single(), `${what} messageDigest`);
        break;
      case OID.signingTime:
        out.signingTime = decodeTime(single(), `${what} signingTime`);
        break;
      case OID.contentIdentifier: {
        const id = octetString(single(), `${what} contentIdentifier`);
        if (id.length === 0 || id.length > MAX_CONTENT_IDENTIFIER_LENGTH) {
          throw new MalformedInputError(`malformed ${what}: contentIdentifier of ${id.length} bytes`);
        }
        out.contentIdentifier = id;
        break;
      }
      default:
        break; // smimeCapabilities and others: covered by the signature, not interpreted
    }
  }
  return { ...out, signedBytes };
}

/** Parse a stand-alone DER SET OF Attribute (tests and inspection). */
export function parseSignedAttributesDer(der: Uint8Array): ParsedSignedAttributes {
  return parseSignedAttributes(parseBer(der, 'signed attributes'));
}
