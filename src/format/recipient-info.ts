/**
 * RecipientInfo (RFC 5652 §6.2) to and from plain objects. No crypto here: the key-transport
 * algorithms live in src/recipients/ and src/rsa/.
 */
import { LimitExceededError, MalformedInputError } from '../errors.js';
import { concatBytes } from '../stream/ber-reader.js';
import { type Node, children, elementsOf, integerBytes, isContext, isUniversal, octetString, octets, parseBer, rawBytes, scanBer, sequence, smallInteger } from './asn1.js';
import { type AlgorithmIdentifier, decodeAlgorithmIdentifier, encodeAlgorithmIdentifier } from './algorithm-identifier.js';
import { TAG, encodeSmallInt, tlv } from './der.js';

/** RecipientIdentifier (RFC 5652 §6.2.1). */
export type RecipientId =
  | { readonly kind: 'issuerSerial'; readonly issuerDer: Uint8Array; readonly serial: Uint8Array }
  | { readonly kind: 'ski'; readonly ski: Uint8Array };

export interface KeyTransRecipientInfo {
  readonly type: 'ktri';
  /** 0 with issuerAndSerialNumber, 2 with subjectKeyIdentifier (§6.2.1). */
  readonly version: number;
  readonly rid: RecipientId;
  readonly keyEncryptionAlgorithm: AlgorithmIdentifier;
  readonly encryptedKey: Uint8Array;
}

/** A RecipientInfo kind p7m does not unwrap (yet); kept for `inspect` and for the §6.1 version rules. */
export interface OtherRecipientInfo {
  readonly type: 'kari' | 'kekri' | 'pwri' | 'ori';
  readonly version: number | null;
  readonly raw: Uint8Array;
}

export type RecipientInfo = KeyTransRecipientInfo | OtherRecipientInfo;

const OTHER_KINDS: Record<number, OtherRecipientInfo['type']> = { 1: 'kari', 2: 'kekri', 3: 'pwri', 4: 'ori' };

export function encodeRecipientId(rid: RecipientId): Uint8Array {
  if (rid.kind === 'ski') return tlv(TAG.CONTEXT_0_PRIMITIVE, rid.ski);
  return tlv(TAG.SEQUENCE, rid.issuerDer, tlv(TAG.INTEGER, rid.serial));
}

export function encodeKeyTransRecipientInfo(r: KeyTransRecipientInfo): Uint8Array {
  return tlv(
    TAG.SEQUENCE,
    encodeSmallInt(r.version),
    encodeRecipientId(r.rid),
    encodeAlgorithmIdentifier(r.keyEncryptionAlgorithm),
    tlv(TAG.OCTET_STRING, r.encryptedKey),
  );
}

/** SET OF RecipientInfo. DER requires SET OF elements sorted by encoding (X.690 §11.6). */
export function encodeRecipientInfos(encoded: readonly Uint8Array[]): Uint8Array {
  const sorted = [...encoded].sort(compareBytes);
  return tlv(TAG.SET, concatBytes(sorted));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * RFC 5280 §4.1.2.2: serial numbers are at most 20 octets (users "SHOULD be able to handle" that much).
 * Generously more are read; a megabyte serial is refused rather than compared, printed and hex-dumped.
 */
const MAX_SERIAL_OCTETS = 64;

function decodeRecipientId(n: Node, what: string): RecipientId {
  if (isContext(n, 0) && !n.idBlock.isConstructed) return { kind: 'ski', ski: octets(n, what) };
  if (isContext(n, 0)) return { kind: 'ski', ski: octets(n, what) }; // BER constructed form
  const f = sequence(n, `${what} issuerAndSerialNumber`, 2, 2);
  if (!isUniversal(f[0]!, 16)) throw new MalformedInputError(`malformed ${what}: issuer is not a Name`);
  const serial = integerBytes(f[1]!, `${what} serial number`);
  if (serial.length > MAX_SERIAL_OCTETS) {
    throw new MalformedInputError(`malformed ${what}: serial number of ${serial.length} octets (rfc 5280 §4.1.2.2 allows 20)`);
  }
  return { kind: 'issuerSerial', issuerDer: rawBytes(f[0]!), serial };
}

export function decodeRecipientInfo(n: Node, index: number, maxOidBytes?: number): RecipientInfo {
  const what = `recipient ${index + 1}`;
  if (n.idBlock.tagClass === 3) {
    const type = OTHER_KINDS[n.idBlock.tagNumber];
    if (!type || !n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: unknown RecipientInfo choice [${n.idBlock.tagNumber}]`);
    const c = children(n, what);
    const version = type !== 'ori' && c[0] && isUniversal(c[0], 2) ? smallInteger(c[0], what) : null;
    return { type, version, raw: rawBytes(n) };
  }
  const f = sequence(n, what, 4, 4);
  const version = smallInteger(f[0]!, `${what} version`);
  const rid = decodeRecipientId(f[1]!, what);
  // §6.2.1 pairs version 0 with issuerAndSerialNumber and 2 with subjectKeyIdentifier; readers are
  // lenient here (as openssl and Bouncy Castle are), since a mismatch changes nothing in the unwrap.
  return {
    type: 'ktri',
    version,
    rid,
    keyEncryptionAlgorithm: decodeAlgorithmIdentifier(f[2]!, `${what} key encryption algorithm`, maxOidBytes),
    encryptedKey: octetString(f[3]!, `${what} encrypted key`),
  };
}

/** Elements one RecipientInfo may have (asn1js costs ~2 KB and ~40 µs each): a generous Name fits. */
const MAX_NODES_PER_RECIPIENT = 2000;

/**
 * The DER/BER of a SET OF RecipientInfo. The SET is checked as BER and counted before anything is
 * built, then each RecipientInfo is parsed alone: memory stays that of one RecipientInfo, and 100,000
 * of them are refused after one pass over the headers.
 */
export function decodeRecipientInfosDer(setBytes: Uint8Array, limits: { maxRecipients: number; maxDepth: number; maxOidBytes: number }): RecipientInfo[] {
  if (setBytes[0] !== 0x31) throw new MalformedInputError('malformed recipientInfos: expected SET');
  scanBer(setBytes, 'recipientInfos', { maxDepth: limits.maxDepth, maxOidLength: limits.maxOidBytes });
  const items = elementsOf(setBytes, 'recipientInfos', limits.maxRecipients);
  if (typeof items === 'number') throw new LimitExceededError(`message has ${items} recipients, more than the limit of ${limits.maxRecipients}`);
  if (items.length === 0) throw new MalformedInputError('malformed recipientInfos: no recipients');
  return items.map((b, i) => decodeRecipientInfo(
    parseBer(b, `recipient ${i + 1}`, { maxDepth: limits.maxDepth, maxNodes: MAX_NODES_PER_RECIPIENT, maxOidLength: limits.maxOidBytes }),
    i, limits.maxOidBytes,
  ));
}

export function decodeRecipientInfos(set: Node, maxRecipients: number): RecipientInfo[] {
  if (!isUniversal(set, 17)) throw new MalformedInputError('malformed recipientInfos: expected SET');
  const c = children(set, 'recipientInfos');
  if (c.length === 0) throw new MalformedInputError('malformed recipientInfos: no recipients');
  if (c.length > maxRecipients) throw new LimitExceededError(`message has ${c.length} recipients, more than the limit of ${maxRecipients}`);
  return c.map((n, i) => decodeRecipientInfo(n, i));
}
