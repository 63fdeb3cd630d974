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
 */
import { ExpiredSignerError, UntrustedSignerError } from '../errors.js';
import { OID, oidName } from '../oids.js';
import { KEY_USAGE, type ParsedCertificate, bytesEqual, validAt } from './certificate.js';

/** Deepest path searched (intermediates between signer and anchor). */
const MAX_PATH_LENGTH = 8;
/** Bound on signature checks while searching, so that a message stuffed with look-alike certificates stays cheap. */
const MAX_LINK_CHECKS = 64;

const ANY_EKU = '2.5.29.37.0';

/** Certificate signature algorithms accepted on a path. SHA-1 and MD5 are refused (RFC 8550 §4.1 deprecations). */
const ACCEPTED_CERT_SIGNATURES = new Set<string>([
  OID.sha256WithRSAEncryption, OID.sha384WithRSAEncryption, OID.sha512WithRSAEncryption, OID.rsassaPss,
  OID.ecdsaWithSHA256, OID.ecdsaWithSHA384, OID.ecdsaWithSHA512,
  '1.2.840.113549.1.1.14', // sha224WithRSAEncryption
  '1.2.840.10045.4.3.1', // ecdsa-with-SHA224
]);

export interface PathOptions {
  readonly signer: ParsedCertificate;
  /** Certificates the message carries (may include the signer and anchors; duplicates are harmless). */
  readonly pool: readonly ParsedCertificate[];
  readonly anchors: readonly ParsedCertificate[];
  /** Instants at which every certificate must be valid (the signing time, and now). */
  readonly times: readonly Date[];
}

/** The validated path, signer first, anchor last. Throws UntrustedSignerError or ExpiredSignerError. */
export function validatePath(o: PathOptions): ParsedCertificate[] {
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

function findPaths(o: PathOptions): ParsedCertificate[][] {
  const out: ParsedCertificate[][] = [];
  let checks = 0;
  const signs = (child: ParsedCertificate, issuer: ParsedCertificate): boolean => {
    if (!bytesEqual(child.issuerDer, issuer.subjectDer)) return false;
    if (++checks > MAX_LINK_CHECKS) return false;
    try { return child.x509.verify(issuer.publicKey); } catch { return false; }
  };
  const walk = (path: ParsedCertificate[]): void => {
    const cur = path[path.length - 1]!;
    if (o.anchors.some((a) => bytesEqual(a.der, cur.der))) { out.push(path); return; }
    if (!ACCEPTED_CERT_SIGNATURES.has(cur.signatureAlgorithm)) return;
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

function checkPath(path: readonly ParsedCertificate[], times: readonly Date[]): void {
  path.forEach((c, i) => {
    const role = i === 0 ? 'signer' : i === path.length - 1 ? 'trust anchor' : 'intermediate';
    for (const t of times) {
      if (!validAt(c, t)) {
        throw new ExpiredSignerError(
          `${role} certificate ${c.subject} is not valid at ${t.toISOString()} (valid from ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()})`,
        );
      }
    }
    if (c.unknownCritical.length > 0) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} has an unsupported critical extension ${c.unknownCritical.map((x) => oidName(x) ?? x).join(', ')}`);
    }
    if (i === 0) {
      if (c.keyUsage && !c.keyUsage.has(KEY_USAGE.digitalSignature) && !c.keyUsage.has(KEY_USAGE.nonRepudiation)) {
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
    if (c.keyUsage && !c.keyUsage.has(KEY_USAGE.keyCertSign)) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} may not sign certificates (keyUsage lacks keyCertSign)`);
    }
    const below = i - 1; // intermediates between this issuer and the signer
    if (c.basicConstraints?.pathLen !== undefined && below > c.basicConstraints.pathLen) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} allows a path of ${c.basicConstraints.pathLen} intermediates, the chain has ${below}`);
    }
    if (c.extKeyUsage && !c.extKeyUsage.includes(OID.emailProtection) && !c.extKeyUsage.includes(ANY_EKU)) {
      throw new UntrustedSignerError(`${role} certificate ${c.subject} is restricted to purposes other than email protection (extKeyUsage)`);
    }
  });
}
