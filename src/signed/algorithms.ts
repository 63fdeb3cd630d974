/**
 * Signature algorithms for SignedData and for the certificates on a signer's chain, described once (STYLE
 * habit 4): signing, SignerInfo verification and certificate verification all dispatch from these tables, and
 * an OID that is not here is an UnsupportedAlgorithmError. Hashes (name ↔ OID ↔ length) come from the one
 * table in src/algorithms.ts.
 */
import { constants, type KeyObject } from 'node:crypto';
import { OID, oidName } from '../oids.js';
import { hashByName, hashByOid, type HashName } from '../algorithms.js';
import { MalformedInputError, UnsupportedAlgorithmError, UsageError } from '../errors.js';
import { type AlgorithmIdentifier } from '../format/algorithm-identifier.js';
import { TAG, encodeOid, tlv } from '../format/der.js';
import { children, isContext, oid, sequence, smallInteger, parseBer } from '../format/asn1.js';

/** Digests p7m writes in SignedData (RFC 5754 §2). */
export type SigningHash = 'sha256' | 'sha384' | 'sha512';
export const SIGNING_HASHES: readonly SigningHash[] = ['sha256', 'sha384', 'sha512'];

/** Digests p7m accepts on verification. SHA-1 is refused (RFC 8551 §2.1: SHOULD NOT be used; collisions). */
const VERIFY_HASHES: readonly HashName[] = ['sha224', 'sha256', 'sha384', 'sha512'];

export type SignatureScheme = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa';

/** One verified-and-dispatchable signature algorithm: what node:crypto needs to check it. */
export interface SignatureParams {
  readonly scheme: SignatureScheme;
  readonly hash: HashName;
  /** RSASSA-PSS only. */
  readonly saltLength?: number;
}

interface SignatureAlgorithmEntry {
  readonly oid: string;
  readonly scheme: SignatureScheme;
  /** Fixed by the OID; absent when the hash comes from the SignerInfo digestAlgorithm (rsaEncryption) or parameters (PSS). */
  readonly hash?: HashName;
  /** Accepted as a SignerInfo signatureAlgorithm (RFC 5652 §5.3). */
  readonly signerInfo: boolean;
  /** Accepted as a certificate's signatureAlgorithm on a path (RFC 5280 §4.1.1.2). */
  readonly certificate: boolean;
}

/**
 * RFC 3370 §3.2 / RFC 5754 §3.2: rsaEncryption (hash from digestAlgorithm; SignerInfo only) or
 * shaNNNWithRSAEncryption; RFC 4056: id-RSASSA-PSS with parameters; RFC 5758 §3.2 / RFC 5753: ecdsa-with-SHAnnn.
 * SHA-1 and MD5 are absent: refused on SignerInfos and on certificates (RFC 8551 §2.1, RFC 8550 §4.1). The SHA-224
 * ones are accepted on certificates only, as before this table covered both.
 */
const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithmEntry[] = [
  { oid: OID.rsaEncryption, scheme: 'rsa-pkcs1', signerInfo: true, certificate: false },
  { oid: OID.sha224WithRSAEncryption, scheme: 'rsa-pkcs1', hash: 'sha224', signerInfo: false, certificate: true },
  { oid: OID.sha256WithRSAEncryption, scheme: 'rsa-pkcs1', hash: 'sha256', signerInfo: true, certificate: true },
  { oid: OID.sha384WithRSAEncryption, scheme: 'rsa-pkcs1', hash: 'sha384', signerInfo: true, certificate: true },
  { oid: OID.sha512WithRSAEncryption, scheme: 'rsa-pkcs1', hash: 'sha512', signerInfo: true, certificate: true },
  { oid: OID.rsassaPss, scheme: 'rsa-pss', signerInfo: true, certificate: true },
  { oid: OID.ecdsaWithSHA224, scheme: 'ecdsa', hash: 'sha224', signerInfo: false, certificate: true },
  { oid: OID.ecdsaWithSHA256, scheme: 'ecdsa', hash: 'sha256', signerInfo: true, certificate: true },
  { oid: OID.ecdsaWithSHA384, scheme: 'ecdsa', hash: 'sha384', signerInfo: true, certificate: true },
  { oid: OID.ecdsaWithSHA512, scheme: 'ecdsa', hash: 'sha512', signerInfo: true, certificate: true },
];

const ECDSA_OID_BY_HASH: Record<SigningHash, string> = {
  sha256: OID.ecdsaWithSHA256,
  sha384: OID.ecdsaWithSHA384,
  sha512: OID.ecdsaWithSHA512,
};

/** Curves p7m signs with, and the digest it pairs with each when none is asked for (RFC 5753 §7.1.1 pairing). */
const EC_CURVES: Record<string, SigningHash> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

export function verifyHashByOid(o: string): HashName {
  const h = hashByOid(o);
  if (!VERIFY_HASHES.includes(h.name)) {
    throw new UnsupportedAlgorithmError(`refused digest algorithm ${h.name} (${o})`);
  }
  return h.name;
}

/** DER AlgorithmIdentifier of a digest: parameters absent (RFC 5754 §2). */
export function digestAlgorithmIdentifier(hash: HashName): AlgorithmIdentifier {
  return { oid: hashByName(hash).oid };
}

/** The scheme a signing key implies, with the digest to use. Validated here, at the boundary. */
export function signingParams(key: KeyObject, opts: { digest?: SigningHash; pss?: boolean }): SignatureParams {
  if (key.type !== 'private') throw new UsageError('the signer key must be a private key');
  if (opts.digest !== undefined && !SIGNING_HASHES.includes(opts.digest)) {
    throw new UnsupportedAlgorithmError(`unsupported signing digest ${String(opts.digest)}`);
  }
  const kind = key.asymmetricKeyType;
  if (kind === 'rsa' || kind === 'rsa-pss') {
    const hash = opts.digest ?? 'sha256';
    // RFC 4056 §3: saltLength is the length of the hash output, MGF1 uses the same hash.
    if (opts.pss || kind === 'rsa-pss') return { scheme: 'rsa-pss', hash, saltLength: hashByName(hash).length };
    return { scheme: 'rsa-pkcs1', hash };
  }
  if (kind === 'ec') {
    if (opts.pss) throw new UsageError('pss applies to rsa keys only');
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    const paired = EC_CURVES[curve];
    if (!paired) throw new UnsupportedAlgorithmError(`unsupported ec curve ${curve || 'unknown'}`);
    return { scheme: 'ecdsa', hash: opts.digest ?? paired };
  }
  throw new UnsupportedAlgorithmError(`unsupported signer key type ${kind ?? 'unknown'}`);
}

/** The SignerInfo signatureAlgorithm p7m writes for these parameters. */
export function signatureAlgorithmIdentifier(p: SignatureParams): AlgorithmIdentifier {
  switch (p.scheme) {
    case 'rsa-pkcs1':
      // RFC 3370 §3.2: rsaEncryption with NULL parameters, what every CMS implementation accepts.
      return { oid: OID.rsaEncryption, params: Uint8Array.of(0x05, 0x00) };
    case 'ecdsa':
      // RFC 5758 §3.2: parameters absent.
      return { oid: ECDSA_OID_BY_HASH[p.hash as SigningHash] };
    case 'rsa-pss':
      return { oid: OID.rsassaPss, params: encodePssParams(p.hash, p.saltLength!) };
  }
}

/** RSASSA-PSS-params (RFC 4055 §3.1), trailerField left at its default. */
function encodePssParams(hash: HashName, saltLength: number): Uint8Array {
  const hashAlg = tlv(TAG.SEQUENCE, encodeOid(hashByName(hash).oid));
  const mgf = tlv(TAG.SEQUENCE, encodeOid(OID.mgf1), hashAlg);
  return tlv(
    TAG.SEQUENCE,
    tlv(TAG.CONTEXT_0_CONSTRUCTED, hashAlg),
    tlv(TAG.CONTEXT_1_CONSTRUCTED, mgf),
    tlv(0xa2, encodeSmallInteger(saltLength)),
  );
}

function encodeSmallInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do { bytes.unshift(v & 0xff); v = Math.floor(v / 256); } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/**
 * What a received SignerInfo's signatureAlgorithm means, given its digestAlgorithm. A hash fixed by the
 * signature OID must agree with the digestAlgorithm (RFC 5754 §3: the same hash is used for both).
 */
export function verificationParams(sigAlg: AlgorithmIdentifier, digest: HashName): SignatureParams {
  const entry = SIGNATURE_ALGORITHMS.find((e) => e.oid === sigAlg.oid && e.signerInfo);
  if (!entry) {
    throw new UnsupportedAlgorithmError(`unsupported signature algorithm ${oidName(sigAlg.oid) ?? 'unknown'} (${sigAlg.oid})`);
  }
  if (entry.scheme === 'rsa-pss') {
    const pss = decodePssParams(sigAlg.params);
    if (pss.hash !== digest) {
      throw new MalformedInputError(`rsassa-pss hash ${pss.hash} differs from the digest algorithm ${digest}`);
    }
    return { scheme: 'rsa-pss', hash: pss.hash, saltLength: pss.saltLength };
  }
  if (entry.hash && entry.hash !== digest) {
    throw new MalformedInputError(`signature algorithm ${oidName(entry.oid)} does not match the digest algorithm ${digest}`);
  }
  return { scheme: entry.scheme, hash: digest };
}

/** Whether certificates signed with this algorithm may stand on a path (chain.ts). */
export function acceptedCertificateSignature(oid: string): boolean {
  return SIGNATURE_ALGORITHMS.some((e) => e.oid === oid && e.certificate);
}

/**
 * What a certificate's signatureAlgorithm means (RFC 5280 §4.1.1.2): the hash is fixed by the OID, or by the
 * RSASSA-PSS parameters (RFC 4055 §3.1). UnsupportedAlgorithmError / MalformedInputError otherwise.
 */
export function certificateSignatureParams(sigAlg: AlgorithmIdentifier): SignatureParams {
  const entry = SIGNATURE_ALGORITHMS.find((e) => e.oid === sigAlg.oid && e.certificate);
  if (!entry) {
    throw new UnsupportedAlgorithmError(`unsupported certificate signature algorithm ${oidName(sigAlg.oid) ?? 'unknown'} (${sigAlg.oid})`);
  }
  if (entry.scheme === 'rsa-pss') return { scheme: 'rsa-pss', ...decodePssParams(sigAlg.params) };
  return { scheme: entry.scheme, hash: entry.hash! };
}

/** RSASSA-PSS-params with the RFC 4055 §3.1 defaults; MGF1 must use the signature hash (what node:crypto does). */
function decodePssParams(params: Uint8Array | undefined): { hash: HashName; saltLength: number } {
  const what = 'rsassa-pss parameters';
  if (!params) throw new MalformedInputError(`${what} missing`);
  const fields = sequence(parseBer(params, what), what, 0, 4);
  let hashOid: string = OID.sha1;
  let mgfHashOid: string = OID.sha1;
  let saltLength = 20;
  let lastTag = -1;
  for (const f of fields) {
    const t = f.idBlock.tagNumber;
    if (f.idBlock.tagClass !== 3 || t > 3 || t <= lastTag) throw new MalformedInputError(`malformed ${what}`);
    lastTag = t;
    const [inner] = children(f, what);
    if (!inner) throw new MalformedInputError(`malformed ${what}`);
    if (isContext(f, 0)) {
      hashOid = oid(sequence(inner, what, 1, 2)[0]!, what);
    } else if (isContext(f, 1)) {
      const mgf = sequence(inner, what, 2, 2);
      if (oid(mgf[0]!, what) !== OID.mgf1) throw new UnsupportedAlgorithmError('unsupported rsassa-pss mask generation function');
      mgfHashOid = oid(sequence(mgf[1]!, what, 1, 2)[0]!, what);
    } else if (isContext(f, 2)) {
      saltLength = smallInteger(inner, what);
    } else if (smallInteger(inner, what) !== 1) {
      throw new UnsupportedAlgorithmError('unsupported rsassa-pss trailer field');
    }
  }
  const hash = verifyHashByOid(hashOid);
  if (mgfHashOid !== hashOid) throw new UnsupportedAlgorithmError('rsassa-pss with an mgf1 hash different from the signature hash');
  return { hash, saltLength };
}

/** node:crypto sign/verify key options for these parameters. */
export function nodeKeyOptions(key: KeyObject, p: SignatureParams): { key: KeyObject; padding?: number; saltLength?: number; dsaEncoding?: 'der' } {
  switch (p.scheme) {
    case 'rsa-pkcs1': return { key, padding: constants.RSA_PKCS1_PADDING };
    case 'rsa-pss': return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength! };
    // CMS carries ECDSA signatures as the DER Ecdsa-Sig-Value (RFC 5753 §7.2), node's default encoding.
    case 'ecdsa': return { key, dsaEncoding: 'der' };
  }
}

/** Whether a public key can carry this scheme at all (an ECDSA signature from an RSA certificate is simply bad). */
export function keyFitsScheme(key: KeyObject, scheme: SignatureScheme): boolean {
  const kind = key.asymmetricKeyType;
  if (scheme === 'ecdsa') return kind === 'ec';
  if (scheme === 'rsa-pkcs1') return kind === 'rsa';
  return kind === 'rsa' || kind === 'rsa-pss';
}
