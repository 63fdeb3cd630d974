/**
 * PEM (RFC 7468) for key and certificate files, and the one rule that tells PEM from DER.
 *
 * The rule is strict (no guessing): a file whose first octet is 0x30 (a DER SEQUENCE: every certificate, key and PFX)
 * is DER; a file holding a `-----BEGIN …-----` line is PEM; anything else is refused. Text outside the blocks is
 * ignored (RFC 7468 §2 "explanatory text"; `openssl pkcs12` writes "Bag Attributes" there).
 */
import { KeyFileError } from '../errors.js';

export interface PemBlock {
  readonly label: string;
  /** RFC 1421 headers of legacy encrypted keys (`Proc-Type`, `DEK-Info`); empty otherwise. */
  readonly headers: ReadonlyMap<string, string>;
  readonly der: Uint8Array;
  /** The block's text, BEGIN to END line, for node:crypto when it must read a legacy-encrypted PEM itself. */
  readonly text: string;
}

export type Encoding = 'der' | 'pem';

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----[ \t]*$/;

/** The strict PEM-or-DER rule above; `what` names the file kind in the error ("certificate", "private key"). */
export function detectEncoding(bytes: Uint8Array, what: string): Encoding {
  if (bytes.length === 0) throw new KeyFileError(`the ${what} file is empty`);
  if (bytes[0] === 0x30) return 'der';
  // A `-----BEGIN …-----` line in the first MiB, found in the bytes: a bundle of 100 certificates is
  // not copied and decoded whole only to find its first line.
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1 << 20));
  for (let at = view.indexOf('-----BEGIN '); at >= 0; at = view.indexOf('-----BEGIN ', at + 1)) {
    if (at > 0 && view[at - 1] !== 0x0a) continue;
    const nl = view.indexOf(0x0a, at);
    if (/^-----BEGIN [^\r\n]*-----[ \t]*\r?$/.test(view.toString('latin1', at, nl < 0 ? view.length : nl))) return 'pem';
  }
  throw new KeyFileError(`not a ${what} file: neither PEM (no -----BEGIN line) nor DER (does not start with a SEQUENCE)`);
}

/** Whitespace that String.prototype.trim removes, as it can occur in latin1 text. */
const TRIMMED = /^[\t\v\f\r \xa0]*$/;

/**
 * Every PEM block in `bytes`, in order. A BEGIN without its matching END, or bad base64, is an error.
 *
 * A BEGIN line counts only at the start of a line; the END line is the first later line that starts,
 * after blanks, with `-----END ` (RFC 7468 §3: lax readers accept blanks around the lines). The text
 * is searched, not split into lines: a bundle of 100 certificates is read in a cold process, where
 * per-line work was a fifth of the cost of each recipient.
 */
export function parsePem(bytes: Uint8Array): PemBlock[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const blocks: PemBlock[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN', at);
    if (begin < 0) break;
    const beginEnd = lineEnd(text, begin);
    const m = begin === 0 || text[begin - 1] === '\n' ? BEGIN.exec(lineAt(text, begin, beginEnd)) : null;
    if (!m) { at = begin + 1; continue; }
    const label = m[1] ?? '';
    // The END line: the first `-----END ` that only blanks precede on its line.
    let end = -1;
    for (let from = beginEnd; ; from = end + 1) {
      end = text.indexOf('-----END ', from);
      if (end < 0) throw new KeyFileError(`PEM block "${label}" has no END line`);
      const lineStart = text.lastIndexOf('\n', end) + 1;
      if (lineStart > beginEnd && TRIMMED.test(text.slice(lineStart, end))) break;
    }
    const endEnd = lineEnd(text, end);
    const endLine = lineAt(text, end, endEnd).trim();
    if (endLine !== `-----END ${label}-----`) {
      throw new KeyFileError(`PEM block "${label}" ends with a different label: ${endLine}`);
    }
    const inner = text.slice(beginEnd + 1, text.lastIndexOf('\n', end) + 1);
    const { headers, b64 } = body(inner);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new KeyFileError(`PEM block "${label}" holds invalid base64`);
    }
    const der = new Uint8Array(Buffer.from(b64, 'base64'));
    if (der.length === 0) throw new KeyFileError(`PEM block "${label}" is empty`);
    // The block's own text is made only when asked for (legacy-encrypted keys only).
    blocks.push({ label, headers, der, get text() { return text.slice(begin, endEnd).replace(/\r\n/g, '\n').replace(/\r$/, '') + '\n'; } });
    at = endEnd;
  }
  return blocks;
}

/** Index of the line feed ending the line that holds `i` (the text's length on the last line). */
function lineEnd(text: string, i: number): number {
  const n = text.indexOf('\n', i);
  return n < 0 ? text.length : n;
}

/** The line from `i` to `end`, without the carriage return of a CRLF. */
function lineAt(text: string, i: number, end: number): string {
  return text.slice(i, end > i && text[end - 1] === '\r' && end < text.length ? end - 1 : end);
}

/**
 * The base64 between BEGIN and END, each line trimmed; RFC 1421 §4.6 encapsulated headers first, up
 * to a blank line (legacy "Proc-Type: 4,ENCRYPTED" keys). Without a colon there are no headers, and
 * the lines are joined in one pass.
 */
function body(inner: string): { headers: Map<string, string>; b64: string } {
  const headers = new Map<string, string>();
  if (!inner.includes(':')) return { headers, b64: inner.replace(/[\t\v\f\r \xa0]*\n[\t\v\f\r \xa0]*/g, '').trim() };
  const lines: string[] = [];
  let inHeaders = true;
  for (const raw of inner.split(/\r?\n/)) {
    const line = raw.trim();
    const h = inHeaders ? /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line) : null;
    if (h) {
      headers.set(h[1]!, h[2]!);
      continue;
    }
    inHeaders = false;
    if (line !== '') lines.push(line);
  }
  return { headers, b64: lines.join('') };
}
