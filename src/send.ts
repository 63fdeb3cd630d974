/**
 * Sending a replay-proof message: the content is signed (SignedData with signingTime and a random
 * contentIdentifier, RFC 2634 §2.7) and the signed message is what gets enveloped, all streaming.
 *
 * The enveloped content is the whole ContentInfo(SignedData), with the enveloped content type id-data:
 * what `openssl cms -sign | openssl cms -encrypt`, Bouncy Castle, gpgsm and NSS write, and what
 * `openssl cms -decrypt | openssl cms -verify` reads. (Under id-signedData, RFC 5652's nesting would
 * make the content a bare SignedData; NSS reads it that way and refused the ContentInfo p7m wrote
 * there, found by the interop matrix. RFC 2634 triple wrapping, src/triple.ts, does nest that way.)
 * p7m reads all three shapes: id-data with a ContentInfo, id-signedData with a bare SignedData or
 * with a ContentInfo (src/receive.ts).
 */
import { createSignedDataStreamEncoder, type SignOptions } from './signed/sign.js';

export type SignerOptions = Pick<SignOptions, 'signerCert' | 'signerKey' | 'chain' | 'digest' | 'pss' | 'rid' | 'clock' | 'contentIdentifier'>;

/** The content, signed, as a stream of BER bytes (indefinite length: the content length may be unknown). */
export async function* signedStream(content: AsyncIterable<Uint8Array>, signer: SignerOptions & { eContentType?: string }): AsyncGenerator<Uint8Array> {
  const enc = createSignedDataStreamEncoder({ ...signer, bare: false });
  yield enc.header();
  for await (const c of content) {
    const s = enc.segment(c);
    if (s.length) yield s;
  }
  yield await enc.finish();
}
