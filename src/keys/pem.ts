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
  const text = Buffer.from(bytes.subarray(0, 1 << 20)).toString('latin1');
  if (/^-----BEGIN [^\r\n]*-----[ \t]*\r?$/m.test(text)) return 'pem';
  throw new KeyFileError(`not a ${what} file: neither PEM (no -----BEGIN line) nor DER (does not start with a SEQUENCE)`);
}

/** Every PEM block in `bytes`, in order. A BEGIN without its matching END, or bad base64, is an error. */
export function parsePem(bytes: Uint8Array): PemBlock[] {
  const lines = Buffer.from(bytes).toString('latin1').split(/\r?\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = BEGIN.exec(lines[i]!);
    if (!m) continue;
    const label = m[1] ?? '';
    const start = i;
    const headers = new Map<string, string>();
    const body: string[] = [];
    let inHeaders = true;
    let ended = false;
    for (i++; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line.startsWith('-----END ')) {
        if (line.replace(/[ \t]+$/, '') !== `-----END ${label}-----`) {
          throw new KeyFileError(`PEM block "${label}" ends with a different label: ${line}`);
        }
        ended = true;
        break;
      }
      // RFC 1421 §4.6: encapsulated headers, then a blank line (legacy "Proc-Type: 4,ENCRYPTED" keys).
      const h = inHeaders ? /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line) : null;
      if (h) {
        headers.set(h[1]!, h[2]!);
        continue;
      }
      inHeaders = false;
      if (line !== '') body.push(line);
    }
    if (!ended) throw new KeyFileError(`PEM block "${label}" has no END line`);
    const b64 = body.join('');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw new KeyFileError(`PEM block "${label}" holds invalid base64`);
    }
    const der = new Uint8Array(Buffer.from(b64, 'base64'));
    if (der.length === 0) throw new KeyFileError(`PEM block "${label}" is empty`);
    blocks.push({ label, headers, der, text: lines.slice(start, i + 1).join('\n') + '\n' });
  }
  return blocks;
}
