/**
 * Node stream API: `encryptStream` and `decryptStream` return Duplex streams for `pipeline()`.
 * Plaintext from `decryptStream` flows as it is decrypted (CBC holds back only the last block); a bad
 * last block, a bad AES-GCM tag or a wrong key ends the stream with DecryptionFailedError, so a
 * consumer that must not act on unverified plaintext writes to a temporary place and commits only
 * when the pipeline resolves (the CLI does this with a temp file renamed into place, and spools an
 * AuthEnvelopedData it writes to standard output).
 */
import { Duplex } from 'node:stream';
import { type EncryptOptions, prepareEnvelope, rechunk } from './encrypt.js';
import { type DecryptOptions, openDecryption, resolveIdentity } from './decrypt.js';
import { MemorySink, type Sink } from './io/sink.js';
import { type OutputForm, encodeOutput } from './stream/armor.js';

export function encryptStream(opts: EncryptOptions & { form?: OutputForm; length?: number }): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Uint8Array>) {
    const env = await prepareEnvelope(opts);
    yield* encodeOutput(env.stream(rechunk(source), opts.length ?? null), opts.form ?? 'der', env.smimeType);
  });
}

/** A sink that hands chunks to a generator: bounded, one chunk in flight (backpressure). */
class QueueSink implements Sink {
  private waiting: ((v: IteratorResult<Uint8Array>) => void) | null = null;
  private resume: (() => void) | null = null;
  private buffered: Uint8Array[] = [];
  private ended = false;
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    if (this.waiting) { const w = this.waiting; this.waiting = null; w({ value: chunk, done: false }); return; }
    this.buffered.push(chunk);
    await new Promise<void>((r) => { this.resume = r; });
  }
  async commit(): Promise<void> { this.end(); }
  async abort(): Promise<void> { this.end(); }
  private end(): void { this.ended = true; if (this.waiting) { const w = this.waiting; this.waiting = null; w({ value: undefined, done: true }); } }
  next(): Promise<IteratorResult<Uint8Array>> {
    const b = this.buffered.shift();
    if (b) { const r = this.resume; this.resume = null; r?.(); return Promise.resolve({ value: b, done: false }); }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((res) => { this.waiting = res; });
  }
}

export function decryptStream(opts: DecryptOptions): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Uint8Array>) {
    const identity = await resolveIdentity(opts);
    const core = await openDecryption(source, identity, opts.limits);
    let count = 0;
    const memory: MemorySink[] = [];
    const q = new QueueSink();
    const done = core.run(async (_i, n) => {
      count = n;
      if (n === 1) return q;
      // Several candidate recipients (bare key): keep each candidate's plaintext until one passes.
      if (_i === 0) void q.abort();
      const m = new MemorySink(); memory.push(m); return m;
    });
    let failure: unknown = null;
    const settled = done.then(() => undefined, (e) => { failure = e; q.abort(); });
    for (;;) {
      const r = await q.next();
      if (r.done) break;
      yield r.value;
    }
    await settled;
    if (failure) throw failure;
    if (count > 1) yield memory.find((m) => m.committed)!.bytes();
  });
}
