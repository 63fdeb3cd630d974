/**
 * `inspect` of a signed message (RFC 5652 §5): what it carries and who says they signed it, without
 * checking anything. Nothing here verifies a signature, a chain or a time: a message that inspects
 * cleanly may still fail `verify`. Certificates and CRLs that do not parse are listed as such rather
 * than failing the whole inspection; the SignedData itself must be well formed.
 */
import { P7mError } from './errors.js';
import { algorithmName, hex, nameToString } from './describe.js';
import { type CertInfo, parseCertificate } from './keys/certificate.js';
import { parseCrl } from './keys/crl.js';
import { OID } from './oids.js';
import { parseSignedAttributes } from './signed/attributes.js';
import { type SignedDataLimits, DEFAULT_SIGNED_DATA_LIMITS, crlsOf, readSignedData } from './signed/reader.js';
import { decodeSignerInfo, signerCertificate } from './signed/signer-info.js';

export interface InspectedSigner {
  version: number;
  identifier: { type: 'issuerAndSerialNumber'; issuer: string; serial: string } | { type: 'subjectKeyIdentifier'; ski: string };
  /** The subject of the certificate the message carries for this signer, if it carries one. */
  certificate?: string;
  digest: string;
  digestOid: string;
  signature: string;
  signatureOid: string;
  /** False for a signature over the content itself, without signed attributes. */
  signedAttributes: boolean;
  /** ISO 8601, as the signer claims it (not checked). */
  signingTime?: string;
  /** Hex (RFC 2634 §2.7): what p7m's replay cache names the message by. */
  contentIdentifier?: string;
}

export type InspectedCertificate =
  | { subject: string; issuer: string; serial: string; notBefore: string; notAfter: string }
  | { malformed: string };

export type InspectedCrl =
  | { issuer: string; thisUpdate: string; nextUpdate?: string; revoked: number; complete: boolean }
  | { malformed: string };

export interface SignedInspection {
  /** 'smime' with `clearSigned` for a multipart/signed entity (RFC 8551 §3.5). */
  form: 'der' | 'pem' | 'smime';
  clearSigned: boolean;
  contentType: 'signedData';
  contentTypeOid: string;
  version: number;
  encoding: 'definite' | 'indefinite';
  digestAlgorithms: string[];
  content: {
    type: string;
    typeOid: string;
    /** The content is not in the SignedData (a detached signature, or the first part of a clear-signed entity). */
    detached: boolean;
    /** Bytes of content: in the message, or the clear-signed part; null for a detached signature given alone. */
    length: number | null;
  };
  certificates: InspectedCertificate[];
  crls: InspectedCrl[];
  /** A SignerInfo p7m cannot read is listed as malformed, like a certificate or CRL. */
  signers: (InspectedSigner | { malformed: string })[];
}

const reason = (e: unknown): string => (e instanceof P7mError ? e.message : String(e));

/**
 * A ContentInfo(SignedData) as DER/BER bytes. `clearSignedLength`: the length of the clear-signed part
 * when the signature came from a multipart/signed entity.
 */
export async function inspectSignedDer(
  der: AsyncIterable<Uint8Array>,
  form: SignedInspection['form'],
  opts: { clearSignedLength?: number; limits?: SignedDataLimits } = {},
): Promise<SignedInspection> {
  const limits = opts.limits ?? DEFAULT_SIGNED_DATA_LIMITS;
  const s = await readSignedData(der, limits, { bare: false });
  let length = 0;
  for await (const c of s.content) length += c.length;
  const t = await s.trailer();

  const carried = t.certificates.map((d) => {
    try { return parseCertificate(d); } catch (e) { return reason(e); }
  });
  const certificates = carried.map((c): InspectedCertificate => typeof c === 'string' ? { malformed: c } : {
    subject: c.subject, issuer: c.issuer, serial: hex(c.serial), notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(),
  });
  let crls: InspectedCrl[];
  try {
    crls = crlsOf(t, limits).map((d): InspectedCrl => {
      try {
        const c = parseCrl(d);
        return {
          issuer: c.issuer, thisUpdate: c.thisUpdate.toISOString(), ...(c.nextUpdate ? { nextUpdate: c.nextUpdate.toISOString() } : {}),
          revoked: c.revoked.size, complete: c.unusable === undefined,
        };
      } catch (e) {
        return { malformed: reason(e) };
      }
    });
  } catch (e) {
    crls = [{ malformed: reason(e) }];
  }

  const signers = t.signerInfos.map((bytes): InspectedSigner | { malformed: string } => {
    try {
      return describeSigner(bytes, carried);
    } catch (e) {
      if (e instanceof P7mError) return { malformed: e.message };
      throw e;
    }
  });

  return {
    form,
    clearSigned: opts.clearSignedLength !== undefined,
    contentType: 'signedData',
    contentTypeOid: OID.signedData,
    version: s.header.version,
    encoding: s.header.indefinite ? 'indefinite' : 'definite',
    digestAlgorithms: s.header.digestAlgorithms.map((a) => algorithmName(a.oid)),
    content: {
      type: algorithmName(s.header.eContentType),
      typeOid: s.header.eContentType,
      detached: s.header.detached,
      length: s.header.detached ? (opts.clearSignedLength ?? null) : length,
    },
    certificates,
    crls,
    signers,
  };
}

/** One SignerInfo as its signer names itself, with the carried certificate that matches it, if any. */
function describeSigner(bytes: Uint8Array, carried: readonly (CertInfo | string)[]): InspectedSigner {
  const si = decodeSignerInfo(bytes);
  const attrs = si.signedAttrs ? parseSignedAttributes(si.signedAttrs) : undefined;
  const cert = signerCertificate(si.sid, carried.filter((c): c is CertInfo => typeof c !== 'string'));
  return {
    version: si.version,
    identifier: si.sid.kind === 'ski'
      ? { type: 'subjectKeyIdentifier', ski: hex(si.sid.ski) }
      : { type: 'issuerAndSerialNumber', issuer: nameToString(si.sid.issuerDer), serial: hex(si.sid.serial) },
    ...(cert ? { certificate: cert.subject } : {}),
    digest: algorithmName(si.digestAlgorithm.oid),
    digestOid: si.digestAlgorithm.oid,
    signature: algorithmName(si.signatureAlgorithm.oid),
    signatureOid: si.signatureAlgorithm.oid,
    signedAttributes: attrs !== undefined,
    ...(attrs?.signingTime ? { signingTime: attrs.signingTime.toISOString() } : {}),
    ...(attrs?.contentIdentifier ? { contentIdentifier: hex(attrs.contentIdentifier) } : {}),
  };
}

export function formatSignedInspection(i: SignedInspection): string {
  const c = i.content;
  const lines = [
    `form:            ${i.clearSigned ? 'smime (clear-signed, multipart/signed)' : i.form}`,
    `content type:    ${i.contentType} (${i.contentTypeOid}), version ${i.version}`,
    `encoding:        ${i.encoding === 'definite' ? 'definite-length DER' : 'indefinite-length BER'}`,
    `digests:         ${i.digestAlgorithms.join(', ') || '(none)'}`,
    'signed content:',
    `  type:          ${c.type} (${c.typeOid})`,
    `  content:       ${c.detached ? (c.length === null ? 'detached (not in the message)' : `the first MIME part, ${c.length} bytes`) : `${c.length} bytes`}`,
    `signers:         ${i.signers.length}`,
  ];
  i.signers.forEach((s, n) => {
    if ('malformed' in s) { lines.push(`  ${n + 1}. malformed: ${s.malformed}`); return; }
    lines.push(`  ${n + 1}. version ${s.version}`);
    if (s.identifier.type === 'issuerAndSerialNumber') lines.push(`     issuer:        ${s.identifier.issuer}`, `     serial:        ${s.identifier.serial}`);
    else lines.push(`     subject key id: ${s.identifier.ski}`);
    lines.push(`     certificate:   ${s.certificate ?? '(not in the message)'}`);
    lines.push(`     algorithm:     ${s.signature} (${s.signatureOid}), digest ${s.digest}`);
    if (!s.signedAttributes) lines.push('     signed attributes: none');
    lines.push(`     signingTime:   ${s.signingTime ?? '(none)'}`);
    if (s.contentIdentifier) lines.push(`     content id:    ${s.contentIdentifier}`);
  });
  lines.push(`certificates:    ${i.certificates.length}`);
  i.certificates.forEach((x, n) => {
    if ('malformed' in x) lines.push(`  ${n + 1}. malformed: ${x.malformed}`);
    else lines.push(`  ${n + 1}. ${x.subject}`, `     issued by ${x.issuer}, serial ${x.serial}, valid ${x.notBefore} to ${x.notAfter}`);
  });
  if (i.crls.length) {
    lines.push(`crls:            ${i.crls.length}`);
    i.crls.forEach((x, n) => {
      if ('malformed' in x) lines.push(`  ${n + 1}. malformed: ${x.malformed}`);
      else {
        lines.push(`  ${n + 1}. from ${x.issuer}, ${x.revoked} revoked, ${x.thisUpdate} to ${x.nextUpdate ?? '(no next update)'}${x.complete ? '' : ' (not a complete list)'}`);
      }
    });
  }
  lines.push('nothing was verified: use p7m verify');
  return lines.join('\n') + '\n';
}
