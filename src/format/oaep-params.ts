/**
 * RSAES-OAEP-params (RFC 4055 §4.1, RFC 8017 §A.2.1) in and out of DER. ASN.1 only, no crypto.
 *
 *   RSAES-OAEP-params ::= SEQUENCE {
 *     hashFunc    [0] AlgorithmIdentifier DEFAULT sha1Identifier,
 *     maskGenFunc [1] AlgorithmIdentifier DEFAULT mgf1SHA1Identifier,
 *     pSourceFunc [2] AlgorithmIdentifier DEFAULT pSpecifiedEmptyIdentifier }   -- EXPLICIT tags
 *
 * Writing is DER: a field equal to its DEFAULT is left out (X.690 §11.5), so all defaults is the empty
 * SEQUENCE 30 00 (what pyca/cryptography and OpenSSL write for SHA-1 OAEP). Reading is strict about the
 * structure, but accepts defaults spelled out (SunJCE writes every field) and hash parameters either
 * absent or NULL, which RFC 4055 §2.1 requires implementations to accept as equivalent.
 *
 * Absent parameters: RFC 4055 §4.1 says the parameters "MUST be present when used in the algorithm
 * identifier associated with an encrypted value" — which a KeyTransRecipientInfo's
 * keyEncryptionAlgorithm is — and RFC 8017 §A.1's module says they "MUST be present and MUST be
 * RSAES-OAEP-params". So absent parameters (and NULL, which is not a SEQUENCE) are malformed here,
 * never read as "all defaults", and never a reason to try PKCS#1 v1.5 instead. OpenSSL rejects them too.
 */
import { hashByName, hashByOid, type HashName } from '../algorithms.js';
import { MalformedInputError, UnsupportedAlgorithmError } from '../errors.js';
import { OID, oidName } from '../oids.js';
import type { OaepParams } from '../rsa/oaep.js';
import { children, isUniversal, octetString, oid, parseBer, rawBytes, sequence, tagOf, type Node } from './asn1.js';
import { TAG, encodeOid, tlv } from './der.js';

export type { OaepParams };

const WHAT = 'rsaes-oaep parameters';

/** The RFC 8017 defaults: SHA-1, MGF1 with SHA-1, empty label. */
export const OAEP_DEFAULTS: OaepParams = Object.freeze({ hash: 'sha1', mgf1Hash: 'sha1', label: new Uint8Array(0) });

// --- writing ---

/** HashAlgorithm with NULL parameters: RFC 4055 §2.1 ("sha256Identifier ::= { id-sha256, NULL }"). */
function hashIdentifier(h: HashName): Uint8Array {
  return tlv(TAG.SEQUENCE, encodeOid(hashByName(h).oid), NULL);
}

/**
 * DER of RSAES-OAEP-params; every field equal to its DEFAULT is omitted (X.690 §11.5). Written with
 * src/format/der.ts rather than asn1js so that encrypting never loads a parser.
 */
export function encodeOaepParams(p: OaepParams): Uint8Array {
  const fields: Uint8Array[] = [];
  if (p.hash !== 'sha1') fields.push(tlv(0xa0, hashIdentifier(p.hash)));
  if (p.mgf1Hash !== 'sha1') fields.push(tlv(0xa1, tlv(TAG.SEQUENCE, encodeOid(OID.mgf1), hashIdentifier(p.mgf1Hash))));
  if (p.label.length > 0) fields.push(tlv(0xa2, tlv(TAG.SEQUENCE, encodeOid(OID.pSpecified), tlv(TAG.OCTET_STRING, p.label))));
  return tlv(TAG.SEQUENCE, ...fields);
}

const NULL = Uint8Array.of(0x05, 0x00);

// --- reading ---


/** AlgorithmIdentifier → [oid, parameters?]. */
function algorithm(n: Node, what: string): [string, Node | undefined] {
  const f = sequence(n, what, 1, 2);
  return [oid(f[0]!, what), f[1]];
}

/** HashAlgorithm: a known digest, parameters absent or NULL (RFC 4055 §2.1). */
function hashAlgorithm(n: Node, what: string): HashName {
  const [o, params] = algorithm(n, what);
  if (params !== undefined) {
    const raw = rawBytes(params);
    if (!(raw.length === 2 && raw[0] === 0x05 && raw[1] === 0x00)) {
      throw new MalformedInputError(`malformed ${what}: hash parameters must be absent or NULL`);
    }
  }
  return hashByOid(o).name;
}

function unsupported(kind: string, o: string): UnsupportedAlgorithmError {
  return new UnsupportedAlgorithmError(`unsupported ${kind} ${oidName(o) ?? 'unknown'} (${o})`);
}

/**
 * Reads the parameters field of an id-RSAES-OAEP AlgorithmIdentifier (its whole DER element), or
 * undefined when the field is absent — which is malformed (see the head of this file).
 */
export function decodeOaepParams(der: Uint8Array | undefined): OaepParams {
  if (der === undefined) throw new MalformedInputError(`malformed ${WHAT}: absent (rfc 4055 §4.1 requires them)`);
  const root = parseBer(der, WHAT);
  if (isUniversal(root, 5)) throw new MalformedInputError(`malformed ${WHAT}: NULL where RSAES-OAEP-params is required`);
  const fields = sequence(root, WHAT, 0, 3);

  let hash: HashName = OAEP_DEFAULTS.hash;
  let mgf1Hash: HashName = OAEP_DEFAULTS.mgf1Hash;
  let label = OAEP_DEFAULTS.label;
  let previous = -1;
  for (const field of fields) {
    const t = tagOf(field);
    // Each field is an EXPLICIT [0]/[1]/[2] around one AlgorithmIdentifier, in order, at most once.
    if (t.cls !== 3 || !t.constructed || t.num > 2 || t.num <= previous) {
      throw new MalformedInputError(`malformed ${WHAT}: unexpected field [${t.num}]`);
    }
    previous = t.num;
    const inner = children(field, WHAT);
    if (inner.length !== 1) throw new MalformedInputError(`malformed ${WHAT}: field [${t.num}] holds ${inner.length} elements`);
    const value = inner[0]!;
    if (t.num === 0) {
      hash = hashAlgorithm(value, `${WHAT} hashFunc`);
    } else if (t.num === 1) {
      const what = `${WHAT} maskGenFunc`;
      const [o, params] = algorithm(value, what);
      if (o !== OID.mgf1) throw unsupported('mask generation function', o);
      if (params === undefined) throw new MalformedInputError(`malformed ${what}: mgf1 without a hash`);
      mgf1Hash = hashAlgorithm(params, what);
    } else {
      const what = `${WHAT} pSourceFunc`;
      const [o, params] = algorithm(value, what);
      if (o !== OID.pSpecified) throw unsupported('oaep label source', o);
      // RFC 8017 §A.2.1: "the parameters MUST be an OCTET STRING".
      if (params === undefined) throw new MalformedInputError(`malformed ${what}: pSpecified without a label`);
      label = octetString(params, what);
    }
  }
  return { hash, mgf1Hash, label };
}
