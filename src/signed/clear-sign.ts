/**
 * Writing clear-signed S/MIME (RFC 8551 §3.5.3): a multipart/signed entity whose first part is the
 * content and whose second is the detached SignedData, what Thunderbird, Outlook and `openssl cms
 * -verify -inform SMIME` (without -content) read as a detached signature.
 *
 * The first part is the content as given, with its line ends made canonical (every line ends in CRLF,
 * RFC 8551 §3.1.1; see lineEndCanonicaliser), and nothing added: what `openssl cms -sign` and
 * `openssl smime -sign` write without -text or -binary. A MIME entity (header fields, an empty line, a body) is thus signed as it is, and a
 * receiver (p7m verify, openssl cms -verify) gives back exactly those canonical bytes. (openssl's -text
 * adds a "Content-Type: text/plain" header that the receiver then gives back too; -binary skips the
 * canonicalisation, and a reader that canonicalises, as RFC 8551 §3.1.1 asks, then fails to verify.)
 *
 * It streams: the content goes out as it is hashed, the signature part follows it (the digest is final
 * only then), so no more than a chunk is held.
 */
import { randomBytes } from 'node:crypto';
import { MalformedInputError } from '../errors.js';
import { base64Lines } from '../stream/armor.js';
import { signingParams } from './algorithms.js';
import { MICALG, delimiterWatch, lineEndCanonicaliser, multipartSignedFrame, newBoundary } from './multipart.js';
import { type SignOptions, createSignedDataStreamEncoder } from './sign.js';

export type ClearSignOptions = Omit<SignOptions, 'detached' | 'bare' | 'eContentType'> & {
  /** Testing only: a fixed boundary instead of a random one. */
  readonly boundary?: string;
};

/** The content, clear-signed: the bytes of a multipart/signed entity, CRLF line ends throughout. */
export async function* clearSignedStream(content: AsyncIterable<Uint8Array>, opts: ClearSignOptions): AsyncGenerator<Uint8Array> {
  const { boundary: fixed, ...signOpts } = opts;
  const enc = createSignedDataStreamEncoder({ ...signOpts, detached: true });
  const micalg = MICALG[signingParams(opts.signerKey, opts).hash as keyof typeof MICALG];
  const boundary = fixed ?? newBoundary(randomBytes(16));
  const frame = multipartSignedFrame(boundary, micalg);
  const canonical = lineEndCanonicaliser();
  const delimiterIn = delimiterWatch(boundary);
  const der: Uint8Array[] = [enc.header()];
  yield frame.head;
  const part = (c: Uint8Array): Uint8Array => {
    if (delimiterIn(c)) throw new MalformedInputError('the content holds a line that is the multipart boundary: it cannot be clear-signed');
    enc.segment(c); // detached: hashed only, nothing to frame
    return c;
  };
  for await (const chunk of content) {
    const c = part(canonical.push(chunk));
    if (c.length) yield c;
  }
  const last = part(canonical.end());
  if (last.length) yield last;
  der.push(await enc.finish());
  yield frame.between;
  yield* base64Lines((async function* () { yield* der; })(), '\r\n');
  yield frame.close;
}
