/**
 * One fuzzing worker thread (started by scripts/fuzz.ts): runs the inputs whose index ≡ job (mod jobs),
 * publishes the index it is on in shared memory (so that the watchdog can name the input of a hang or a
 * crash without asking), and reports statistics and bugs by message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Generator } from './mutate.js';
import { loadSeeds } from './seeds.js';
import { type Outcome, makeTargets, runTarget } from './targets.js';

export interface WorkerInput {
  readonly runSeed: number;
  readonly job: number;
  readonly jobs: number;
  /** First index this worker runs (≡ job mod jobs). */
  readonly start: number;
  /** Exclusive bound on the index. */
  readonly end: number;
  /** Date.now() after which the worker stops. */
  readonly deadline: number;
  /** Int32Array view: [job * 2] = index being run, [job * 2 + 1] = inputs done. */
  readonly shared: SharedArrayBuffer;
}

export interface TargetStats { codes: Record<string, number>; totalMs: number; maxMs: number; maxIndex: number }
export interface WorkerStats { inputs: number; bytes: number; targets: Record<string, TargetStats>; maxInputMs: number; maxInputIndex: number }

export type WorkerMessage =
  | { type: 'bug'; index: number; seed: string; how: string[]; bytes: Uint8Array; outcomes: Outcome[] }
  | { type: 'stats'; stats: WorkerStats; final: boolean; next: number };

const input = workerData as WorkerInput;
const view = new Int32Array(input.shared);
const { seeds } = loadSeeds();
const gen = new Generator(seeds, input.runSeed);
const targets = await makeTargets();

const stats: WorkerStats = { inputs: 0, bytes: 0, targets: {}, maxInputMs: 0, maxInputIndex: -1 };
for (const t of targets) stats.targets[t.name] = { codes: {}, totalMs: 0, maxMs: 0, maxIndex: -1 };

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
let lastReport = Date.now();
let i = input.start;
for (; i < input.end && Date.now() < input.deadline; i += input.jobs) {
  Atomics.store(view, input.job * 2, i);
  const g = gen.generate(i);
  const outcomes: Outcome[] = [];
  let inputMs = 0;
  for (const t of targets) {
    let o = await runTarget(t, g.bytes);
    // A slow input is run again: only one slow both times is reported (a GC pause or a busy machine is not a bug).
    if (o.bug?.kind === 'slow') {
      const again = await runTarget(t, g.bytes);
      if (!again.bug || again.ms < o.ms) o = again;
    }
    outcomes.push(o);
    inputMs += o.ms;
    const s = stats.targets[t.name]!;
    s.codes[o.code] = (s.codes[o.code] ?? 0) + 1;
    s.totalMs += o.ms;
    if (o.ms > s.maxMs) { s.maxMs = o.ms; s.maxIndex = i; }
  }
  stats.inputs++;
  stats.bytes += g.bytes.length;
  if (inputMs > stats.maxInputMs) { stats.maxInputMs = inputMs; stats.maxInputIndex = i; }
  Atomics.add(view, input.job * 2 + 1, 1);
  if (outcomes.some((o) => o.bug)) post({ type: 'bug', index: i, seed: g.seed, how: g.how, bytes: g.bytes.slice(), outcomes: outcomes.filter((o) => o.bug) });
  if (Date.now() - lastReport > 2000) { post({ type: 'stats', stats, final: false, next: i + input.jobs }); lastReport = Date.now(); }
}
post({ type: 'stats', stats, final: true, next: i });
