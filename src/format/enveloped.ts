/**
 * The outer framing of ContentInfo(EnvelopedData) (RFC 5652 §3, §6.1), or of ContentInfo(AuthEnvelopedData)
 * (RFC 5083 §2.1: the same fields, version 0, then the authentication tag `mac` after the encrypted content),
 * written around a content that streams. Two encodings:
 *  - definite-length DER, when the ciphertext length is known in advance (a regular file);
 *  - indefinite-length BER with a constructed OCTET STRING, when it is not (stdin, pipes), as
 *    `openssl cms -stream` writes.
 */
import { OID } from '../oids.js';
import { concatBytes } from '../stream/ber-reader.js';
import { type AlgorithmIdentifier, encodeAlgorithmIdentifier } from './algorithm-identifier.js';
import { EOC, TAG, encodeOid, encodeSmallInt, header, indefiniteHeader, tlvSize } from './der.js';
import type { RecipientInfo } from './recipient-info.js';

/**
 * EnvelopedData version, RFC 5652 §6.1. p7m writes neither originatorInfo nor unprotectedAttrs, so
 * the first branches only matter for messages read from others (inspect reports what they wrote).
 */
export function envelopedDataVersion(opts: {
  originatorInfoHasOtherCertsOrCrls?: boolean;
  originatorInfoHasV2AttrCerts?: boolean;
  hasOriginatorInfo?: boolean;
  hasUnprotectedAttrs?: boolean;
  recipientInfos: readonly RecipientInfo[];
}): number {
  if (opts.hasOriginatorInfo && opts.originatorInfoHasOtherCertsOrCrls) return 4;
  if ((opts.hasOriginatorInfo && opts.originatorInfoHasV2AttrCerts) || opts.recipientInfos.some((r) => r.type === 'pwri' || r.type === 'ori')) return 3;
  if (!opts.hasOriginatorInfo && !opts.hasUnprotectedAttrs && opts.recipientInfos.every((r) => r.version === 0)) return 0;
  return 2;
}

export interface EnvelopeFraming {
  /** Bytes up to the first byte of the content (ciphertext). */
  readonly prefix: Uint8Array;
  /** Frames one ciphertext chunk (identity for definite, an OCTET STRING segment for indefinite). */
  segment(chunk: Uint8Array): Uint8Array[];
  /** Bytes after the last content byte; `mac` is AuthEnvelopedData's tag, known only then. */
  suffix(mac?: Uint8Array): Uint8Array;
}

/**
 * @param recipientInfosDer the DER SET OF RecipientInfo
 * @param ciphertextLength known ciphertext length (definite DER), or null (indefinite BER)
 */
export function envelopeFraming(opts: {
  version: number;
  recipientInfosDer: Uint8Array;
  contentType: string;
  contentEncryptionAlgorithm: AlgorithmIdentifier;
  ciphertextLength: number | null;
  /** AuthEnvelopedData with a tag of this many bytes (RFC 5083), instead of EnvelopedData. */
  macLength?: number;
}): EnvelopeFraming {
  const version = encodeSmallInt(opts.version);
  const ctOid = encodeOid(opts.contentType);
  const alg = encodeAlgorithmIdentifier(opts.contentEncryptionAlgorithm);
  const auth = opts.macLength !== undefined;
  const ciOid = encodeOid(auth ? OID.authEnvelopedData : OID.envelopedData);
  /** mac MessageAuthenticationCode (an OCTET STRING), after authEncryptedContentInfo (no authAttrs). */
  const macTlv = (mac: Uint8Array | undefined): Uint8Array => {
    if (!auth) return new Uint8Array(0);
    if (!mac || mac.length !== opts.macLength) throw new Error(`the AuthEnvelopedData tag must be ${opts.macLength} bytes`);
    return concatBytes([header(TAG.OCTET_STRING, mac.length), mac]);
  };
  const C = opts.ciphertextLength;
  if (C !== null) {
    // Sizes from the inside out; encryptedContent is [0] IMPLICIT OCTET STRING, primitive.
    const ecHeader = header(TAG.CONTEXT_0_PRIMITIVE, C);
    const eciLen = ctOid.length + alg.length + ecHeader.length + C;
    const edLen = version.length + opts.recipientInfosDer.length + tlvSize(eciLen) + (auth ? tlvSize(opts.macLength!) : 0);
    const explicitLen = tlvSize(edLen);
    const ciLen = ciOid.length + tlvSize(explicitLen);
    const prefix = concatBytes([
      header(TAG.SEQUENCE, ciLen), ciOid,
      header(TAG.CONTEXT_0_CONSTRUCTED, explicitLen),
      header(TAG.SEQUENCE, edLen), version, opts.recipientInfosDer,
      header(TAG.SEQUENCE, eciLen), ctOid, alg, ecHeader,
    ]);
    return { prefix, segment: (c) => [c], suffix: macTlv };
  }
  const prefix = concatBytes([
    indefiniteHeader(TAG.SEQUENCE), ciOid,
    indefiniteHeader(TAG.CONTEXT_0_CONSTRUCTED),
    indefiniteHeader(TAG.SEQUENCE), version, opts.recipientInfosDer,
    indefiniteHeader(TAG.SEQUENCE), ctOid, alg,
    indefiniteHeader(TAG.CONTEXT_0_CONSTRUCTED),
  ]);
  return {
    prefix,
    segment: (c) => (c.length === 0 ? [] : [header(TAG.OCTET_STRING, c.length), c]),
    // closes encryptedContent and EncryptedContentInfo; the tag (AuthEnvelopedData); closes the
    // EnvelopedData or AuthEnvelopedData, [0] and ContentInfo
    suffix: (mac) => concatBytes([EOC, EOC, macTlv(mac), EOC, EOC, EOC]),
  };
}
