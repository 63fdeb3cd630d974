/**
 * Memory reuse on the content path of a one-shot CLI process (docs/streaming.md, "Where the time
 * goes").
 *
 * Node 20's Cipher.update() returns every piece of output in a fresh buffer; there is no API that
 * writes into a caller's buffer. Those buffers become garbage as soon as they are written, but V8
 * only frees them at a young-generation collection, which it starts once about 32 MiB of them are
 * outstanding. Until then every new buffer is fresh memory, and each 4 KiB page of fresh memory is
 * a page fault: for a 100 MiB message that was ~9,000 faults and as much time as AES itself. And
 * glibc's malloc, at its default thresholds, serves 256 KiB-1 MiB buffers with mmap (new pages
 * every time) and trims the freed top of its heap (new pages again at the next growth).
 *
 * So the CLI, which is the whole process, does two things the library must not do to its host:
 *  - once, it frees one large never-touched block, which makes glibc raise its mmap and trim
 *    thresholds above it (malloc(3) M_MMAP_THRESHOLD, "dynamic mmap threshold"): later buffers
 *    come from the heap and stay there;
 *  - every RECLAIM_EVERY bytes of output, it runs a young-generation collection, so that the
 *    buffers already written are freed and their memory is used again while it is still mapped.
 * With both, encrypting 100 MiB page-faults ~1,000 times instead of ~9,000-25,000 and the cipher
 * loop takes about half the time (bench: `npm run bench -- --only=encrypt`).
 *
 * Nothing here changes what is computed. Where it cannot work (another allocator, a V8 without
 * the gc extension) it does nothing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

/** V8's gc() from a fresh context, exposed only for the time it takes to fetch it. */
function getGc(): Gc | null {
  if (gc !== undefined) return gc;
  try {
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
 * process ends before the garbage matters.
 */
export function reclaimer(size: number | null): Reclaimer {
  if (size !== null && size < 2 * RECLAIM_EVERY) return NONE;
  const collect = getGc();
  if (!collect) return NONE;
  primeAllocator(collect);
  let since = 0;
  return {
    written(bytes) {
      since += bytes;
      if (since < RECLAIM_EVERY) return;
      since = 0;
      collect({ type: 'minor' });
    },
  };
}

/** `sink`, collecting young garbage as the reclaimer says after each write. */
export function reclaiming(sink: Sink, r: Reclaimer): Sink {
  if (r === NONE) return sink;
  return {
    async write(chunk) {
      await sink.write(chunk);
      r.written(chunk.length);
    },
    commit: () => sink.commit(),
    abort: () => sink.abort(),
  };
}

let primed = false;

function primeAllocator(collect: Gc): void {
  if (primed) return;
  primed = true;
  // allocUnsafeSlow: malloc without a fill, so the block is mapped but never touched (no faults);
  // unreferenced at once, it is freed by the collection that follows.
  Buffer.allocUnsafeSlow(PRIME_BYTES);
  collect({ type: 'minor' });
}
