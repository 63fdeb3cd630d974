/**
 * Triple wrapping (RFC 2634 §1.1): sign, encrypt, sign again. The inner signature authenticates the content
 * and carries the replay attributes; encryption hides it; the outer signature lets a receiver (or a gateway)
 * authenticate the envelope before decrypting. Both layers are held to the same checks as any signed message,
 * and p7m requires them to be made by the same certificate (RFC 2634 allows a different outer signer, a mail
 * list agent for instance; p7m's threat model has none, so a different one is a SignerMismatchError).
 *
 * Encryption is a callback, so this module does not depend on the envelope code:
 *   encrypt({ contentType: id-signedData, content: SignedData }) → DER ContentInfo(EnvelopedData)
 *   decrypt(DER ContentInfo(EnvelopedData)) → { contentType, content }
 * The layers nest as RFC 5652 types them: the EnvelopedData's content type is id-signedData and it encrypts
 * the bare SignedData; the outer eContentType is id-envelopedData and its eContent the bare EnvelopedData.
 *
 * Replay: record the inner layer (replayRecordOf(result.inner)), which is what the sender meant to say once;
 * the outer signature can be remade over the same envelope.
 */
import { SignerMismatchError, UnsignedMessageError, UnsupportedContentError } from '../errors.js';
import { OID, oidName } from '../oids.js';
import { unwrapContentInfo, unwrapContentInfoOf, wrapContentInfo } from './content-info.js';
import { type SignOptions, sign } from './sign.js';
import { type SignatureCheck, type VerifyPolicy, verify } from './verify.js';

export interface EncryptCallback {
  (inner: { contentType: string; content: Uint8Array }): Promise<Uint8Array>;
}
export interface DecryptCallback {
  (envelopedContentInfo: Uint8Array): Promise<{ contentType: string; content: Uint8Array }>;
}

export type TripleWrapOptions = Omit<SignOptions, 'detached' | 'eContentType' | 'bare'> & { readonly encrypt: EncryptCallback };

export async function tripleWrap(content: Uint8Array, opts: TripleWrapOptions): Promise<Uint8Array> {
  const { encrypt, ...signOpts } = opts;
  const inner = await sign(content, { ...signOpts, bare: true });
  const enveloped = await encrypt({ contentType: OID.signedData, content: inner });
  // EnvelopedData, or AuthEnvelopedData for an AES-GCM envelope: the outer signature names which.
  const { type, content: bareEnvelope } = unwrapContentInfoOf(enveloped, ENVELOPES);
  // the outer layer gets its own contentIdentifier unless a fixed one was asked for (tests)
  return sign(bareEnvelope, { ...signOpts, eContentType: type });
}

/** What the middle layer may be (RFC 5652 §6, RFC 5083). */
const ENVELOPES: readonly string[] = [OID.envelopedData, OID.authEnvelopedData];

export interface TripleUnwrapOptions extends VerifyPolicy {
  readonly decrypt: DecryptCallback;
}

export interface TripleUnwrapResult {
  readonly content: Uint8Array;
  readonly inner: SignatureCheck;
  readonly outer: SignatureCheck;
}

/** Verifies the outer signature, decrypts, verifies the inner one, and checks both are the same signer's. */
export async function verifyTripleWrapped(der: Uint8Array, opts: TripleUnwrapOptions): Promise<TripleUnwrapResult> {
  const { decrypt, ...policy } = opts;
  const { content: envelope, ...outer } = await verify(der, policy);
  if (!ENVELOPES.includes(outer.eContentType)) {
    throw new UnsupportedContentError(`not a triple-wrapped message: the outer signature covers ${oidName(outer.eContentType) ?? outer.eContentType}, not enveloped data`);
  }
  const plain = await decrypt(wrapContentInfo(outer.eContentType, envelope));
  let signed: Uint8Array;
  if (plain.contentType === OID.signedData) {
    signed = plain.content;
  } else if (plain.contentType === OID.data && outer.eContentType === OID.authEnvelopedData) {
    // An AuthEnvelopedData carries the signed layer as id-data holding its ContentInfo (src/triple.ts).
    try {
      signed = unwrapContentInfo(plain.content, OID.signedData);
    } catch {
      throw new UnsignedMessageError('the encrypted layer holds data that is not a signed message');
    }
  } else {
    throw new UnsignedMessageError(`the encrypted layer holds ${oidName(plain.contentType) ?? plain.contentType}, not signed data`);
  }
  const { content, ...inner } = await verify(signed, { ...policy, bare: true });
  if (inner.signer.fingerprintSha256 !== outer.signer.fingerprintSha256) {
    throw new SignerMismatchError(`the inner signature is by ${inner.signer.subject}, the outer one by ${outer.signer.subject}`);
  }
  return { content, inner, outer };
}
