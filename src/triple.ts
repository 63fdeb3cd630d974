/**
 * Triple wrapping (RFC 2634 §1.1): sign, encrypt, sign again. The outer signature covers the
 * EnvelopedData, so it binds the sender to the recipient list: a recipient cannot strip the envelope
 * and re-encrypt the signed inner message to a third party unnoticed (surreptitious forwarding, §1.1).
 * Both signatures must be by the same signer. Messages are handled in memory here (the inner layers'
 * sizes are needed by the outer signature), unlike the streaming sign-then-encrypt of src/send.ts.
 */
import { Readable } from 'node:stream';
import { type DecryptKeyOptions, decrypt } from './decrypt.js';
import { type EncryptOptions, prepareEnvelope } from './encrypt.js';
import type { ReceivePolicy } from './receive.js';
import type { SignerOptions } from './send.js';
import { tripleWrap, verifyTripleWrapped, type TripleUnwrapResult } from './signed/triple-wrap.js';
import { DEFAULT_CONTENT_CIPHER, contentCipherByName } from './algorithms.js';
import { OID } from './oids.js';
import { wrapContentInfo } from './signed/content-info.js';

export async function encryptTripleWrapped(content: Uint8Array, opts: EncryptOptions & { sign: SignerOptions }): Promise<Uint8Array> {
  return tripleWrap(content, {
    ...opts.sign,
    encrypt: async ({ contentType, content: inner }) => {
      // RFC 5083 §2.1: an AuthEnvelopedData of any content type but id-data needs authenticated attributes
      // (a content-type attribute), which a streaming reader cannot check (src/decrypt.ts). So AES-GCM
      // carries the signed layer as id-data holding its ContentInfo, as sign-then-encrypt does.
      const gcm = contentCipherByName(opts.cipher ?? DEFAULT_CONTENT_CIPHER).mode === 'gcm';
      const env = await prepareEnvelope({ ...opts, contentType: gcm ? OID.data : contentType });
      const body = gcm ? wrapContentInfo(contentType, inner) : inner;
      const parts: Uint8Array[] = [];
      for await (const p of env.stream(Readable.from([body]), body.length)) parts.push(p);
      return Buffer.concat(parts);
    },
  });
}

/** Verifies the outer signature, decrypts, verifies the inner one, checks both signers match, then records the inner message in the replay cache. */
export async function decryptTripleWrapped(der: Uint8Array, opts: DecryptKeyOptions & { verify: ReceivePolicy }): Promise<TripleUnwrapResult> {
  const { verify: policy, ...keyOpts } = opts;
  const r = await verifyTripleWrapped(der, {
    ...policy,
    decrypt: async (enveloped) => {
      const d = await decrypt(enveloped, keyOpts as DecryptKeyOptions);
      return { contentType: d.contentType, content: d.content };
    },
  });
  if (policy.replayDb !== null) {
    const { openReplayCache, recordVerified } = await import('./replay/cache.js');
    const cache = openReplayCache(policy.replayDb);
    try { recordVerified(cache, r.inner, policy); } finally { cache.close(); }
  }
  return r;
}
