/**
 * Receiving a signed message (issue: replay-proof messages): the content streams into a private sink
 * while it is hashed; the sink is committed only after the signature, the chain, the freshness window
 * and the replay cache all accepted the message (RFC 5652 §5.6, RFC 2634 §2.7).
 */
import { MalformedInputError, P7mError, UnsignedMessageError } from './errors.js';
import type { Sink } from './io/sink.js';
import { OID } from './oids.js';
import { openInput } from './stream/armor.js';
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
    const der = opts.shape === 'cms' ? (await openInput(source)).der : source;
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

/**
 * Whether decrypted id-data content is a signed message, by the same strict rules as any input
 * (src/stream/armor.ts): a DER ContentInfo, a PEM CMS block, or a MIME entity.
 */
function looksSigned(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  if (head[0] === 0x30) return true;
  const text = Buffer.from(head).toString('latin1');
  return /^-----BEGIN (CMS|PKCS7)-----/.test(text) || /^[!-9;-~]+:/.test(text);
}

/**
 * A Sink for decrypted plaintext that is itself a signed message: it verifies while the plaintext
 * streams and commits `inner` only after the checks. Used by decrypt --verify. With `allowUnsigned`,
 * plaintext that is not a signed message passes through (the caller warns that replay cannot be
 * detected); otherwise it is an UnsignedMessageError.
 */
export class VerifyingSink implements Sink {
  private readonly ch = new Channel();
  private done: Promise<Verified> | null = null;
  private head: Uint8Array[] = [];
  private headSize = 0;
  private mode: 'undecided' | 'verify' | 'plain' = 'undecided';
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
    if (this.mode !== 'undecided' || (!final && this.headSize < 64)) return;
    const head = Buffer.concat(this.head);
    this.head = [];
    if (looksSigned(head)) {
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
    if (this.mode === 'verify') return this.ch.push(Uint8Array.from(chunk));
    if (this.mode === 'plain') return this.inner.write(chunk);
    this.head.push(Uint8Array.from(chunk)); this.headSize += chunk.length;
    await this.decide(false);
  }
  async commit(): Promise<void> {
    await this.decide(true);
    if (this.mode === 'plain') return this.inner.commit();
    this.ch.end();
    this.result = await this.done!;
  }
  async abort(): Promise<void> {
    if (this.mode !== 'verify') return this.inner.abort();
    this.ch.fail(new P7mError('ERR_ABORTED', 'aborted'));
    await this.done!.catch(() => undefined);
  }
}

/** decrypt --verify on a message whose plaintext is not signed data. */
export function refuseUnsigned(contentType: string): never {
  throw new UnsignedMessageError(`the message is not signed (encrypted content type ${contentType === OID.data ? 'data' : contentType}), so its origin and freshness cannot be checked`);
}
