/**
 * Memory reuse on the content path of a one-shot CLI process (docs/benchmarks.md, "Notes").
 *
 * Node 20's Cipher.update() returns every piece of output in a fresh buffer; there is no API that
 * writes into a caller's buffer. Those buffers become garbage as soon as they are written, but V8
 * only frees them at a young-generation collection, which it starts once about 32 MiB of them are
 * outstanding. Until then every new buffer is fresh memory, and each 4 KiB page of fresh memory is
 * a page fault (~12 µs each on this project's VM): for a 100 MiB message that was ~9,000 faults and
 * as much time as AES itself. And glibc's malloc, at its default thresholds, serves 256 KiB-1 MiB
 * buffers with mmap (new pages every time) and trims the freed top of its heap (new pages again at
 * the next growth).
 *
 * So the CLI, which is the whole process, does two things the library must not do to its host:
 *  - once, it frees one large never-touched block, which makes glibc raise its mmap and trim
 *    thresholds above it (malloc(3) M_MMAP_THRESHOLD, "dynamic mmap threshold"): later buffers
 *    come from the heap and stay there;
 *  - it gives back the memory of each batch a file sink has written, at once (release()), so that
 *    the next buffers reuse it while it is still mapped; for other sinks it runs a
 *    young-generation collection every RECLAIM_EVERY bytes of output instead.
 * Encrypting 100 MiB to a file then page-faults ~4,800 times (with collections: ~5,500; with
 * neither: ~12,700) and needs 3 collections instead of 26.
 *
 * Nothing here changes what is computed. Where it cannot work (another allocator, a V8 without
 * the gc extension) it does nothing.
 */
import { createRequire } from 'node:module';
import type { Sink } from '../io/sink.js';

/**
 * Young-generation collection interval, in bytes handed to the sink. Not less than twice what the
 * sinks and the read-ahead hold (a 1 MiB batch being written, the next being gathered): a buffer
 * that lives through two collections is moved to the old generation, and freed only at a full one.
 */
const RECLAIM_EVERY = 4 << 20;
/** Above glibc's largest dynamic threshold for our buffers (1 MiB) and below its 32 MiB cap. */
const PRIME_BYTES = 16 << 20;

type Gc = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: Gc | null | undefined;

/**
 * V8's gc() from a fresh context, exposed only for the time it takes to fetch it. node:v8 and
 * node:vm are loaded only here: a file output never needs them.
 */
function getGc(): Gc | null {
  if (gc !== undefined) return gc;
  try {
    const require = createRequire(import.meta.url);
    const { setFlagsFromString } = require('node:v8') as typeof import('node:v8');
    const { runInNewContext } = require('node:vm') as typeof import('node:vm');
    setFlagsFromString('--expose-gc');
    const f = runInNewContext('typeof gc === "function" ? gc : null') as Gc | null;
    setFlagsFromString('--no-expose-gc');
    gc = f;
  } catch {
    gc = null;
  }
  return gc;
}

export interface Reclaimer {
  /** Counts bytes written; collects young garbage every RECLAIM_EVERY bytes. */
  written(bytes: number): void;
}

const NONE: Reclaimer = { written() {} };

/**
 * A reclaimer for a content stream of `size` bytes (null: unknown). Small contents get none: the
 * process ends before the garbage matters. A large one primes the allocator at once.
 */
export function reclaimer(size: number | null): Reclaimer {
  if (!primeFor(size)) return NONE;
  let since = 0;
  return {
    written(bytes) {
      since += bytes;
      if (since < RECLAIM_EVERY) return;
      since = 0;
      getGc()?.({ type: 'minor' });
    },
  };
}

/** A sink that reports each batch once it is written (src/io/sink.ts FileSink). */
interface ReportsWrites { onWritten: ((batch: readonly Uint8Array[]) => void) | null }

/**
 * `sink`, with the memory of what it wrote given back. A file sink reports each batch once it is
 * written, and the batch's buffers are freed then (release()): no collection is needed and the
 * cipher's working set stays at the few buffers in flight. Other sinks (standard output) get a
 * young-generation collection every RECLAIM_EVERY bytes instead, and so does `how` 'collect':
 * decrypt's, whose reader leaves garbage of its own that only a collection frees (releasing the
 * written plaintext alone let its peak RSS grow from ~76 to ~94 MiB for 1 GiB).
 */
export function reclaiming(sink: Sink, r: Reclaimer, how: 'release' | 'collect' = 'release'): Sink {
  if (r === NONE) return sink;
  if (how === 'release' && 'onWritten' in sink) {
    (sink as Sink & ReportsWrites).onWritten = release;
    return sink;
  }
  return {
    async write(chunk) {
      await sink.write(chunk);
      r.written(chunk.length);
    },
    commit: () => sink.commit(),
    abort: () => sink.abort(),
  };
}

/** Buffers released only when they are large and own their whole ArrayBuffer (the cipher's output). */
const RELEASE_MIN = 64 << 10;

/**
 * Frees the memory of buffers nothing will read again, now rather than at the next collection:
 * their ArrayBuffers are transferred into a message on a fresh MessageChannel whose ports are then
 * closed, which drops the message and with it the memory (at the end of the current event-loop
 * turn). Only a buffer that is large and spans its whole ArrayBuffer is taken: a slice of Node's
 * Buffer pool, or of anything shared, is left alone; a buffer that cannot be transferred is left
 * to the collector.
 */
function release(buffers: readonly Uint8Array[]): void {
  const owned: ArrayBuffer[] = [];
  for (const b of buffers) {
    const ab = b.buffer;
    if (b.byteLength >= RELEASE_MIN && b.byteOffset === 0 && ab.byteLength === b.byteLength && !owned.includes(ab as ArrayBuffer)) {
      owned.push(ab as ArrayBuffer);
    }
  }
  if (owned.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(null, owned);
  } catch {
    // untransferable: the collector frees it
  }
  port1.close();
  port2.close();
}

let primed = false;

/**
 * For a content of `size` bytes (null: unknown), large enough to need it: frees one large
 * never-touched block (allocUnsafeSlow: malloc without a fill, so mapped but never touched, no
 * faults), which raises glibc's mmap and trim thresholds above it; once per process. A command may
 * call this early, so that the block is gone before the content path allocates. Returns whether the
 * content is large.
 */
export function primeFor(size: number | null): boolean {
  if (size !== null && size < 2 * RECLAIM_EVERY) return false;
  if (!primed) {
    primed = true;
    release([Buffer.allocUnsafeSlow(PRIME_BYTES)]);
  }
  return true;
}
