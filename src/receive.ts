/**
 * Receiving a signed message (issue: replay-proof messages): the content streams into a private sink
 * while it is hashed; the sink is committed only after the signature, the chain, the freshness window
 * and the replay cache all accepted the message (RFC 5652 §5.6, RFC 2634 §2.7).
 */
import { MalformedInputError, P7mError, UnsignedMessageError, UsageError } from './errors.js';
import type { Sink } from './io/sink.js';
import { OID } from './oids.js';
import { openInput } from './stream/armor.js';
import { MAX_HEADER_BYTES, readMimeHead, sniffMultipartSigned, verifyMultipartSigned } from './signed/multipart.js';
import { DEFAULT_SIGNED_DATA_LIMITS, readSignedData } from './signed/reader.js';
import { type SignatureCheck, SignedDataVerifier, type VerifyPolicy } from './signed/verify.js';

export interface ReceivePolicy extends VerifyPolicy {
  /** Path of the replay cache; null skips the replay check (the caller warns). */
  readonly replayDb: string | null;
}

/** A verified message: what the signature establishes, and where the replay cache saw it. */
export type Verified = SignatureCheck;

/** Looks at the first bytes: a ContentInfo (SEQUENCE, OID …) or a bare SignedData (SEQUENCE, INTEGER …). */
async function peekBare(src: AsyncIterable<Uint8Array>): Promise<{ bare: boolean; stream: AsyncIterable<Uint8Array> }> {
  const it = src[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let buf = new Uint8Array(0);
  while (buf.length < 12) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    buf = Buffer.concat([buf, r.value]);
  }
  if (buf.length < 2 || buf[0] !== 0x30) throw new MalformedInputError('the signed content is not a SignedData');
  const l = buf[1]!;
  const skip = l < 0x80 || l === 0x80 ? 2 : 2 + (l & 0x7f);
  const next = buf[skip];
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* head;
    for (;;) { const r = await it.next(); if (r.done) return; yield r.value; }
  }
  return { bare: next === 0x02, stream: rest() };
}

async function recordReplay(check: SignatureCheck, policy: ReceivePolicy): Promise<void> {
  if (policy.replayDb === null) return;
  const { openReplayCache, recordVerified } = await import('./replay/cache.js');
  const cache = openReplayCache(policy.replayDb);
  try {
    recordVerified(cache, check, policy);
  } finally {
    cache.close();
  }
}

/**
 * Verifies a signed message read from `source` and writes its content to `sink`, committing only when
 * every check passed. `shape`: 'cms' for a ContentInfo in any form (DER, PEM, S/MIME), 'inner' for
 * what an EnvelopedData of type id-signedData decrypts to (a bare SignedData, or a ContentInfo).
 */
export async function receiveSigned(
  source: AsyncIterable<Uint8Array>,
  policy: ReceivePolicy,
  sink: Sink,
  opts: { shape: 'cms' | 'inner'; detachedContent?: AsyncIterable<Uint8Array> },
): Promise<Verified> {
  try {
    let input = source;
    if (opts.shape === 'cms') {
      // Clear-signed S/MIME (RFC 8551 §3.5) is read whole, within a bound, and verified in memory.
      const sniffed = await sniffMultipartSigned(source);
      if (sniffed.multipartSigned) return await receiveMultipartSigned(sniffed.entity, policy, sink, opts.detachedContent !== undefined);
      input = sniffed.stream;
    }
    const der = opts.shape === 'cms' ? (await openInput(input)).der : input;
    const { bare, stream } = await peekBare(der);
    const s = await readSignedData(stream, policy.limits ?? DEFAULT_SIGNED_DATA_LIMITS, { bare });
    if (s.header.detached && !opts.detachedContent) throw new MalformedInputError('the signature is detached: give the signed content with --content');
    const v = new SignedDataVerifier(s.header, policy);
    for await (const chunk of s.content) {
      v.update(chunk);
      await sink.write(Uint8Array.from(chunk));
    }
    if (s.header.detached) {
      for await (const chunk of opts.detachedContent!) { v.update(chunk); await sink.write(Uint8Array.from(chunk)); }
    }
    const check = await v.finish(await s.trailer());
    await recordReplay(check, policy);
    await sink.commit();
    return check;
  } catch (e) {
    await sink.abort();
    throw e;
  }
}

/**
 * A multipart/signed entity: the signed part (headers included, canonical CRLF, what `openssl cms
 * -verify` writes out) goes to the sink, which is committed after the checks and the replay record.
 * The caller aborts the sink on error.
 */
async function receiveMultipartSigned(entity: Uint8Array, policy: ReceivePolicy, sink: Sink, detachedGiven: boolean): Promise<Verified> {
  if (detachedGiven) throw new UsageError('a multipart/signed message carries its content: do not give it separately (--content)');
  const { content, ...check } = await verifyMultipartSigned(entity, policy);
  await sink.write(content);
  await recordReplay(check, policy);
  await sink.commit();
  return check;
}

/** A one-slot channel: the producer waits until the consumer took each chunk (backpressure). */
class Channel implements AsyncIterable<Uint8Array> {
  private queue: Uint8Array[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failed: unknown = null;
  private drained: (() => void) | null = null;
  consumerError: unknown = null;

  async push(c: Uint8Array): Promise<void> {
    if (this.consumerError) throw this.consumerError;
    this.queue.push(c);
    this.wake?.(); this.wake = null;
    if (this.queue.length > 4) await new Promise<void>((r) => { this.drained = r; });
    if (this.consumerError) throw this.consumerError;
  }
  end(): void { this.ended = true; this.wake?.(); this.wake = null; }
  fail(e: unknown): void { this.failed = e; this.end(); }
  stopConsumer(e: unknown): void { this.consumerError = e; this.drained?.(); this.drained = null; }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const c = this.queue.shift();
      if (c) {
        if (this.queue.length <= 1) { this.drained?.(); this.drained = null; }
        yield c;
        continue;
      }
      if (this.failed) throw this.failed;
      if (this.ended) return;
      await new Promise<void>((r) => { this.wake = r; });
    }
  }
}

/** DER of the OBJECT IDENTIFIER id-signedData (1.2.840.113549.1.7.2), tag and length included. */
const SIGNED_DATA_OID = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02);
/** PEM labels of a signed message (src/stream/armor.ts reads these; gpgsm writes SIGNED MESSAGE). */
const SIGNED_PEM = /^-----BEGIN (CMS|PKCS7|SIGNED MESSAGE)-----\r?$/;
const SIGNED_MIME = new Set(['multipart/signed', 'application/pkcs7-mime', 'application/x-pkcs7-mime']);

/**
 * Whether decrypted id-data content is a signed message, by the strict rules of any input
 * (src/stream/armor.ts), read far enough to tell (`final`: no more bytes will come):
 *  - DER: a ContentInfo whose contentType is id-signedData (a plaintext that merely starts with "0",
 *    0x30, is not one);
 *  - PEM: a CMS block;
 *  - MIME: an entity whose Content-Type is multipart/signed (clear-signed, RFC 8551 §3.5) or
 *    application/pkcs7-mime other than another smime-type (opaque-signed, §3.5.2). An encrypted-only
 *    mail ("Content-Type: text/plain", as Thunderbird encrypts without signing) is not signed.
 * Anything else is plain content: refused by --verify, passed through by --allow-unsigned.
 */
function classify(head: Uint8Array, final: boolean): 'signed' | 'plain' | 'more' {
  if (head.length === 0) return final ? 'plain' : 'more';
  if (head[0] === 0x30) {
    if (head.length < 2) return final ? 'plain' : 'more';
    const l = head[1]!;
    const at = l <= 0x80 ? 2 : 2 + (l & 0x7f);
    if (head.length < at + SIGNED_DATA_OID.length) return final ? 'plain' : 'more';
    return SIGNED_DATA_OID.every((b, i) => head[at + i] === b) ? 'signed' : 'plain';
  }
  if (head[0] === 0x2d) {
    const nl = head.indexOf(0x0a);
    if (nl < 0 && !final && head.length <= 80) return 'more';
    return SIGNED_PEM.test(Buffer.from(head.subarray(0, nl >= 0 ? nl : head.length)).toString('latin1')) ? 'signed' : 'plain';
  }
  const mime = readMimeHead(head, final);
  if (mime.kind === 'incomplete') return 'more';
  if (mime.kind === 'other' || !mime.contentType || !SIGNED_MIME.has(mime.contentType.mediaType)) return 'plain';
  const smimeType = mime.contentType.params.get('smime-type')?.toLowerCase();
  return mime.contentType.mediaType === 'multipart/signed' || smimeType === undefined || smimeType === 'signed-data' ? 'signed' : 'plain';
}

/**
 * A Sink for decrypted plaintext that is itself a signed message: it verifies while the plaintext
 * streams and commits `inner` only after the checks. Used by decrypt --verify. With `allowUnsigned`,
 * plaintext that is not a signed message passes through (the caller warns that replay cannot be
 * detected); otherwise it is an UnsignedMessageError.
 *
 * A failure is reported by commit(), never by write(): with a bare key several candidate recipients
 * decrypt at once (src/decrypt.ts), each into its own sink, and the wrong ones yield garbage that is
 * neither signed nor well formed. Only the candidate whose padding checked is committed; the others are
 * aborted, and their verification failures must not end the decryption of the right one.
 */
export class VerifyingSink implements Sink {
  private readonly ch = new Channel();
  private done: Promise<Verified> | null = null;
  private head: Uint8Array[] = [];
  private headSize = 0;
  private mode: 'undecided' | 'verify' | 'plain' | 'failed' = 'undecided';
  private failure: unknown = null;
  result: Verified | undefined;
  unsigned = false;

  constructor(private readonly inner: Sink, private readonly policy: ReceivePolicy, private readonly contentType: string, private readonly allowUnsigned = false) {
    if (contentType === OID.signedData) this.start();
  }

  private start(): void {
    this.mode = 'verify';
    const shape = this.contentType === OID.signedData ? 'inner' : 'cms';
    this.done = receiveSigned(this.ch, this.policy, this.inner, { shape });
    this.done.catch((e) => this.ch.stopConsumer(e));
  }

  private async decide(final: boolean): Promise<void> {
    if (this.mode !== 'undecided') return;
    const head = Buffer.concat(this.head, this.headSize);
    const kind = classify(head, final);
    if (kind === 'more') { this.head = [head]; return; } // bounded: a MIME header block is read up to 64 KiB
    this.head = [];
    if (kind === 'signed') {
      this.start();
      if (head.length) await this.ch.push(head);
    } else if (this.allowUnsigned) {
      this.mode = 'plain';
      this.unsigned = true;
      await this.inner.write(head);
    } else {
      refuseUnsigned(this.contentType);
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.mode === 'failed') return; // the rest of a candidate that already failed: dropped
    if (this.mode === 'plain') return this.inner.write(chunk);
    try {
      if (this.mode === 'verify') return await this.ch.push(Uint8Array.from(chunk));
      const before = this.headSize;
      this.head.push(Uint8Array.from(chunk)); this.headSize += chunk.length;
      // Past 128 bytes only a MIME header block can be undecided, and only a line feed (or the
      // bound) ends it: the head is not classified again for every small chunk.
      if (before >= 128 && this.headSize <= MAX_HEADER_BYTES + 2 && !chunk.includes(0x0a)) return;
      await this.decide(false);
    } catch (e) {
      this.fail(e);
    }
  }
  async commit(): Promise<void> {
    if (this.mode !== 'failed') {
      try { await this.decide(true); } catch (e) { this.fail(e); }
    }
    if (this.mode === 'failed') {
      await this.settleInner();
      throw this.failure;
    }
    if (this.mode === 'plain') return this.inner.commit();
    this.ch.end();
    this.result = await this.done!;
  }
  async abort(): Promise<void> {
    if (this.mode === 'failed') return this.settleInner();
    if (this.mode !== 'verify') return this.inner.abort();
    this.ch.fail(new P7mError('ERR_ABORTED', 'aborted'));
    await this.done!.catch(() => undefined);
  }

  /** Remembers the first failure (reported by commit) and stops feeding the verifier. */
  private fail(e: unknown): void {
    if (this.mode === 'failed') return;
    this.failure = e;
    this.mode = 'failed';
    this.head = [];
  }
  /** After a failure the inner sink is aborted: by receiveSigned if it had started, else here. */
  private async settleInner(): Promise<void> {
    if (this.done) {
      this.ch.fail(this.failure);
      await this.done.catch(() => undefined);
    } else {
      await this.inner.abort();
    }
  }
}

/** decrypt --verify on a message whose plaintext is not signed data. */
export function refuseUnsigned(contentType: string): never {
  throw new UnsignedMessageError(`the message is not signed (encrypted content type ${contentType === OID.data ? 'data' : contentType}), so its origin and freshness cannot be checked`);
}
