// Did the writer of a signed row write what the row asked for? Checked on the bytes by our own BER
// reader (ber.ts). A signed-then-enveloped message is opened with `openssl cms -decrypt` (the
// reference peer, which hands back the decrypted octets whatever the content type) so that the
// inner signature can be read too.
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerError, content, decodeOid, oidName, parseBer, summarizeEnvelope, summarizeSigned, unframe, type EnvelopeSummary, type Framing, type SignedSummary } from './ber.js';
import type { Identity } from './pki.js';
import { runOk, type Trace } from './run.js';
import { scheme, type SignedCase } from './signed-cases.js';

export interface SignedWritten {
  readonly framing: Framing;
  /** 'sign-encrypt': the envelope around the signed message. */
  readonly envelope?: EnvelopeSummary;
  readonly signed: SignedSummary;
}

/** The entity a multipart/signed message carries its signature in (RFC 8551 §3.5.3, RFC 1847 §2.1). */
function multipartSignature(text: string): { ber: Uint8Array; micalg?: string } | null {
  const split = /\r?\n\r?\n/.exec(text);
  if (!split || !/^[A-Za-z-]+:/.test(text)) return null;
  const headers = text.slice(0, split.index).replace(/\r?\n[ \t]+/g, ' ');
  if (!/^content-type:\s*multipart\/signed/im.test(headers)) return null;
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers)?.[1];
  if (!boundary) throw new BerError('multipart/signed without a boundary');
  const parts = text.split(new RegExp(`\\r?\\n--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const sig = parts.find((p) => /content-type:\s*application\/(x-)?pkcs7-signature/i.test(p.split(/\r?\n\r?\n/)[0] ?? ''));
  if (!sig) throw new BerError('multipart/signed without an application/pkcs7-signature part');
  const body = sig.slice(/\r?\n\r?\n/.exec(sig)!.index).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new BerError('the signature part is not base64');
  const micalg = /micalg="?([^";\s]+)"?/i.exec(headers)?.[1]?.toLowerCase();
  return { ber: Buffer.from(body, 'base64'), ...(micalg ? { micalg } : {}) };
}

/** How the message is framed, and the BER inside (multipart/signed: the signature part). */
export function unframeSigned(bytes: Uint8Array): { framing: Framing; ber: Uint8Array } {
  const text = Buffer.from(bytes).toString('latin1');
  const sig = bytes[0] === 0x30 ? null : multipartSignature(text);
  if (sig) return { framing: { form: 'smime', contentType: 'multipart/signed', ...(sig.micalg ? { micalg: sig.micalg } : {}) }, ber: sig.ber };
  return unframe(bytes);
}

export async function inspectSigned(path: string, recipient: Identity, scratch: string, trace: Trace): Promise<SignedWritten> {
  const bytes = await readFile(path);
  let framing: Framing;
  let ber: Uint8Array;
  try {
    ({ framing, ber } = unframeSigned(bytes));
  } catch (e) {
    if (e instanceof BerError) throw new BerError(`unreadable output (${bytes.length} bytes): ${e.message}`);
    throw e;
  }
  if (topType(ber) === 'envelopedData') {
    const envelope = summarizeEnvelope(ber);
    const der = join(scratch, 'harness-envelope.der');
    const inner = join(scratch, 'harness-inner.der');
    await writeFile(der, ber);
    await runOk(trace, 'openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', der, '-recip', recipient.cert, '-inkey', recipient.key, '-out', inner]);
    const innerBytes = await readFile(inner);
    try {
      return { framing, envelope, signed: summarizeSigned(innerBytes) };
    } catch (e) {
      throw new BerError(`the enveloped content (${innerBytes.length} bytes) is not a SignedData: ${(e as Error).message}`);
    }
  }
  return { framing, signed: summarizeSigned(ber) };
}

/** The contentType of a ContentInfo, by name; null for anything else. */
function topType(ber: Uint8Array): string | null {
  try {
    const first = parseBer(ber).children[0];
    return first?.tag === 0x06 ? oidName(decodeOid(content(ber, first))) : null;
  } catch {
    return null;
  }
}

/** Mismatches between a signed message and its row, each "wrote <what> (asked <want>)". */
/**
 * What the writer wrote unlike the row asked. `addsContentId`: the writer can add an RFC 2634
 * contentIdentifier (p7m always does, Bouncy Castle when asked), so a replay row must carry one.
 */
export function signedMismatches(w: SignedWritten, c: SignedCase, addsContentId: boolean): string[] {
  const out: string[] = [];
  const f = w.framing;
  if (f.form !== c.form) out.push(`wrote form ${f.form} (asked ${c.form})`);
  if (f.form === 'smime') {
    const want = c.op === 'sign' && c.placement === 'detached' ? 'multipart/signed' : 'application/pkcs7-mime';
    const got = f.contentType.toLowerCase().replace('x-pkcs7', 'pkcs7');
    if (got !== want) out.push(`wrote Content-Type ${f.contentType} (asked ${want})`);
  }
  if (c.op === 'sign-encrypt' && !w.envelope) out.push('wrote a bare SignedData (asked signed-then-enveloped)');
  if (c.op === 'sign' && w.envelope) out.push('wrote an EnvelopedData (asked a SignedData)');
  const s = w.signed;
  if (s.detached !== (c.placement === 'detached')) out.push(`wrote placement ${s.detached ? 'detached' : 'opaque'} (asked ${c.placement})`);
  if (s.signers.length !== 1) out.push(`wrote ${s.signers.length} signers (asked 1)`);
  const si = s.signers[0];
  if (si) {
    if (si.scheme !== scheme(c.sig)) out.push(`wrote signature ${si.scheme} (asked ${scheme(c.sig)})`);
    if (si.digest !== c.digest) out.push(`wrote digest ${si.digest} (asked ${c.digest})`);
    // RFC 8551 §3.5.3.2: micalg names the digest of the signature part (sha-256, …)
    if (f.form === 'smime' && f.contentType === 'multipart/signed' && f.micalg !== si.digest.replace('sha', 'sha-')) {
      out.push(`wrote micalg ${f.micalg ?? 'none'} (asked ${si.digest.replace('sha', 'sha-')})`);
    }
    if (!si.attrs.includes('signingTime')) out.push('wrote no signingTime signed attribute (asked one)');
    // The others (openssl, gpgsm, NSS) cannot: p7m names their messages by the signed attributes.
    if (c.receive === 'replay' && addsContentId && !si.attrs.includes('contentIdentifier')) {
      out.push('wrote signed attributes without id-aa-contentIdentifier (asked for replay protection)');
    }
  }
  return [...new Set(out)];
}

export function describeSignedWritten(w: SignedWritten): string {
  const f = w.framing;
  const form = f.form === 'pem' ? `pem "${f.label}"` : f.form === 'smime' ? `smime ${f.contentType}` : f.form;
  const s = w.signed;
  const si = s.signers[0];
  const attrs = si ? si.attrs.filter((a) => a === 'signingTime' || a === 'contentIdentifier').join('+') || 'no time/id' : '';
  const sig = `${s.detached ? 'detached' : 'opaque'} ${si ? `${si.scheme}/${si.digest}` : 'no signer'} [${attrs}]`;
  if (!w.envelope) return `${form}, ${sig}`;
  const inner = s.bare ? 'bare SignedData' : 'ContentInfo(SignedData)';
  return `${form}, envelope of id-${w.envelope.contentType} holding ${inner}, ${sig}`;
}

/** Whether a file is a clear-signed S/MIME entity (which carries its content). */
export async function isMultipartSigned(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2048), 0, 2048, 0);
    const head = buffer.subarray(0, bytesRead).toString('latin1').split(/\r?\n\r?\n/)[0]!;
    return /^content-type:\s*multipart\/signed/im.test(head);
  } finally {
    await fh.close();
  }
}
