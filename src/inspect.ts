/** `inspect`: what a message is and who it is for, without any key. */
import { Readable } from 'node:stream';
import { CONTENT_CIPHERS } from './algorithms.js';
import { P7mError, MalformedInputError } from './errors.js';
import { octetString, parseBer } from './format/asn1.js';
import { decodeGcmParams } from './format/gcm-params.js';
import { decodeOaepParams } from './format/oaep-params.js';
import { algorithmName, describeRecipient, hex, nameToString } from './describe.js';
import { type Limits, resolveLimits } from './limits.js';
import { OID } from './oids.js';
import { type InputForm, type OpenedInput, openInput } from './stream/armor.js';
import { peekContentType } from './stream/peek.js';
import { type SignedInspection, inspectSignedDer } from './inspect-signed.js';
import { parseMultipartSigned, sniffMultipartSigned } from './signed/multipart.js';
import { DEFAULT_SIGNED_DATA_LIMITS } from './signed/reader.js';
import { readEnvelope } from './stream/envelope-reader.js';

export interface InspectedRecipient {
  kind: 'ktri' | 'kari' | 'kekri' | 'pwri' | 'ori';
  version: number | null;
  description: string;
  identifier?: { type: 'issuerAndSerialNumber'; issuer: string; serial: string } | { type: 'subjectKeyIdentifier'; ski: string };
  keyTransport?: { algorithm: string; oid: string; parameters?: { hash: string; mgf1Hash: string; label: string } };
  encryptedKeyLength?: number;
}

export interface Inspection {
  form: InputForm;
  /** authEnvelopedData: RFC 5083, authenticated (AES-GCM). */
  contentType: 'envelopedData' | 'authEnvelopedData';
  contentTypeOid: string;
  version: number;
  encoding: 'definite' | 'indefinite';
  originatorCertificates: number;
  recipients: InspectedRecipient[];
  content: {
    type: string;
    typeOid: string;
    cipher: string;
    cipherOid: string;
    /** The IV, or GCM's nonce. */
    iv?: string;
    ciphertextLength: number;
    /** AuthEnvelopedData: the tag's length, and whether authenticated attributes come with it. */
    macLength?: number;
    authenticatedAttributes?: boolean;
  };
}

/** An EnvelopedData from a stream of DER, PEM or S/MIME (a signed message is refused: see inspectMessage). */
export async function inspectStream(source: AsyncIterable<Uint8Array>, limits?: Partial<Limits>): Promise<Inspection> {
  return inspectEnvelope(await openInput(source), limits);
}

/**
 * Any message p7m reads: an EnvelopedData (Inspection) or a SignedData, including a clear-signed
 * multipart/signed entity (SignedInspection, src/inspect-signed.ts); `contentType` tells which.
 */
export async function inspectMessage(source: AsyncIterable<Uint8Array>, limits?: Partial<Limits>): Promise<Inspection | SignedInspection> {
  // The caller's limits apply to signed messages too, over the signed reader's own defaults.
  const signedLimits = { ...DEFAULT_SIGNED_DATA_LIMITS, ...(limits ?? {}) };
  const sniffed = await sniffMultipartSigned(source);
  if (sniffed.multipartSigned) {
    const { content, signature } = parseMultipartSigned(sniffed.entity);
    return inspectSignedDer(Readable.from([signature]), 'smime', { clearSignedLength: content.length, limits: signedLimits });
  }
  const input = await openInput(sniffed.stream);
  const { contentType, stream } = await peekContentType(input.der);
  if (contentType === OID.signedData) return inspectSignedDer(stream, input.form, { limits: signedLimits });
  return inspectEnvelope({ ...input, der: stream }, limits);
}

async function inspectEnvelope(input: OpenedInput, limits?: Partial<Limits>): Promise<Inspection> {
  const env = await readEnvelope(input.der, resolveLimits(limits));
  const h = env.header;
  let ciphertextLength = 0;
  for await (const c of env.content) ciphertextLength += c.length;

  const cipher = CONTENT_CIPHERS.find((c) => c.oid === h.contentEncryptionAlgorithm.oid);
  const auth = h.authenticated ? env.authentication() : undefined;
  let iv: string | undefined;
  try {
    const params = h.contentEncryptionAlgorithm.params;
    // GCM's nonce is in GCMParameters (RFC 5084 §3.2); CBC's parameters are the IV.
    if (cipher?.mode === 'gcm') iv = hex(decodeGcmParams(params).nonce);
    else if (params) iv = hex(octetString(parseBer(params, 'iv'), 'iv'));
  } catch (e) {
    if (!(e instanceof MalformedInputError)) throw e;
  }
  const recipients = h.recipientInfos.map((ri): InspectedRecipient => {
    if (ri.type !== 'ktri') return { kind: ri.type, version: ri.version, description: describeRecipient(ri) };
    const alg = ri.keyEncryptionAlgorithm;
    let parameters: { hash: string; mgf1Hash: string; label: string } | undefined;
    if (alg.oid === OID.rsaesOaep) {
      try {
        const p = decodeOaepParams(alg.params);
        parameters = { hash: p.hash, mgf1Hash: p.mgf1Hash, label: hex(p.label) };
      } catch (e) {
        if (!(e instanceof P7mError)) throw e;
        parameters = { hash: 'malformed', mgf1Hash: 'malformed', label: '' };
      }
    }
    return {
      kind: 'ktri',
      version: ri.version,
      description: describeRecipient(ri),
      identifier: ri.rid.kind === 'ski'
        ? { type: 'subjectKeyIdentifier', ski: hex(ri.rid.ski) }
        : { type: 'issuerAndSerialNumber', issuer: nameToString(ri.rid.issuerDer), serial: hex(ri.rid.serial) },
      keyTransport: { algorithm: algorithmName(alg.oid), oid: alg.oid, ...(parameters ? { parameters } : {}) },
      encryptedKeyLength: ri.encryptedKey.length,
    };
  });
  return {
    form: input.form,
    contentType: h.authenticated ? 'authEnvelopedData' : 'envelopedData',
    contentTypeOid: h.authenticated ? OID.authEnvelopedData : OID.envelopedData,
    version: h.version,
    encoding: h.indefinite ? 'indefinite' : 'definite',
    originatorCertificates: h.originatorCertificates,
    recipients,
    content: {
      type: algorithmName(h.contentType),
      typeOid: h.contentType,
      cipher: cipher?.name ?? algorithmName(h.contentEncryptionAlgorithm.oid),
      cipherOid: h.contentEncryptionAlgorithm.oid,
      ...(iv !== undefined ? { iv } : {}),
      ciphertextLength,
      ...(auth ? { macLength: auth.mac.length, authenticatedAttributes: auth.aad !== undefined } : {}),
    },
  };
}

/** Buffer API. */
export async function inspect(p7m: Uint8Array, opts?: { limits?: Partial<Limits> }): Promise<Inspection> {
  return inspectStream(Readable.from([p7m]), opts?.limits);
}

export function formatInspection(i: Inspection): string {
  const lines = [
    `form:            ${i.form}`,
    `content type:    ${i.contentType} (${i.contentTypeOid}), version ${i.version}`,
    `encoding:        ${i.encoding === 'definite' ? 'definite-length DER' : 'indefinite-length BER'}`,
  ];
  if (i.originatorCertificates) lines.push(`originator certs: ${i.originatorCertificates}`);
  lines.push(`recipients:      ${i.recipients.length}`);
  i.recipients.forEach((r, n) => {
    lines.push(`  ${n + 1}. ${r.kind === 'ktri' ? 'key transport (ktri)' : r.kind}, version ${r.version ?? '-'}`);
    if (r.identifier?.type === 'issuerAndSerialNumber') {
      lines.push(`     issuer:        ${r.identifier.issuer}`, `     serial:        ${r.identifier.serial}`);
    } else if (r.identifier) {
      lines.push(`     subject key id: ${r.identifier.ski}`);
    }
    if (r.keyTransport) {
      lines.push(`     algorithm:     ${r.keyTransport.algorithm} (${r.keyTransport.oid})`);
      const p = r.keyTransport.parameters;
      if (p) lines.push(`     oaep params:   hash ${p.hash}, mgf1 ${p.mgf1Hash}, label ${p.label === '' ? '(empty)' : p.label}`);
      lines.push(`     encrypted key: ${r.encryptedKeyLength} bytes`);
    }
    if (r.kind !== 'ktri') lines.push(`     ${r.description}`);
  });
  const c = i.content;
  lines.push(
    'encrypted content:',
    `  type:          ${c.type} (${c.typeOid})`,
    `  cipher:        ${c.cipher} (${c.cipherOid})`,
    `  iv:            ${c.iv ?? '(none)'}`,
    `  ciphertext:    ${c.ciphertextLength} bytes`,
  );
  if (c.macLength !== undefined) {
    lines.push(`  tag:           ${c.macLength} bytes${c.authenticatedAttributes ? ', with authenticated attributes' : ''}`);
  }
  return lines.join('\n') + '\n';
}
