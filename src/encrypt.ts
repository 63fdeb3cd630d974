/**
 * Encryption orchestration (RFC 5652 §6): a fresh content-encryption key from the CSPRNG, one
 * RecipientInfo per recipient, the content streamed through the content cipher, framed as definite
 * DER when its length is known and as indefinite BER when it is not.
 */
import { type CipherGCM, type CipherGCMTypes, createCipheriv, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { type ContentCipherName, type HashName, DEFAULT_CONTENT_CIPHER, GCM_TAG_LENGTH, contentCipherByName, hashByName } from './algorithms.js';
import { UsageError } from './errors.js';
import { encodeRecipientInfos, encodeKeyTransRecipientInfo, type RecipientInfo } from './format/recipient-info.js';
import { envelopeFraming, envelopedDataVersion } from './format/enveloped.js';
import { TAG, tlv } from './format/der.js';
import { encodeGcmParams } from './format/gcm-params.js';
import type { CertInfo } from './keys/certificate.js';
import { OID } from './oids.js';
import type { Recipient } from './recipient.js';
import type { SignerOptions } from './send.js';
import { type KeyTransport, type RidKind, RsaRecipient, checkRecipientCertificate } from './recipients/rsa.js';
import { type OutputForm, encodeOutput } from './stream/armor.js';

export interface EncryptOptions {
  /** Recipient certificates: parsed, or DER/PEM bytes (a PEM with several certificates adds each). */
  recipients: ReadonlyArray<CertInfo | Uint8Array | string>;
  cipher?: ContentCipherName;
  keyTransport?: KeyTransport;
  oaepHash?: HashName;
  rid?: RidKind;
  /** Accept certificates outside their validity period. */
  allowExpired?: boolean;
  /** Type of the content being enveloped (default id-data, also for sign-then-encrypt: src/send.ts). */
  contentType?: string;
  /** Time used for certificate validity (injectable for tests). */
  clock?: () => Date;
}

/** Events for the demo and verbose output; no secret values are passed. */
export interface EncryptObserver {
  onSessionKey?(info: { cipher: ContentCipherName; keyLength: number; ivLength: number }): void;
  onRecipient?(info: { index: number; subject: string; keyTransport: KeyTransport; encryptedKeyLength: number }): void;
}

/** The chunk size of the content path: ~1 MiB (64 KiB chunks halve the throughput here). */
export const CHUNK_SIZE = 1 << 20;

async function resolveRecipients(list: EncryptOptions['recipients']): Promise<CertInfo[]> {
  // A lone Buffer is iterable too (its bytes): say what is expected instead of failing inside.
  if (!Array.isArray(list)) throw new UsageError('recipients must be an array of certificates');
  const out: CertInfo[] = [];
  let loader: typeof import('./keys/certificate.js') | undefined;
  for (const r of list) {
    if (typeof r === 'object' && 'issuerDer' in r) { out.push(r); continue; }
    loader ??= await import('./keys/certificate.js');
    out.push(...loader.loadCertificates(typeof r === 'string' ? Buffer.from(r) : r));
  }
  if (out.length === 0) throw new UsageError('at least one recipient certificate is required');
  return out;
}

/**
 * Largest piece handed to the cipher at once: the CLI's read size. Node 20's update() reserves input
 * + 16 bytes for its output and, as CBC never fills that exactly, copies the result into a second,
 * zero-filled buffer: two allocations, a memset and a memcpy per call. Above glibc's default mmap
 * threshold (128 KiB) each is a fresh mapping, page-faulted in, whatever the slice; the CLI raises
 * that threshold and frees the written buffers early (src/cli/reclaim.ts), so that they are
 * recycled, and then fewer calls are faster (1 MiB against 256 KiB: ~14 ms of a 100 MiB encrypt).
 */
const CIPHER_SLICE = 1 << 20;

export interface PreparedEnvelope {
  /** The S/MIME smime-type of the message (RFC 8551 §3.2.2): authEnveloped-data for AES-GCM. */
  readonly smimeType: 'enveloped-data' | 'authEnveloped-data';
  /** Frames and encrypts a content of `length` bytes (null: unknown, indefinite BER). */
  stream(content: AsyncIterable<Uint8Array>, length: number | null): AsyncGenerator<Uint8Array>;
}

/** Validates the options and recipients, wraps a fresh key for each recipient. */
export async function prepareEnvelope(opts: EncryptOptions, observer?: EncryptObserver): Promise<PreparedEnvelope> {
  const cipher = contentCipherByName(opts.cipher ?? DEFAULT_CONTENT_CIPHER);
  const keyTransport = opts.keyTransport ?? 'pkcs1';
  if (keyTransport !== 'pkcs1' && keyTransport !== 'oaep') throw new UsageError(`unknown key transport ${keyTransport}`);
  const oaepHash = hashByName(opts.oaepHash ?? 'sha256').name;
  const rid = opts.rid ?? 'issuer-serial';
  if (rid !== 'issuer-serial' && rid !== 'ski') throw new UsageError(`unknown recipient identifier ${rid}`);
  const now = (opts.clock ?? (() => new Date()))();
  const certs = await resolveRecipients(opts.recipients);
  for (const c of certs) checkRecipientCertificate(c, { now, allowExpired: opts.allowExpired ?? false });

  const cek = randomBytes(cipher.keyLength);
  const iv = randomBytes(cipher.ivLength);
  observer?.onSessionKey?.({ cipher: cipher.name, keyLength: cek.length, ivLength: iv.length });
  const recipients: Recipient[] = certs.map((c) => new RsaRecipient(c, { keyTransport, oaepHash, rid }));
  const infos: RecipientInfo[] = recipients.map((r, index) => {
    const ri = r.wrap(cek);
    if (ri.type === 'ktri') observer?.onRecipient?.({ index, subject: certs[index]!.subject, keyTransport, encryptedKeyLength: ri.encryptedKey.length });
    return ri;
  });
  const recipientInfosDer = encodeRecipientInfos(infos.map((ri) => {
    if (ri.type !== 'ktri') throw new Error('unreachable: only key transport recipients are written');
    return encodeKeyTransRecipientInfo(ri);
  }));
  const gcm = cipher.mode === 'gcm';
  // RFC 5083 §2.1: AuthEnvelopedData's version is always 0.
  const version = gcm ? 0 : envelopedDataVersion({ recipientInfos: infos });
  const contentEncryptionAlgorithm = {
    oid: cipher.oid,
    params: gcm ? encodeGcmParams({ nonce: iv, tagLength: GCM_TAG_LENGTH }) : tlv(TAG.OCTET_STRING, iv),
  };
  const contentType = opts.contentType ?? OID.data;

  let used = false;
  return {
    smimeType: gcm ? 'authEnveloped-data' : 'enveloped-data',
    async *stream(content, length) {
      // One key and IV (GCM: nonce) per message: a second content under them would let anyone XOR the
      // two (and, for GCM, forge tags). A new message needs prepareEnvelope again.
      if (used) throw new UsageError('a prepared envelope encrypts one message: prepare another');
      used = true;
      // PKCS#7 padding always adds 1..blockSize bytes (RFC 5652 §6.3); GCM adds none.
      const ciphertextLength = length === null ? null : gcm ? length : (Math.floor(length / cipher.blockSize) + 1) * cipher.blockSize;
      const framing = envelopeFraming({
        version, recipientInfosDer, contentType, contentEncryptionAlgorithm, ciphertextLength, ...(gcm ? { macLength: GCM_TAG_LENGTH } : {}),
      });
      const c = gcm ? createCipheriv(cipher.nodeName as CipherGCMTypes, cek, iv, { authTagLength: GCM_TAG_LENGTH }) : createCipheriv(cipher.nodeName, cek, iv);
      yield framing.prefix;
      let seen = 0;
      for await (const chunk of content) {
        seen += chunk.length;
        if (length !== null && seen > length) throw new UsageError('the input grew while it was being encrypted');
        for (let at = 0; at < chunk.length; at += CIPHER_SLICE) {
          const out = c.update(at === 0 && chunk.length <= CIPHER_SLICE ? chunk : chunk.subarray(at, at + CIPHER_SLICE));
          if (out.length) yield* framing.segment(out);
        }
      }
      if (length !== null && seen !== length) throw new UsageError('the input shrank while it was being encrypted');
      yield* framing.segment(c.final());
      // GCM's tag covers the whole content: it follows the encrypted content (RFC 5083 §2.1 mac).
      yield framing.suffix(gcm ? (c as CipherGCM).getAuthTag() : undefined);
    },
  };
}

/** Re-chunk a byte stream into ~CHUNK_SIZE pieces (the content path's unit). */
export async function* rechunk(src: AsyncIterable<Uint8Array>, size = CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of src) {
    parts.push(c); n += c.length;
    if (n >= size) { yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, n); parts = []; n = 0; }
  }
  if (n > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
}

/** Buffer API: encrypt `content` for the recipients; returns the message (DER unless `form` says otherwise). */
export async function encrypt(content: Uint8Array | string, opts: EncryptOptions & { form?: OutputForm; sign?: SignerOptions }): Promise<Uint8Array> {
  // The boundary for JavaScript callers too: an unknown form would otherwise quietly give DER.
  if (typeof content !== 'string' && !(content instanceof Uint8Array)) throw new UsageError('the content must be a Uint8Array or a string');
  const form = opts.form ?? 'der';
  if (form !== 'der' && form !== 'pem' && form !== 'smime') throw new UsageError(`unknown output form ${String(form)}`);
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const source = Readable.from(bytes.length ? [bytes] : []);
  const parts: Uint8Array[] = [];
  if (opts.sign) {
    // Sign, then encrypt: the signed message is the enveloped content (src/send.ts).
    const { signedStream } = await import('./send.js');
    const env = await prepareEnvelope({ ...opts, contentType: OID.data });
    for await (const p of encodeOutput(env.stream(signedStream(source, opts.sign), null), form, env.smimeType)) parts.push(p);
  } else {
    const env = await prepareEnvelope(opts);
    for await (const p of encodeOutput(env.stream(source, bytes.length), form, env.smimeType)) parts.push(p);
  }
  return new Uint8Array(Buffer.concat(parts));
}
