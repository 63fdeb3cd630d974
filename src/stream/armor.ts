/**
 * Input forms recognised by strict rules (never guessed), and output forms, all streaming:
 *  - DER/BER: the first octet is 0x30 (a ContentInfo SEQUENCE, RFC 5652 §3);
 *  - PEM (RFC 7468 §2): the first line is `-----BEGIN CMS-----` or `-----BEGIN PKCS7-----`;
 *  - S/MIME (RFC 8551 §3.2): a MIME entity whose first line is a header field and whose
 *    Content-Type is application/pkcs7-mime (or the legacy x-pkcs7-mime), body in base64.
 */
import { MalformedInputError, UnsupportedContentError } from '../errors.js';

export type InputForm = 'der' | 'pem' | 'smime';
export type OutputForm = 'der' | 'pem' | 'smime';

/**
 * RFC 7468 §9 names CMS; PKCS7 is the older openssl label; gpgsm (and Kleopatra's "ASCII armor") write
 * ENCRYPTED MESSAGE and SIGNED MESSAGE around the same base64 CMS.
 */
const PEM_LABELS = new Set(['CMS', 'PKCS7', 'ENCRYPTED MESSAGE', 'SIGNED MESSAGE']);
const MAX_MIME_HEADER = 64 * 1024;
const MAX_PEM_LINE = 1024;

/** Pulls from an iterator while keeping what it has read, so that detection does not lose bytes. */
class Prefetch {
  buf = new Uint8Array(0);
  ended = false;
  constructor(readonly it: AsyncIterator<Uint8Array>) {}
  async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) { this.ended = true; return false; }
    const m = new Uint8Array(this.buf.length + r.value.length);
    m.set(this.buf); m.set(r.value, this.buf.length);
    this.buf = m;
    return true;
  }
  async *rest(from: number): AsyncGenerator<Uint8Array> {
    if (from < this.buf.length) yield this.buf.subarray(from);
    for (;;) {
      const r = await this.it.next();
      if (r.done) return;
      yield r.value;
    }
  }
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export interface OpenedInput {
  readonly form: InputForm;
  /** The BER bytes of the CMS message. */
  readonly der: AsyncIterable<Uint8Array>;
  /** S/MIME only: the smime-type parameter, when present. */
  readonly smimeType?: string;
}

export async function openInput(source: AsyncIterable<Uint8Array>): Promise<OpenedInput> {
  const p = new Prefetch(source[Symbol.asyncIterator]());
  while (p.buf.length === 0) if (!(await p.more())) throw new MalformedInputError('empty input');
  const first = p.buf[0]!;
  if (first === 0x30) return { form: 'der', der: p.rest(0) };

  // Text forms: read the first line.
  const lineEnd = async (from: number, max: number): Promise<number> => {
    for (;;) {
      const i = p.buf.indexOf(0x0a, from);
      if (i >= 0) return i;
      if (p.buf.length - from > max) return -1;
      if (!(await p.more())) return p.buf.length;
    }
  };
  const e = await lineEnd(0, MAX_PEM_LINE);
  const firstLine = e < 0 ? '' : latin1(p.buf.subarray(0, e)).replace(/\r$/, '');
  const pem = /^-----BEGIN ([A-Z0-9 #]+)-----\s*$/.exec(firstLine);
  if (pem) {
    const label = pem[1]!;
    if (!PEM_LABELS.has(label)) throw new MalformedInputError(`PEM input holds "${label}", not a CMS message (expected BEGIN CMS, PKCS7, ENCRYPTED MESSAGE or SIGNED MESSAGE)`);
    return { form: 'pem', der: base64Body(p.rest(e + 1), `-----END ${label}-----`) };
  }
  if (/^[!-9;-~]+:/.test(firstLine)) return openSmime(p);
  throw new MalformedInputError('input is not a CMS message: expected DER, PEM (-----BEGIN CMS-----) or an S/MIME entity');
}

async function openSmime(p: Prefetch): Promise<OpenedInput> {
  // Header block ends at the first empty line (RFC 5322 §2.1).
  let end = -1;
  let bodyStart = -1;
  for (;;) {
    const s = latin1(p.buf.subarray(0, Math.min(p.buf.length, MAX_MIME_HEADER + 4)));
    const m = /\r?\n\r?\n/.exec(s);
    if (m) { end = m.index; bodyStart = m.index + m[0].length; break; }
    if (p.buf.length > MAX_MIME_HEADER) throw new MalformedInputError(`S/MIME header block longer than ${MAX_MIME_HEADER} bytes`);
    if (!(await p.more())) throw new MalformedInputError('S/MIME entity without a body');
  }
  const fields = new Map<string, string>();
  const unfolded = latin1(p.buf.subarray(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) throw new MalformedInputError(`malformed S/MIME header line: ${JSON.stringify(line.slice(0, 60))}`);
    fields.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  const ct = fields.get('content-type');
  if (!ct) throw new MalformedInputError('S/MIME entity has no Content-Type');
  const [type, ...params] = ct.split(';').map((x) => x.trim());
  const mediaType = type!.toLowerCase();
  if (mediaType === 'multipart/signed') {
    throw new UnsupportedContentError('this is a clear-signed (multipart/signed) message, not an application/pkcs7-mime entity');
  }
  if (mediaType !== 'application/pkcs7-mime' && mediaType !== 'application/x-pkcs7-mime') {
    throw new MalformedInputError(`S/MIME Content-Type is ${mediaType}, not application/pkcs7-mime`);
  }
  let smimeType: string | undefined;
  for (const prm of params) {
    const m = /^([^=]+)=\s*"?([^"]*)"?$/.exec(prm);
    if (m && m[1]!.trim().toLowerCase() === 'smime-type') smimeType = m[2]!.toLowerCase();
  }
  const cte = (fields.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'binary') return { form: 'smime', der: p.rest(bodyStart), ...(smimeType ? { smimeType } : {}) };
  if (cte !== 'base64') throw new MalformedInputError(`S/MIME Content-Transfer-Encoding ${cte} is not base64`);
  return { form: 'smime', der: base64Body(p.rest(bodyStart), null), ...(smimeType ? { smimeType } : {}) };
}

const B64_INVALID = /[^A-Za-z0-9+/=]/;

/**
 * Streaming base64 decoder (RFC 4648 §4) that ignores line breaks and blanks, rejects any other
 * character, and stops at `endLine` (PEM) or at the end of the input / an empty line (MIME).
 */
async function* base64Body(src: AsyncIterable<Uint8Array>, endLine: string | null): AsyncGenerator<Uint8Array> {
  let carry = '';
  let finished = false;
  let sawPad = false;
  let pending = ''; // text not yet known to be free of the END marker
  const emit = (text: string): Uint8Array | null => {
    const clean = text.replace(/[\r\n\t ]+/g, '');
    if (clean.length === 0) return null;
    if (B64_INVALID.test(clean)) throw new MalformedInputError('invalid character in base64 data');
    if (sawPad) throw new MalformedInputError('base64 data continues after padding');
    let all = carry + clean;
    const eq = all.indexOf('=');
    if (eq >= 0) {
      if (!/^=+$/.test(all.slice(eq)) || all.length - eq > 2) throw new MalformedInputError('misplaced padding in base64 data');
      sawPad = true;
    }
    const usable = sawPad ? all.length : all.length - (all.length % 4);
    carry = all.slice(usable);
    all = all.slice(0, usable);
    if (all.length === 0) return null;
    if (sawPad && all.length % 4 !== 0) throw new MalformedInputError('truncated base64 data');
    return new Uint8Array(Buffer.from(all, 'base64'));
  };
  for await (const chunk of src) {
    if (finished) {
      if (/\S/.test(latin1(chunk))) throw new MalformedInputError('trailing data after the end of the base64 body');
      continue;
    }
    let text = pending + latin1(chunk);
    pending = '';
    if (endLine !== null) {
      const i = text.indexOf('-----');
      if (i >= 0) {
        // Keep going until the whole marker line is in hand.
        const nl = text.indexOf('\n', i);
        if (nl < 0 && text.length - i < endLine.length + 2) { pending = text; continue; }
        const line = text.slice(i, nl < 0 ? undefined : nl).replace(/\r$/, '').trimEnd();
        if (line !== endLine) throw new MalformedInputError(`unexpected PEM line ${JSON.stringify(line.slice(0, 40))}`);
        const out = emit(text.slice(0, i));
        if (out) yield out;
        finished = true;
        if (nl >= 0 && /\S/.test(text.slice(nl))) throw new MalformedInputError('trailing data after the PEM block');
        continue;
      }
      // A marker may straddle chunks: hold back a short tail.
      const hold = Math.min(text.length, 4);
      pending = text.slice(text.length - hold);
      text = text.slice(0, text.length - hold);
    }
    const out = emit(text);
    if (out) yield out;
  }
  if (endLine !== null && !finished) {
    if (pending.includes('-----')) throw new MalformedInputError('truncated PEM end line');
    throw new MalformedInputError(`PEM input has no ${endLine} line`);
  }
  const out = emit(pending);
  if (out) yield out;
  if (carry.length !== 0) throw new MalformedInputError('truncated base64 data');
}

/** Base64 with fixed-length lines, streaming: 48 input bytes make one 64-character line. */
export async function* base64Lines(src: AsyncIterable<Uint8Array>, eol: string): AsyncGenerator<Uint8Array> {
  let carry = new Uint8Array(0);
  for await (const chunk of src) {
    const all = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = all.length - (all.length % 48);
    if (whole > 0) yield wrap(Buffer.from(all.buffer, all.byteOffset, whole).toString('base64'), eol);
    carry = all.slice(whole);
  }
  if (carry.length) yield wrap(Buffer.from(carry).toString('base64'), eol);
}

function wrap(b64: string, eol: string): Uint8Array {
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return Buffer.from(lines.join(eol) + eol, 'latin1');
}

export async function* encodeOutput(der: AsyncIterable<Uint8Array>, form: OutputForm, smimeType = 'enveloped-data'): AsyncGenerator<Uint8Array> {
  if (form === 'der') { yield* der; return; }
  if (form === 'pem') {
    yield Buffer.from('-----BEGIN CMS-----\n');
    yield* base64Lines(der, '\n');
    yield Buffer.from('-----END CMS-----\n');
    return;
  }
  // RFC 8551 §3.2.1, §3.4 headers, as openssl and mail clients write them; CRLF line ends (RFC 5322).
  yield Buffer.from(
    'MIME-Version: 1.0\r\n' +
    'Content-Disposition: attachment; filename="smime.p7m"\r\n' +
    `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
    'Content-Transfer-Encoding: base64\r\n\r\n',
  );
  yield* base64Lines(der, '\r\n');
}
