/**
 * X.509 certificate revocation lists (RFC 5280 §5), read with the same DER walk as certificates.
 *
 * Only what deciding "is this certificate revoked" needs: the issuer Name (byte-exact, as a certificate's
 * issuer is matched), thisUpdate/nextUpdate, the revoked serial numbers, the signature, and whether the
 * list is complete for its issuer. A delta CRL (deltaCRLIndicator) or one that covers part of its issuer's
 * certificates (issuingDistributionPoint), marked critical or not, and a CRL with any other critical
 * extension p7m does not implement (an indirect CRL's certificateIssuer entries, say) are read but marked
 * not usable: taking them as complete could miss a revocation (§5.2, §5.3: "MUST NOT use the CRL" when a
 * critical extension is not understood; §6.3.3 (b) for the scope).
 */
import { KeyFileError } from '../errors.js';
import { OID } from '../oids.js';
import * as der from './der.js';
import { TAG, ctx } from './der.js';
import { detectEncoding, parsePem } from './pem.js';
import { nameToString } from './certificate.js';

export interface CrlInfo {
  readonly der: Uint8Array;
  /** DER issuer Name, compared byte for byte with a certificate's issuer. */
  readonly issuerDer: Uint8Array;
  /** RFC 4514, for messages. */
  readonly issuer: string;
  readonly thisUpdate: Date;
  /** Absent in a CRL that never expires (RFC 5280 requires it; some old CAs omit it). */
  readonly nextUpdate?: Date;
  /** Revoked serial numbers (hex of the INTEGER contents) and when each was revoked. */
  readonly revoked: ReadonlyMap<string, Date>;
  /** Why the list cannot be relied on as complete, or undefined when it can. */
  readonly unusable?: string;
  readonly tbsCertList: Uint8Array;
  readonly signatureAlgorithm: { readonly oid: string; readonly params?: Uint8Array };
  /** §5.1.1.2: the outer signatureAlgorithm equals the TBSCertList's signature field. */
  readonly signatureAlgorithmsAgree: boolean;
  readonly signatureValue: { readonly unused: number; readonly bits: Uint8Array };
}

/** CRL extensions that may be critical and are understood (none narrows what the list covers). */
const UNDERSTOOD_CRL_EXTENSIONS = new Set<string>([OID.authorityKeyIdentifier, OID.cRLNumber]);
/**
 * Extensions that make a CRL less than a complete list for its issuer, whatever their critical flag says
 * (§5.2.4 deltaCRLIndicator, §5.2.5 issuingDistributionPoint; §6.3.3 (b) applies the scope regardless).
 */
const NARROWING_CRL_EXTENSIONS = new Map<string, string>([
  [OID.deltaCRLIndicator, 'it is a delta CRL (deltaCRLIndicator)'],
  [OID.issuingDistributionPoint, 'it covers only part of its issuer\'s certificates (issuingDistributionPoint)'],
]);
/** Entry extensions that may be critical and are understood. */
const UNDERSTOOD_ENTRY_EXTENSIONS = new Set<string>([OID.cRLReason, OID.invalidityDate]);

/** Parses one DER CertificateList (RFC 5280 §5.1). Malformed input → KeyFileError. */
export function parseCrl(derBytes: Uint8Array): CrlInfo {
  const top = der.parse(derBytes, 'der');
  const c = der.seq(top, 'CertificateList');
  const tbsT = c.next(TAG.SEQUENCE, 'tbsCertList');
  const sigAlgT = c.next(TAG.SEQUENCE, 'signatureAlgorithm');
  const sigAlg = der.algorithmIdentifier(sigAlgT, 'signatureAlgorithm');
  const signatureValue = der.bitString(c.next(TAG.BIT_STRING, 'signatureValue'));
  c.end();

  const tbs = der.seq(tbsT, 'TBSCertList');
  const versionT = tbs.optional(TAG.INTEGER);
  if (versionT && der.smallInt(versionT) !== 1) throw new KeyFileError('unknown CRL version');
  const innerSigAlgT = tbs.next(TAG.SEQUENCE, 'signature');
  der.algorithmIdentifier(innerSigAlgT, 'signature');
  const issuerT = tbs.next(TAG.SEQUENCE, 'issuer');
  const thisUpdate = der.time(tbs.any('thisUpdate'));
  const nextT = tbs.optional(TAG.UTCTime) ?? tbs.optional(TAG.GeneralizedTime);
  const revokedT = tbs.optional(TAG.SEQUENCE);
  const extsT = tbs.optional(ctx(0, true));
  tbs.end();

  const problems: string[] = [];
  const revoked = new Map<string, Date>();
  if (revokedT) {
    for (const entryT of der.seq(revokedT, 'revokedCertificates').rest()) {
      const e = der.seq(entryT, 'revokedCertificate');
      const serial = der.integerBytes(e.next(TAG.INTEGER, 'userCertificate'));
      const when = der.time(e.any('revocationDate'));
      const entryExts = e.optional(TAG.SEQUENCE);
      e.end();
      if (entryExts) {
        for (const id of readExtensions(entryExts, 'crlEntryExtensions').critical) {
          if (!UNDERSTOOD_ENTRY_EXTENSIONS.has(id)) problems.push(`an entry has the critical extension ${id}`);
        }
      }
      revoked.set(Buffer.from(serial).toString('hex'), when);
    }
  }
  if (extsT) {
    const r = new der.Reader(extsT, 'crlExtensions');
    const list = r.next(TAG.SEQUENCE, 'Extensions');
    r.end();
    const { all, critical } = readExtensions(list, 'crlExtensions');
    for (const id of all) {
      const narrowing = NARROWING_CRL_EXTENSIONS.get(id);
      if (narrowing) problems.push(narrowing);
      else if (critical.includes(id) && !UNDERSTOOD_CRL_EXTENSIONS.has(id)) problems.push(`it has the critical extension ${id}`);
    }
  }

  return {
    der: top.bytes,
    issuerDer: issuerT.bytes,
    issuer: nameToString(issuerT),
    thisUpdate,
    ...(nextT ? { nextUpdate: der.time(nextT) } : {}),
    revoked,
    ...(problems.length ? { unusable: [...new Set(problems)].join('; ') } : {}),
    tbsCertList: tbsT.bytes,
    signatureAlgorithm: sigAlg.params ? { oid: sigAlg.oid, params: sigAlg.params.bytes } : { oid: sigAlg.oid },
    signatureAlgorithmsAgree: Buffer.compare(sigAlgT.bytes, innerSigAlgT.bytes) === 0,
    signatureValue,
  };
}

/** The OIDs of an Extensions SEQUENCE, and of its critical ones (repeats refused, as in certificates). */
function readExtensions(list: der.Tlv, what: string): { all: string[]; critical: string[] } {
  const seen = new Set<string>();
  const critical: string[] = [];
  const exts = der.seq(list, what).rest();
  if (exts.length === 0) throw new KeyFileError(`malformed ASN.1: ${what}: empty`);
  for (const e of exts) {
    const r = der.seq(e, 'Extension');
    const id = der.oid(r.next(TAG.OID, 'extnID'));
    const crit = r.optional(TAG.BOOLEAN);
    r.next(TAG.OCTET_STRING, 'extnValue');
    r.end();
    if (seen.has(id)) throw new KeyFileError(`the CRL repeats extension ${id}`);
    seen.add(id);
    if (crit && der.boolean(crit)) critical.push(id);
  }
  return { all: [...seen], critical };
}

/** CRLs from a file: DER (one CRL) or PEM with one or more `X509 CRL` blocks. Anything else → KeyFileError. */
export function loadCrls(bytes: Uint8Array): CrlInfo[] {
  if (detectEncoding(bytes, 'CRL') === 'der') return [parseCrl(bytes)];
  const crls = parsePem(bytes).filter((b) => b.label === 'X509 CRL').map((b) => parseCrl(b.der));
  if (crls.length === 0) throw new KeyFileError('the PEM file holds no X509 CRL block');
  return crls;
}
