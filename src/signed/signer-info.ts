/**
 * SignerInfo (RFC 5652 §5.3) to and from plain objects, and the SignedData framing around a streamed
 * content (§5.1, §5.2). ASN.1 only: the signing and checking live in sign.ts and verify.ts.
 *
 *   SignerInfo ::= SEQUENCE {
 *     version CMSVersion, sid SignerIdentifier, digestAlgorithm DigestAlgorithmIdentifier,
 *     signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL, signatureAlgorithm SignatureAlgorithmIdentifier,
 *     signature SignatureValue, unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
 */
import { MalformedInputError } from '../errors.js';
import type { CertInfo } from '../keys/certificate.js';
import { OID } from '../oids.js';
import { type Node, integerBytes, isContext, isUniversal, octetString, octets, sequence, smallInteger, rawBytes, parseBer } from '../format/asn1.js';
import { type AlgorithmIdentifier, decodeAlgorithmIdentifier, encodeAlgorithmIdentifier } from '../format/algorithm-identifier.js';
import { EOC, TAG, encodeOid, encodeSmallInt, header, indefiniteHeader, tlv } from '../format/der.js';
import { concatBytes } from '../stream/ber-reader.js';

/** SignerIdentifier (§5.3): version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier. */
export type SignerId =
  | { readonly kind: 'issuerSerial'; readonly issuerDer: Uint8Array; readonly serial: Uint8Array }
  | { readonly kind: 'ski'; readonly ski: Uint8Array };

export interface SignerInfo {
  readonly version: number;
  readonly sid: SignerId;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** The [0] element as parsed; undefined when the signer signed the content itself (no attributes). */
  readonly signedAttrs?: Node;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

/** The certificate a SignerInfo's sid names (RFC 5652 §5.3): by subject key identifier, or issuer and serial. */
export function signerCertificate(sid: SignerId, certs: readonly CertInfo[]): CertInfo | undefined {
  return certs.find((c) => sid.kind === 'ski'
    ? c.subjectKeyIdentifier !== undefined && Buffer.compare(c.subjectKeyIdentifier, sid.ski) === 0
    : Buffer.compare(c.issuerDer, sid.issuerDer) === 0 && Buffer.compare(c.serial, sid.serial) === 0);
}

export function decodeSignerInfo(der: Uint8Array): SignerInfo {
  const what = 'SignerInfo';
  const f = sequence(parseBer(der, what, { maxDepth: 32 }), what, 5, 7);
  const version = smallInteger(f[0]!, `${what} version`);
  const sidNode = f[1]!;
  let sid: SignerId;
  if (isUniversal(sidNode, 16)) {
    const [issuer, serial] = sequence(sidNode, `${what} issuerAndSerialNumber`, 2, 2) as [Node, Node];
    if (!isUniversal(issuer, 16)) throw new MalformedInputError(`malformed ${what}: issuer is not a Name`);
    sid = { kind: 'issuerSerial', issuerDer: rawBytes(issuer), serial: integerBytes(serial, `${what} serialNumber`) };
    if (version !== 1) throw new MalformedInputError(`malformed ${what}: version ${version} with issuerAndSerialNumber`);
  } else if (isContext(sidNode, 0) && !sidNode.idBlock.isConstructed) {
    sid = { kind: 'ski', ski: octets(sidNode, `${what} subjectKeyIdentifier`) };
    if (version !== 3) throw new MalformedInputError(`malformed ${what}: version ${version} with subjectKeyIdentifier`);
  } else {
    throw new MalformedInputError(`malformed ${what}: unknown signer identifier`);
  }
  const digestAlgorithm = decodeAlgorithmIdentifier(f[2]!, `${what} digestAlgorithm`);
  let i = 3;
  let signedAttrs: Node | undefined;
  if (isContext(f[i]!, 0)) {
    if (!f[i]!.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: signedAttrs`);
    signedAttrs = f[i++]!;
  }
  const signatureAlgorithm = decodeAlgorithmIdentifier(f[i++]!, `${what} signatureAlgorithm`);
  if (!f[i]) throw new MalformedInputError(`malformed ${what}: no signature`);
  const signature = octetString(f[i++]!, `${what} signature`);
  if (f[i] && !isContext(f[i]!, 1)) throw new MalformedInputError(`malformed ${what}: unexpected element after the signature`);
  if (f.length > i + 1) throw new MalformedInputError(`malformed ${what}: trailing elements`);
  return { version, sid, digestAlgorithm, ...(signedAttrs ? { signedAttrs } : {}), signatureAlgorithm, signature };
}

export function encodeSignerId(sid: SignerId): Uint8Array {
  if (sid.kind === 'ski') return tlv(TAG.CONTEXT_0_PRIMITIVE, sid.ski);
  return tlv(TAG.SEQUENCE, sid.issuerDer, tlv(TAG.INTEGER, sid.serial));
}

/** @param signedAttrsDer the DER SET OF Attribute (tag 0x31), re-tagged [0] IMPLICIT here. */
export function encodeSignerInfo(s: {
  sid: SignerId;
  digestAlgorithm: AlgorithmIdentifier;
  signedAttrsDer: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
}): Uint8Array {
  const attrs = new Uint8Array(s.signedAttrsDer);
  attrs[0] = TAG.CONTEXT_0_CONSTRUCTED;
  return tlv(
    TAG.SEQUENCE,
    encodeSmallInt(s.sid.kind === 'ski' ? 3 : 1),
    encodeSignerId(s.sid),
    encodeAlgorithmIdentifier(s.digestAlgorithm),
    attrs,
    encodeAlgorithmIdentifier(s.signatureAlgorithm),
    tlv(TAG.OCTET_STRING, s.signature),
  );
}

/**
 * SignedData version (RFC 5652 §5.1), for what p7m writes (no attribute or other certificates, no
 * other CRLs): 3 when a SignerInfo is version 3 or the content is not id-data, else 1.
 */
export function signedDataVersion(eContentType: string, sid: SignerId): number {
  return sid.kind === 'ski' || eContentType !== OID.data ? 3 : 1;
}

export interface SignedDataParts {
  readonly version: number;
  readonly digestAlgorithm: AlgorithmIdentifier;
  readonly eContentType: string;
  readonly certificates: readonly Uint8Array[];
  /** DER CRLs for the crls [1] field (RFC 5652 §10.2.1), so that a receiver can check revocation. */
  readonly crls?: readonly Uint8Array[];
  readonly signerInfo: Uint8Array;
}

/** [1] IMPLICIT RevocationInfoChoices, omitted when empty (OPTIONAL). */
function crlSet(crls: readonly Uint8Array[] | undefined): Uint8Array {
  return !crls || crls.length === 0 ? new Uint8Array(0) : tlv(0xa1, concatBytes(crls));
}

function certificateSet(certs: readonly Uint8Array[]): Uint8Array {
  // [0] IMPLICIT CertificateSet; omitted when empty (the field is OPTIONAL and SIZE is not constrained).
  return certs.length === 0 ? new Uint8Array(0) : tlv(TAG.CONTEXT_0_CONSTRUCTED, concatBytes(certs));
}

/**
 * The whole ContentInfo(SignedData) in DER, content (if any) in one primitive OCTET STRING.
 * `bare`: the SignedData alone, as the content of an EnvelopedData of type id-signedData (RFC 5652 §6.1).
 */
export function encodeSignedData(p: SignedDataParts, content: Uint8Array | null, bare = false): Uint8Array {
  const encap = tlv(
    TAG.SEQUENCE,
    encodeOid(p.eContentType),
    ...(content ? [tlv(TAG.CONTEXT_0_CONSTRUCTED, tlv(TAG.OCTET_STRING, content))] : []),
  );
  const sd = tlv(
    TAG.SEQUENCE,
    encodeSmallInt(p.version),
    tlv(TAG.SET, encodeAlgorithmIdentifier(p.digestAlgorithm)),
    encap,
    certificateSet(p.certificates),
    crlSet(p.crls),
    tlv(TAG.SET, p.signerInfo),
  );
  return bare ? sd : tlv(TAG.SEQUENCE, encodeOid(OID.signedData), tlv(TAG.CONTEXT_0_CONSTRUCTED, sd));
}

/**
 * Indefinite-length framing (X.690 §8.1.3.6), what `openssl cms -stream` writes: the header ends with the
 * opening of a constructed OCTET STRING (or, detached, with the closed EncapsulatedContentInfo); each chunk
 * becomes one primitive OCTET STRING segment; the trailer closes everything and carries certificates and
 * signerInfos, which are known only once the content has been hashed. `bare` as for encodeSignedData.
 */
export function signedDataStreamHeader(p: Omit<SignedDataParts, 'certificates' | 'signerInfo'>, detached: boolean, bare = false): Uint8Array {
  return concatBytes([
    ...(bare ? [] : [indefiniteHeader(TAG.SEQUENCE), encodeOid(OID.signedData), indefiniteHeader(TAG.CONTEXT_0_CONSTRUCTED)]),
    indefiniteHeader(TAG.SEQUENCE),
    encodeSmallInt(p.version),
    tlv(TAG.SET, encodeAlgorithmIdentifier(p.digestAlgorithm)),
    detached
      ? tlv(TAG.SEQUENCE, encodeOid(p.eContentType))
      : concatBytes([
        indefiniteHeader(TAG.SEQUENCE), encodeOid(p.eContentType),
        indefiniteHeader(TAG.CONTEXT_0_CONSTRUCTED),
        indefiniteHeader(TAG.OCTET_STRING_CONSTRUCTED),
      ]),
  ]);
}

export function signedDataStreamSegment(chunk: Uint8Array): Uint8Array {
  return chunk.length === 0 ? new Uint8Array(0) : concatBytes([header(TAG.OCTET_STRING, chunk.length), chunk]);
}

export function signedDataStreamTrailer(p: Pick<SignedDataParts, 'certificates' | 'crls' | 'signerInfo'>, detached: boolean, bare = false): Uint8Array {
  return concatBytes([
    ...(detached ? [] : [EOC, EOC, EOC]), // OCTET STRING, [0] eContent, EncapsulatedContentInfo
    certificateSet(p.certificates),
    crlSet(p.crls),
    tlv(TAG.SET, p.signerInfo),
    EOC, // SignedData
    ...(bare ? [] : [EOC, EOC]), // [0], ContentInfo
  ]);
}
