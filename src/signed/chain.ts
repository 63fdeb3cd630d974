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
 * Revocation is not checked (no CRL or OCSP): see docs/replay.md.
 *
 * Certificates are src/keys/certificate.ts's CertInfo, the one certificate parser; a link's signature is checked
 * here over the TBSCertificate bytes with node:crypto, dispatched from the table in ./algorithms.ts.
 */
import { type KeyObject, verify as nodeVerify } from 'node:crypto';
import { ExpiredSignerError, UntrustedSignerError } from '../errors.js';
import type { CertInfo } from '../keys/certificate.js';
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
  if (!c.signatureAlgorithmsAgree || c.signatureValue.unused !== 0) return false;
  try {
    const p = certificateSignatureParams(c.signatureAlgorithm);
    if (!keyFitsScheme(key, p.scheme)) return false;
    return nodeVerify(p.hash, c.tbsCertificate, nodeKeyOptions(key, p), c.signatureValue.bits);
  } catch {
    return false;
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
