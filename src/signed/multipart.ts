/**
 * Clear-signed S/MIME: a multipart/signed entity (RFC 1847 §2.1, RFC 8551 §3.5.3), what
 * `openssl cms -sign` writes by default and what Thunderbird and Outlook put inside an envelope.
 *
 *   Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="B"
 *
 *   --B
 *   <first body part: its own headers, an empty line, its body>      ← the signed content
 *   --B
 *   Content-Type: application/pkcs7-signature; name=smime.p7s
 *   Content-Transfer-Encoding: base64
 *
 *   <base64 of a detached ContentInfo(SignedData)>
 *   --B--
 *
 * The signature covers the first body part exactly as it lies between the delimiter lines, headers
 * included, in canonical form: CRLF line ends (RFC 8551 §3.1.1). The line break before a delimiter
 * belongs to the delimiter (RFC 2046 §5.1.1), not to the part. A mail relay may have turned CRLF into
 * LF, so the part is brought back to CRLF before hashing, as `openssl cms -verify` does; nothing else
 * is changed (a relay that re-encoded the body breaks the signature, by design).
 *
 * The entity is handled in memory (the content and its signature come in two separate places), within
 * MAX_MULTIPART_SIGNED_BYTES; parsing is strict, never guessed: exactly two parts, a closing delimiter,
 * one Content-Type, the protocol parameter naming PKCS#7, a base64 signature.
 */
import { LimitExceededError, MalformedInputError, UnsupportedContentError } from '../errors.js';
import { DEFAULT_SIGNED_DATA_LIMITS, readSignedData } from './reader.js';
import { type VerifyPolicy, type VerifyResult, verify } from './verify.js';

/** The largest multipart/signed entity read (it is buffered whole). */
export const MAX_MULTIPART_SIGNED_BYTES = 64 * 1024 * 1024;
/** A header block longer than this is not mail (the same bound as src/stream/armor.ts). */
export const MAX_HEADER_BYTES = 64 * 1024;
/** RFC 2046 §5.1.1: a boundary is 1 to 70 of these characters, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
/** RFC 8551 §3.5.3 names application/pkcs7-signature (what p7m writes); older clients write the x- form. */
export const SIGNATURE_TYPE = 'application/pkcs7-signature';
const SIGNATURE_TYPES = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

export interface MultipartSigned {
  /** The first body part, headers included, with CRLF line ends: the bytes the signature covers. */
  readonly content: Uint8Array;
  /** The signature part, decoded: a DER ContentInfo(SignedData) without eContent. */
  readonly signature: Uint8Array;
  /** The micalg parameter, lower case, when present (informational: the SignerInfo names the digest). */
  readonly micalg?: string;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export interface ContentType {
  readonly mediaType: string;
  readonly params: ReadonlyMap<string, string>;
}

/**
 * `type/subtype *(";" attribute "=" (token / quoted-string))` (RFC 2045 §5.1). A parameter given twice
 * is an error: two boundaries are two readings of one message, the raw material of a signature-wrapping
 * attack.
 */
export function parseContentType(value: string): ContentType {
  const m = /^[ \t]*([!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*/.exec(value);
  if (!m) throw new MalformedInputError(`malformed Content-Type: ${JSON.stringify(value.slice(0, 80))}`);
  const params = new Map<string, string>();
  let i = m[0].length;
  const bad = (): never => { throw new MalformedInputError(`malformed Content-Type parameters: ${JSON.stringify(value.slice(0, 120))}`); };
  while (i < value.length) {
    if (value[i] !== ';') bad();
    i++;
    while (value[i] === ' ' || value[i] === '\t') i++;
    if (i >= value.length) break; // a trailing ";", as some clients write
    const a = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*=[ \t]*/.exec(value.slice(i));
    if (!a) bad();
    const name = a![1]!.toLowerCase();
    i += a![0].length;
    let v = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) bad();
        const c = value[i]!;
        if (c === '"') { i++; break; }
        if (c === '\\') { i++; if (i >= value.length) bad(); }
        v += value[i]!;
        i++;
      }
    } else {
      const t = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(value.slice(i));
      if (!t) bad();
      v = t![0];
      i += v.length;
    }
    if (params.has(name)) throw new MalformedInputError(`Content-Type parameter ${name} given twice`);
    params.set(name, v);
    while (value[i] === ' ' || value[i] === '\t') i++;
  }
  return { mediaType: m[1]!.toLowerCase(), params };
}

interface Entity {
  /** Header fields by lower-case name (each at most once among those read here). */
  readonly fields: ReadonlyMap<string, string>;
  /** Offset of the body: after the empty line. */
  readonly bodyStart: number;
}

/** Offset of the empty line that ends a header block starting at `from`, and of the body after it; null if none within the bound. */
function headerEnd(b: Uint8Array, from: number, max: number): { end: number; body: number } | null {
  let line = from;
  while (line < b.length && line - from <= max) {
    if (b[line] === 0x0a) return { end: line, body: line + 1 };
    if (b[line] === 0x0d && b[line + 1] === 0x0a) return { end: line, body: line + 2 };
    const nl = b.indexOf(0x0a, line);
    if (nl < 0) return null;
    line = nl + 1;
  }
  return null;
}

/** Reads the header block of a MIME entity (RFC 5322 §2.2, unfolding §2.2.3). */
function readHeaders(b: Uint8Array, from: number, what: string): Entity {
  const h = headerEnd(b, from, MAX_HEADER_BYTES);
  if (!h) {
    throw b.length - from > MAX_HEADER_BYTES
      ? new LimitExceededError(`${what}: header block longer than ${MAX_HEADER_BYTES} bytes`)
      : new MalformedInputError(`${what}: no empty line after the header fields`);
  }
  const fields = new Map<string, string>();
  const text = latin1(b.subarray(from, h.end)).replace(/\r?\n[ \t]/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue; // a part without header fields
    const m = /^([!-9;-~]+):[ \t]*(.*?)[ \t\r]*$/.exec(line);
    if (!m) throw new MalformedInputError(`${what}: malformed header line ${JSON.stringify(line.slice(0, 60))}`);
    const name = m[1]!.toLowerCase();
    if ((name === 'content-type' || name === 'content-transfer-encoding') && fields.has(name)) {
      throw new MalformedInputError(`${what}: ${m[1]} given twice`);
    }
    fields.set(name, m[2]!);
  }
  return { fields, bodyStart: h.body };
}

/**
 * The body parts of a multipart body (RFC 2046 §5.1.1), as exact byte ranges: a delimiter is a line
 * that is "--" boundary, optionally followed by blanks ("--" boundary "--" closes); the line break
 * before a delimiter belongs to it. The preamble and the epilogue are ignored.
 */
function splitParts(body: Uint8Array, boundary: string): Uint8Array[] {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const buf = Buffer.from(body.buffer, body.byteOffset, body.length);
  const parts: Uint8Array[] = [];
  let partStart = -1; // -1: still in the preamble
  for (let at = buf.indexOf(dash, 0); at >= 0; at = buf.indexOf(dash, at + 1)) {
    if (at > 0 && buf[at - 1] !== 0x0a) continue; // not at the start of a line
    const nl = buf.indexOf(0x0a, at);
    const lineEnd = nl < 0 ? buf.length : nl;
    const rest = latin1(buf.subarray(at + dash.length, lineEnd)).replace(/\r$/, '');
    const close = /^--[ \t]*$/.test(rest);
    if (!close && !/^[ \t]*$/.test(rest)) continue; // a line that only begins like the boundary
    if (partStart >= 0) {
      // The part ends before the line break that precedes this delimiter (none if the part is empty).
      let end = at;
      if (end > partStart && buf[end - 1] === 0x0a) end--;
      if (end > partStart && buf[end - 1] === 0x0d) end--;
      parts.push(buf.subarray(partStart, end));
    }
    if (close) return parts;
    if (nl < 0) break;
    partStart = nl + 1;
  }
  throw new MalformedInputError(partStart < 0 ? 'multipart/signed: the boundary never occurs in the body' : 'multipart/signed: truncated, no closing boundary');
}

/** RFC 8551 §3.1.1: canonical text has CRLF line ends; a bare LF (a relay's conversion) becomes CRLF. */
export function canonicalLineEnds(part: Uint8Array): Uint8Array {
  const b = Buffer.from(part.buffer, part.byteOffset, part.length);
  let bare = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) if (i === 0 || b[i - 1] !== 0x0d) bare++;
  if (bare === 0) return part;
  const out = Buffer.allocUnsafe(b.length + bare);
  let o = 0;
  let from = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) {
    if (i > 0 && b[i - 1] === 0x0d) continue;
    o += b.copy(out, o, from, i);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
    from = i + 1;
  }
  o += b.copy(out, o, from);
  return new Uint8Array(out.buffer, out.byteOffset, o);
}

/**
 * The canonical form of content being clear-signed (RFC 8551 §3.1.1: every line ends in CRLF), made
 * exactly as `openssl cms -sign` makes it without -binary (crypto/asn1/asn_mime.c SMIME_crlf_copy): a
 * line end, with any CRs before it, becomes CRLF; CRs that end the content are dropped. openssl's
 * multipart reader strips those CRs too, so with any other form the two readers would disagree on the
 * signed bytes. Streams: `push` each chunk, then `end`.
 */
export function lineEndCanonicaliser(): { push(chunk: Uint8Array): Uint8Array; end(): Uint8Array } {
  let heldCr = 0; // CRs that ended the previous chunk: kept or dropped depending on what follows
  return {
    push(chunk) {
      let trail = 0;
      while (trail < chunk.length && chunk[chunk.length - 1 - trail] === 0x0d) trail++;
      const body = chunk.subarray(0, chunk.length - trail);
      if (body.length === 0) { heldCr += trail; return body; }
      const held = heldCr;
      heldCr = trail;
      if (held === 0 && !body.includes(0x0a)) return body;
      return Buffer.from(('\r'.repeat(held) + latin1(body)).replace(/\r*\n/g, '\r\n'), 'latin1');
    },
    end() { heldCr = 0; return new Uint8Array(0); },
  };
}

/** RFC 8551 §3.5.3.2: the micalg parameter names the digest of the SignerInfo. */
export const MICALG: Readonly<Record<'sha256' | 'sha384' | 'sha512', string>> = { sha256: 'sha-256', sha384: 'sha-384', sha512: 'sha-512' };

/** A boundary for one message: 128 random bits, so that no content can contain it by chance (RFC 2046 §5.1.1). */
export function newBoundary(random: Uint8Array): string {
  return `----=_p7m_${Buffer.from(random).toString('hex')}`;
}

const crlf = (lines: string[]): Uint8Array => Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'latin1');

/**
 * The framing of a clear-signed entity p7m writes (RFC 8551 §3.5.3), CRLF throughout:
 * `head` up to the first part, the content, `between` (the line break that belongs to the delimiter,
 * RFC 2046 §5.1.1, then the signature part's headers), the base64 signature, `close`.
 */
export function multipartSignedFrame(boundary: string, micalg: string): { head: Uint8Array; between: Uint8Array; close: Uint8Array } {
  if (!BOUNDARY.test(boundary)) throw new MalformedInputError(`boundary ${JSON.stringify(boundary)} is not valid (RFC 2046 §5.1.1)`);
  return {
    head: crlf([
      'MIME-Version: 1.0',
      `Content-Type: multipart/signed; protocol="${SIGNATURE_TYPE}"; micalg=${micalg};`,
      `\tboundary="${boundary}"`,
      '',
      'This is an S/MIME signed message',
      '',
      `--${boundary}`,
    ]),
    between: crlf([
      '',
      `--${boundary}`,
      `Content-Type: ${SIGNATURE_TYPE}; name="smime.p7s"`,
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="smime.p7s"',
      '',
    ]),
    close: crlf([`--${boundary}--`]),
  };
}

/**
 * Watches a canonical stream for a line that begins with "--" boundary, which would end the part early.
 * With a random boundary it never happens by chance; a caller still refuses such content rather than
 * write a message whose signature cannot cover what a reader takes for the part.
 */
export function delimiterWatch(boundary: string): (chunk: Uint8Array) => boolean {
  const needle = Buffer.from(`\n--${boundary}`, 'latin1');
  let tail: Buffer = Buffer.from('\n'); // the part starts at the beginning of a line
  return (chunk) => {
    const all = Buffer.concat([tail, chunk]);
    const hit = all.includes(needle);
    tail = all.subarray(Math.max(0, all.length - needle.length + 1));
    return hit;
  };
}

/** Strict base64 (RFC 4648 §4): line breaks and blanks are ignored, anything else is an error. */
function decodeBase64(text: string, what: string): Uint8Array {
  const clean = text.replace(/[\r\n\t ]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new MalformedInputError(`${what} is not valid base64`);
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

/** Splits a multipart/signed entity into the signed content (canonical) and the signature (DER). */
export function parseMultipartSigned(entity: Uint8Array): MultipartSigned {
  if (entity.length > MAX_MULTIPART_SIGNED_BYTES) {
    throw new LimitExceededError(`multipart/signed message larger than ${MAX_MULTIPART_SIGNED_BYTES} bytes`);
  }
  const outer = readHeaders(entity, 0, 'multipart/signed');
  const ctValue = outer.fields.get('content-type');
  if (ctValue === undefined) throw new MalformedInputError('the MIME entity has no Content-Type');
  const ct = parseContentType(ctValue);
  if (ct.mediaType !== 'multipart/signed') throw new UnsupportedContentError(`the MIME entity is ${ct.mediaType}, not multipart/signed`);
  // RFC 8551 §3.5.3: the protocol parameter MUST be present; another value is another scheme (PGP/MIME, RFC 3156).
  const protocol = ct.params.get('protocol')?.toLowerCase();
  if (protocol === undefined) throw new MalformedInputError('multipart/signed without a protocol parameter');
  if (!SIGNATURE_TYPES.has(protocol)) throw new UnsupportedContentError(`multipart/signed with protocol ${protocol} is not S/MIME (application/pkcs7-signature)`);
  const boundary = ct.params.get('boundary');
  if (boundary === undefined) throw new MalformedInputError('multipart/signed without a boundary parameter');
  if (!BOUNDARY.test(boundary)) throw new MalformedInputError(`multipart/signed boundary ${JSON.stringify(boundary.slice(0, 80))} is not valid (RFC 2046 §5.1.1)`);
  // RFC 2045 §6.4: a multipart entity is never itself encoded.
  const cte = (outer.fields.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte !== '7bit' && cte !== '8bit' && cte !== 'binary') throw new MalformedInputError(`multipart/signed with Content-Transfer-Encoding ${cte}`);

  const parts = splitParts(entity.subarray(outer.bodyStart), boundary);
  // RFC 1847 §2.1: exactly two body parts, the content and the control (signature) part.
  if (parts.length !== 2) throw new MalformedInputError(`multipart/signed has ${parts.length} body part${parts.length === 1 ? '' : 's'}, not 2`);
  const [signed, control] = parts as [Uint8Array, Uint8Array];
  // An empty first part is an empty content, signed: what `openssl cms -sign` writes for an empty file.

  const sig = readHeaders(control, 0, 'signature part');
  const sigType = sig.fields.get('content-type');
  if (sigType === undefined) throw new MalformedInputError('multipart/signed: the signature part has no Content-Type');
  const sigMedia = parseContentType(sigType).mediaType;
  if (!SIGNATURE_TYPES.has(sigMedia)) throw new MalformedInputError(`multipart/signed: the signature part is ${sigMedia}, not application/pkcs7-signature`);
  const sigCte = (sig.fields.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const raw = control.subarray(sig.bodyStart);
  let der: Uint8Array;
  if (sigCte === 'base64') der = decodeBase64(latin1(raw), 'the signature part');
  else if (sigCte === 'binary') der = raw;
  else throw new MalformedInputError(`multipart/signed: the signature part has Content-Transfer-Encoding ${sigCte}, not base64`);
  if (der.length === 0 || der[0] !== 0x30) throw new MalformedInputError('multipart/signed: the signature part is not a CMS ContentInfo');

  const micalg = ct.params.get('micalg')?.toLowerCase();
  return { content: canonicalLineEnds(signed), signature: der, ...(micalg !== undefined ? { micalg } : {}) };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, void> {
  yield bytes;
}

/**
 * Verifies a multipart/signed entity with the policy of any signed message (signature, chain,
 * freshness; the replay cache is the caller's step) and returns the signed part as `content`.
 */
export async function verifyMultipartSigned(entity: Uint8Array, policy: VerifyPolicy): Promise<VerifyResult> {
  const { content, signature } = parseMultipartSigned(entity);
  // The signature part must be detached: a SignedData carrying content of its own would have two
  // contents, only one of which the receiver sees.
  const s = await readSignedData(once(signature), policy.limits ?? DEFAULT_SIGNED_DATA_LIMITS, { bare: false });
  if (!s.header.detached) throw new MalformedInputError('multipart/signed: the signature part carries content of its own');
  return verify(signature, { ...policy, content });
}

export type Sniffed =
  | { readonly multipartSigned: true; readonly entity: Uint8Array }
  | { readonly multipartSigned: false; readonly stream: AsyncIterable<Uint8Array> };

export type MimeHead =
  /** Not a well-formed MIME header block (or one longer than the bound): not an entity this module reads. */
  | { readonly kind: 'other' }
  /** It starts like one, but the header block has not ended yet: give more bytes. */
  | { readonly kind: 'incomplete' }
  /** A complete header block; its Content-Type (null when there is none). */
  | { readonly kind: 'mime'; readonly contentType: ContentType | null };

/**
 * What the first bytes of a message say, by the strict rule of src/stream/armor.ts: a MIME entity
 * starts with a header field name and a colon, and its header block ends at the first empty line.
 * `final`: no more bytes will come.
 */
export function readMimeHead(head: Uint8Array, final: boolean): MimeHead {
  const name = /^[!-9;-~]*/.exec(latin1(head.subarray(0, 80)))![0].length;
  if (name === head.length && head.length < 80) return final ? { kind: 'other' } : { kind: 'incomplete' };
  if (name === 0 || head[name] !== 0x3a) return { kind: 'other' };
  if (!headerEnd(head, 0, MAX_HEADER_BYTES)) return final || head.length > MAX_HEADER_BYTES + 2 ? { kind: 'other' } : { kind: 'incomplete' };
  try {
    const ct = readHeaders(head, 0, 'MIME entity').fields.get('content-type');
    return { kind: 'mime', contentType: ct === undefined ? null : parseContentType(ct) };
  } catch {
    return { kind: 'other' };
  }
}

/**
 * Looks at the start of a message: if it is a MIME entity whose Content-Type is multipart/signed, reads
 * it whole (at most `maxBytes`); otherwise gives back the same bytes, untouched, for the other forms
 * (src/stream/armor.ts), which also report what is malformed. Chunks are copied: the source may reuse them.
 */
export async function sniffMultipartSigned(source: AsyncIterable<Uint8Array>, maxBytes = MAX_MULTIPART_SIGNED_BYTES): Promise<Sniffed> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await it.next();
    if (r.done) { ended = true; return false; }
    chunks.push(Uint8Array.from(r.value));
    size += r.value.length;
    return true;
  };
  const asStream = (): Sniffed => ({
    multipartSigned: false,
    stream: (async function* () {
      yield* chunks.splice(0);
      if (ended) return;
      for (;;) { const r = await it.next(); if (r.done) return; yield r.value; }
    })(),
  });

  let head: MimeHead = { kind: 'incomplete' };
  while (head.kind === 'incomplete') {
    const before = size;
    const got = await more();
    // Past the first line's start, only a line feed (or the bound) can end the header block: the
    // buffer is not searched again for every small chunk.
    if (got && before >= 128 && size <= MAX_HEADER_BYTES + 2 && !chunks[chunks.length - 1]!.includes(0x0a)) continue;
    head = readMimeHead(Buffer.concat(chunks, size), !got);
  }
  if (head.kind !== 'mime' || head.contentType?.mediaType !== 'multipart/signed') return asStream();
  while (await more()) {
    if (size > maxBytes) throw new LimitExceededError(`multipart/signed message larger than ${maxBytes} bytes (it is verified in memory)`);
  }
  return { multipartSigned: true, entity: new Uint8Array(Buffer.concat(chunks, size)) };
}
