// Did the writer write what the cell asked for? Checked on the bytes, by our own BER reader.
import { readFile } from 'node:fs/promises';
import { BerError, summarizeEnvelope, unframe, type EnvelopeSummary, type Framing } from './ber.js';
import type { Case } from './cases.js';
import type { Identity } from './pki.js';

export interface Written {
  readonly framing: Framing;
  readonly summary: EnvelopeSummary;
}

/** Mismatches between a message and the case, each as "wrote <what> <got> (asked <want>)". */
export function mismatches(w: Written, c: Case, recipients: readonly Identity[]): string[] {
  const out: string[] = [];
  const f = w.framing;
  if (f.form !== c.form) out.push(`wrote form ${f.form} (asked ${c.form})`);
  if (f.form === 'smime' && !/^application\/(x-)?pkcs7-mime$/i.test(f.contentType)) {
    out.push(`wrote Content-Type ${f.contentType} (asked application/pkcs7-mime)`);
  }
  const s = w.summary;
  const encoding = s.anyIndefinite ? 'indefinite' : 'definite';
  if (c.encoding === 'definite' && s.anyIndefinite) out.push(`wrote encoding indefinite (asked definite)`);
  if (c.encoding === 'indefinite' && !s.outerIndefinite) out.push(`wrote encoding ${encoding} (asked indefinite)`);
  if (s.cipher !== c.cipher) out.push(`wrote cipher ${s.cipher} (asked ${c.cipher})`);
  if (s.recipients.length !== recipients.length) {
    out.push(`wrote ${s.recipients.length} recipients (asked ${recipients.length})`);
  }
  s.recipients.forEach((ri, i) => {
    const want = recipients[i];
    if (ri.keyTransport !== c.kt) out.push(`wrote key transport ${ri.keyTransport} (asked ${c.kt})`);
    if (ri.rid.kind !== c.rid) out.push(`wrote rid ${ri.rid.kind} (asked ${c.rid})`);
    if (!want) return;
    const same =
      ri.rid.kind === 'ski'
        ? ri.rid.ski === want.ids.ski
        : ri.rid.issuer === want.ids.issuer && ri.rid.serial === want.ids.serial;
    if (!same) out.push(`recipient ${i + 1} is not ${want.name}`);
    // RFC 5652 §6.2.1: version 0 with issuerAndSerialNumber, 2 with subjectKeyIdentifier.
    const version = ri.rid.kind === 'ski' ? 2 : 0;
    if (ri.version !== version) out.push(`wrote KeyTransRecipientInfo version ${ri.version} for rid ${ri.rid.kind}`);
  });
  return [...new Set(out)];
}

export async function inspectFile(path: string): Promise<Written> {
  const bytes = await readFile(path);
  try {
    const { framing, ber } = unframe(bytes);
    return { framing, summary: summarizeEnvelope(ber) };
  } catch (e) {
    if (e instanceof BerError) throw new BerError(`unreadable output (${bytes.length} bytes): ${e.message}`);
    throw e;
  }
}

export function describeWritten(w: Written): string {
  const f = w.framing;
  const form = f.form === 'pem' ? `pem "${f.label}"` : f.form;
  const s = w.summary;
  return `${form}, ${s.anyIndefinite ? (s.outerIndefinite ? 'indefinite' : 'mixed') : 'definite'}, ${s.cipher}, ${s.recipients
    .map((r) => `${r.rid.kind}/${r.keyTransport}`)
    .join(' + ')}`;
}
