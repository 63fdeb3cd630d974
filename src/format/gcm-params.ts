/**
 * GCMParameters (RFC 5084 §3.2) in and out of DER. ASN.1 only, no crypto.
 *
 *   GCMParameters ::= SEQUENCE {
 *     aes-nonce        OCTET STRING,          -- RECOMMENDED 12 octets
 *     aes-ICVlen       AES-GCM-ICVlen DEFAULT 12 }
 *   AES-GCM-ICVlen ::= INTEGER (12 | 13 | 14 | 15 | 16)
 *
 * Writing: the nonce and the tag length, which DER leaves out only when it is 12 (X.690 §11.5).
 * Reading: nonces of 8 to 16 octets (what the peers write is 12) and tag lengths of 12 to 16.
 */
import { MalformedInputError } from '../errors.js';
import { octetString, parseBer, sequence, smallInteger } from './asn1.js';
import { TAG, encodeSmallInt, tlv } from './der.js';

/** Nonce lengths read. */
const NONCE_MIN = 8;
const NONCE_MAX = 16;
/** RFC 5084 §3.2: the DEFAULT tag length. */
const DEFAULT_TAG_LENGTH = 12;

export interface GcmParams {
  readonly nonce: Uint8Array;
  /** Bytes of the authentication tag (the AuthEnvelopedData mac). */
  readonly tagLength: number;
}

export function encodeGcmParams(p: GcmParams): Uint8Array {
  return tlv(TAG.SEQUENCE, tlv(TAG.OCTET_STRING, p.nonce), ...(p.tagLength === DEFAULT_TAG_LENGTH ? [] : [encodeSmallInt(p.tagLength)]));
}

/** The structure only (inspect shows what is there); decryption adds checkGcmParams. */
export function decodeGcmParams(der: Uint8Array | undefined): GcmParams {
  if (!der) throw new MalformedInputError('AES-GCM without GCMParameters');
  const f = sequence(parseBer(der, 'GCMParameters'), 'GCMParameters', 1, 2);
  const nonce = octetString(f[0]!, 'GCM nonce');
  const tagLength = f[1] ? smallInteger(f[1], 'GCM tag length') : DEFAULT_TAG_LENGTH;
  return { nonce, tagLength };
}

/** The ranges p7m decrypts: nonces of 8 to 16 octets, tags of 12 to 16 (RFC 5084 §3.2). */
export function checkGcmParams(p: GcmParams): GcmParams {
  if (p.nonce.length < NONCE_MIN || p.nonce.length > NONCE_MAX) throw new MalformedInputError(`GCM nonce of ${p.nonce.length} bytes (p7m reads ${NONCE_MIN} to ${NONCE_MAX})`);
  if (p.tagLength < 12 || p.tagLength > 16) throw new MalformedInputError(`GCM tag length ${p.tagLength} (RFC 5084 §3.2: 12 to 16)`);
  return p;
}
