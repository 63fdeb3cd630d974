/**
 * Sending a replay-proof message: the content is signed (SignedData with signingTime and a random
 * contentIdentifier, RFC 2634 §2.7) and the signed message is what gets enveloped, all streaming.
 *
 * The enveloped content type is id-signedData and the plaintext is the whole ContentInfo(SignedData),
 * so `openssl cms -decrypt | openssl cms -verify` and Bouncy Castle's CMSSignedData read it as is;
 * p7m reads both that and a bare SignedData (src/receive.ts).
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
