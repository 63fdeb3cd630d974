/**
 * Certification path from a signer to a configured trust anchor (RFC 5280 §6, the parts p7m enforces).
 *
 * Paths are searched depth-first through the certificates the message carries, linking a certificate to
 * an issuer whose subject Name equals its issuer Name byte for byte and whose key verifies its signature.
 * Each signature-valid path is then held to the rules below; the first one that passes is the chain.
 *  - every certificate valid at the signing time and at the time of verification (§4.1.2.5);
 *  - no critical extension p7m does not understand (§4.2);
 *  - signer: keyUsage, if present, asserts digitalSignature or nonRepudiation (RFC 8550 §4.4.2);
 *    extKeyUsage, if present, contains id-kp-emailProtection (RFC 8550 §4.4.4);
 *  - issuers: basicConstraints cA (§4.2.1.9), keyUsage keyCertSign when keyUsage is present (§4.2.1.3),
 *    pathLenConstraint, and emailProtection (or anyExtendedKeyUsage) when an extKeyUsage is present.
 * A trust anchor is the certificate given, taken as trusted: its own signature is not checked, and the
 * signer's certificate may itself be an anchor (a pinned self-signed signer).
 * Revocation, when asked for (PathOptions.revocation), from CRLs (RFC 5280 §6.3, simplified): each certificate
 * checked needs a CRL whose issuer Name is its issuer's subject, signed by its issuer's key (keyUsage cRLSign when
 * keyUsage is present), current (thisUpdate ≤ now ≤ nextUpdate), complete (no critical extension p7m does not
 * implement); a certificate on it is revoked whatever the revocation date, since the signingTime it would be
 * compared with is the signer's own claim. A certificate no usable CRL covers fails too, as with
 * `openssl cms -verify -crl_check`. No OCSP: see docs/replay.md.
 *
 * Certificates are src/keys/certificate.ts's CertInfo, the one certificate parser; a link's signature is checked
 * here over the TBSCertificate bytes with node:crypto, dispatched from the table in ./algorithms.ts.
 */
import { type KeyObject, verify as nodeVerify } from 'node:crypto';
import { ExpiredSignerError, RevocationUnknownError, RevokedCertificateError, UntrustedSignerError } from '../errors.js';
import type { CertInfo } from '../keys/certificate.js';
import type { CrlInfo } from '../keys/crl.js';
import { OID, oidName } from '../oids.js';
import { acceptedCertificateSignature, certificateSignatureParams, keyFitsScheme, nodeKeyOptions } from './algorithms.js';

/** Deepest path searched (intermediates between signer and anchor). */
const MAX_PATH_LENGTH = 8;
/** Bound on signature checks while searching, so that a message stuffed with look-alike certificates stays cheap. */
const MAX_LINK_CHECKS = 64;

/** Extensions whose meaning p7m either enforces or may safely ignore when marked critical (RFC 5280 §4.2). */
const UNDERSTOOD_EXTENSIONS = new Set<string>([
  OID.keyUsage, OID.basicConstraints, OID.extKeyUsage, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier, OID.subjectAltName,
]);

export interface PathOptions {
  readonly signer: CertInfo;
  /** Certificates the message carries (may include the signer and anchors; duplicates are harmless). */
  readonly pool: readonly CertInfo[];
  readonly anchors: readonly CertInfo[];
  /** Instants at which every certificate must be valid (the signing time, and now). */
  readonly times: readonly Date[];
  /** Check revocation from these CRLs: the signer's certificate only, or every certificate below the anchor. */
  readonly revocation?: Revocation;
}

export interface Revocation {
  readonly scope: 'signer' | 'chain';
  readonly crls: readonly CrlInfo[];
  /** The time CRLs must be current at (the time of verification). */
  readonly now: Date;
}

/** The validated path, signer first, anchor last. Throws UntrustedSignerError or ExpiredSignerError. */
export function validatePath(o: PathOptions): CertInfo[] {
  const candidates = findPaths(o);
  if (candidates.length === 0) {
    throw new UntrustedSignerError(`no chain from the signer ${o.signer.subject} to a trusted certificate`);
  }
  let first: Error | undefined;
  for (const path of candidates) {
    try {
      checkPath(path, o.times);
      if (o.revocation) checkRevocation(path, o.revocation);
      return path;
    } catch (e) {
      first ??= e as Error;
    }
  }
  throw first!;
}

function findPaths(o: PathOptions): CertInfo[][] {
  const out: CertInfo[][] = [];
  let checks = 0;
  const signs = (child: CertInfo, issuer: CertInfo): boolean => {
    if (!bytesEqual(child.issuerDer, issuer.subjectDer)) return false;
    if (++checks > MAX_LINK_CHECKS) return false;
    return signedBy(child, issuer.publicKey);
  };
  const walk = (path: CertInfo[]): void => {
    const cur = path[path.length - 1]!;
    if (o.anchors.some((a) => bytesEqual(a.der, cur.der))) { out.push(path); return; }
    if (!acceptedCertificateSignature(cur.signatureAlgorithm.oid)) return;
    for (const a of o.anchors) if (signs(cur, a)) out.push([...path, a]);
    if (path.length > MAX_PATH_LENGTH) return;
    for (const c of o.pool) {
      if (path.some((p) => bytesEqual(p.der, c.der)) || o.anchors.some((a) => bytesEqual(a.der, c.der))) continue;
      if (signs(cur, c)) walk([...path, c]);
    }
  };
  walk([o.signer]);
  return out;
}

/**
 * Whether `key` made the certificate's signature (RFC 5280 §4.1.1.3: over the DER tbsCertificate). What OpenSSL's
 * X509_verify checks, which this replaces: inner and outer signature algorithms the same (§4.1.2.3), a signature of
 * whole octets, a key of the algorithm's type. Any failure, a malformed PSS parameter included, is "not signed by".
 */
function signedBy(c: CertInfo, key: KeyObject): boolean {
  return signatureBy(c, c.tbsCertificate, key);
}

/** The same check for anything signed like a certificate: a certificate's TBSCertificate, a CRL's TBSCertList. */
function signatureBy(o: Pick<CertInfo, 'signatureAlgorithmsAgree' | 'signatureValue' | 'signatureAlgorithm'>, tbs: Uint8Array, key: KeyObject): boolean {
  if (!o.signatureAlgorithmsAgree || o.signatureValue.unused !== 0) return false;
  if (!acceptedCertificateSignature(o.signatureAlgorithm.oid)) return false;
  try {
    const p = certificateSignatureParams(o.signatureAlgorithm);
    if (!keyFitsScheme(key, p.scheme)) return false;
    return nodeVerify(p.hash, tbs, nodeKeyOptions(key, p), o.signatureValue.bits);
  } catch {
    return false;
  }
}

/**
 * Revocation of the path's certificates below the anchor (the signer only for scope 'signer'), each against
 * the CRLs its issuer (the next certificate in the path) signed. Throws RevokedCertificateError, or
 * RevocationUnknownError when no usable CRL covers a certificate.
 */
function checkRevocation(path: readonly CertInfo[], r: Revocation): void {
  const last = r.scope === 'signer' ? Math.min(1, path.length - 1) : path.length - 1;
  for (let i = 0; i < last; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    const role = i === 0 ? 'signer' : 'intermediate';
    const why: string[] = [];
    let covered = false;
    for (const crl of r.crls) {
      if (!bytesEqual(crl.issuerDer, cert.issuerDer)) continue;
      // §5.1.1.3 and §4.2.1.3: signed by the certificate's issuer, which may sign CRLs.
      if (!signatureBy(crl, crl.tbsCertList, issuer.publicKey)) { why.push(`a CRL from ${crl.issuer} is not signed by ${issuer.subject}`); continue; }
      if (issuer.keyUsage && !issuer.keyUsage.cRLSign) { why.push(`${issuer.subject} may not sign CRLs (keyUsage lacks cRLSign)`); continue; }
      if (crl.unusable) { why.push(`a CRL from ${crl.issuer} cannot be used: ${crl.unusable}`); continue; }
      if (crl.thisUpdate.getTime() > r.now.getTime()) { why.push(`a CRL from ${crl.issuer} is not valid before ${crl.thisUpdate.toISOString()}`); continue; }
      if (crl.nextUpdate && crl.nextUpdate.getTime() < r.now.getTime()) { why.push(`a CRL from ${crl.issuer} expired at ${crl.nextUpdate.toISOString()}`); continue; }
      const revokedAt = crl.revoked.get(Buffer.from(cert.serial).toString('hex'));
      if (revokedAt) {
        throw new RevokedCertificateError(`${role} certificate ${cert.subject} was revoked at ${revokedAt.toISOString()} (CRL of ${crl.thisUpdate.toISOString()} from ${crl.issuer})`, revokedAt);
      }
      covered = true;
    }
    if (!covered) {
      throw new RevocationUnknownError(`no usable CRL for the ${role} certificate ${cert.subject}${why.length ? `: ${why.join('; ')}` : `: none from ${issuer.subject}`}`);
    }
  }
}

/** Validity check: both bounds inclusive (RFC 5280 §4.1.2.5). */
function validAt(c: CertInfo, t: Date): boolean {
  return c.notBefore.getTime() <= t.getTime() && t.getTime() <= c.notAfter.getTime();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function checkPath(path: readonly CertInfo[], times: readonly Date[]): void {
  path.forEach((c, i) => {
    const role = i === 0 ? 'signer' : i === path.length - 1 ? 'trust anchor' : 'intermediate';
    for (const t of times) {
      if (!validAt(c, t)) {
        throw new ExpiredSignerError(
          `${role} certificate ${c.subject} is not valid at ${t.toISOString()} (valid from ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()})`,
        );
      }
    }
    const unknownCritical = c.criticalExtensions.filter((x) => !UNDERSTOOD_EXTENSIONS.has(x));
    if (unknownCritical.length > 0) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} has an unsupported critical extension ${unknownCritical.map((x) => oidName(x) ?? x).join(', ')}`);
    }
    if (i === 0) {
      if (c.keyUsage && !c.keyUsage.digitalSignature && !c.keyUsage.nonRepudiation) {
        throw new UntrustedSignerError(`signer certificate ${c.subject} is not allowed to sign: keyUsage lacks digitalSignature`);
      }
      if (c.extKeyUsage && !c.extKeyUsage.includes(OID.emailProtection)) {
        throw new UntrustedSignerError(`signer certificate ${c.subject} is not allowed to sign messages: extKeyUsage lacks emailProtection`);
      }
      return;
    }
    const isAnchor = i === path.length - 1;
    // A v1 anchor carries no extensions at all; any other issuer must say it is a CA.
    if (c.basicConstraints ? !c.basicConstraints.cA : !isAnchor) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} is not a CA (basicConstraints)`);
    }
    if (c.keyUsage && !c.keyUsage.keyCertSign) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} may not sign certificates (keyUsage lacks keyCertSign)`);
    }
    const below = i - 1; // intermediates between this issuer and the signer
    const pathLen = c.basicConstraints?.pathLenConstraint;
    if (pathLen !== undefined && below > pathLen) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} allows a path of ${pathLen} intermediates, the chain has ${below}`);
    }
    if (c.extKeyUsage && !c.extKeyUsage.includes(OID.emailProtection) && !c.extKeyUsage.includes(OID.anyExtendedKeyUsage)) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} is restricted to purposes other than email protection (extKeyUsage)`);
    }
  });
}
