/**
 * p7m's deterministic mutation fuzzer (issue 6). No coverage feedback: every input is a pure function of
 * (--seed, index) over the seed corpus in test/corpus/seeds/ (see test/fuzz/mutate.ts for the
 * mutations), run through inspect, decrypt (right key with and without its certificate, wrong key) and
 * verify (test/fuzz/targets.ts). A bug is any exception that is not a P7mError, any input taking more
 * than 1 s, no answer in 10 s, a worker dying, or the process growing by more than 256 MB.
 * Every input that found a bug is saved in test/corpus/regressions/ with what it found; `npm test`
 * replays them (test/hostile.test.ts).
 *
 *   npm run fuzz -- [--seconds 120] [--seed 1] [--inputs N] [--jobs 2] [--report FILE.json] [--no-save]
 *   npm run fuzz -- --replay FILE...        run the targets on files, print outcomes and memory
 *   npm run fuzz -- --seed S --dump INDEX F  write input INDEX of seed S to file F
 *
 * Exit status: 0 no bug found, 1 bugs found (listed), 2 usage error.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Generator } from '../test/fuzz/mutate.js';
import { REGRESSIONS_DIR, ROOT, loadSeeds } from '../test/fuzz/seeds.js';
import { type BugKind, type Outcome, HANG_MS, bugSignature, makeTargets, runTarget } from '../test/fuzz/targets.js';
import type { WorkerInput, WorkerMessage, WorkerStats } from '../test/fuzz/worker.js';

const MEMORY_LIMIT_MB = 256;
/** A worker whose index has not moved for this long is stuck in synchronous code: it is terminated. */
const STUCK_MS = HANG_MS * 3;
/** Inputs saved per distinct bug signature and run: a few of an exception, one of a slow input (they are big). */
const savePerSignature = (kind: BugKind): number => (kind === 'internal' ? 3 : 1);

const { values: v, positionals } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    seed: { type: 'string', default: '1' },
    inputs: { type: 'string' },
    jobs: { type: 'string' },
    report: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    replay: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    dump: { type: 'string' },
  },
  allowPositionals: true,
});

function int(s: string | undefined, what: string, dflt: number): number {
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) { console.error(`fuzz: ${what} must be a non-negative integer`); process.exit(2); }
  return n;
}

// --- replay: run the targets on files (used by the memory confirmation, and by hand) ---

if (v.replay) {
  if (positionals.length === 0) { console.error('fuzz: --replay needs files'); process.exit(2); }
  const targets = await makeTargets();
  const base = process.memoryUsage.rss();
  const results: { file: string; outcomes: Outcome[] }[] = [];
  for (const f of positionals) {
    const bytes = new Uint8Array(readFileSync(f));
    const outcomes: Outcome[] = [];
    for (const t of targets) outcomes.push(await runTarget(t, bytes));
    results.push({ file: f, outcomes });
  }
  // maxRSS is in KiB; growth over the resident size after loading everything.
  const growthMb = (process.resourceUsage().maxRSS * 1024 - base) / 2 ** 20;
  if (v.json) process.stdout.write(JSON.stringify({ growthMb, results }) + '\n');
  else {
    for (const r of results) {
      console.log(r.file);
      for (const o of r.outcomes) console.log(`  ${o.target.padEnd(14)} ${o.code.padEnd(28)} ${o.ms.toFixed(1).padStart(8)} ms${o.bug ? `  ${o.bug.kind}: ${o.bug.message}` : ''}`);
    }
    console.log(`peak resident growth: ${growthMb.toFixed(1)} MB`);
  }
  process.exit(results.some((r) => r.outcomes.some((o) => o.bug)) ? 1 : 0);
}

if (v.dump !== undefined) {
  const g = new Generator(loadSeeds().seeds, int(v.seed, '--seed', 1)).generate(int(v.dump, '--dump', 0));
  if (positionals.length !== 1) { console.error('fuzz: --dump INDEX needs one output file'); process.exit(2); }
  writeFileSync(positionals[0]!, g.bytes);
  console.log(`${g.seed}: ${g.how.join('; ')} (${g.bytes.length} bytes)`);
  process.exit(0);
}

// --- the fuzzing run ---

const seconds = int(v.seconds, '--seconds', 120);
const runSeed = int(v.seed, '--seed', 1);
const maxInputs = v.inputs !== undefined ? int(v.inputs, '--inputs', 0) : Number.MAX_SAFE_INTEGER;
const jobs = Math.max(1, int(v.jobs, '--jobs', Math.min(2, os.availableParallelism())));
const save = !v['no-save'];
const deadline = Date.now() + seconds * 1000;
const t0 = Date.now();

const { seeds } = loadSeeds();
const gen = new Generator(seeds, runSeed);
const targetNames = (await makeTargets()).map((t) => t.name);
console.log(`fuzz: seed ${runSeed}, ${seeds.length} seeds, ${gen.truncationCount} truncations first, targets ${targetNames.join(', ')}, ${jobs} job(s), ${seconds} s${maxInputs < Number.MAX_SAFE_INTEGER ? `, at most ${maxInputs} inputs` : ''}`);

interface Found { kind: BugKind; target: string; message: string; stack?: string; index: number; seed: string; how: string[]; bytes: Uint8Array; ms?: number }
const found: Found[] = [];
const perSignature = new Map<string, number>();
const saved: string[] = [];

function record(f: Found): void {
  const sig = bugSignature({ target: f.target, ms: f.ms ?? 0, code: 'bug', bug: { kind: f.kind, message: f.message, ...(f.stack ? { stack: f.stack } : {}) } });
  const n = perSignature.get(sig) ?? 0;
  perSignature.set(sig, n + 1);
  if (n === 0) console.log(`fuzz: BUG ${f.kind} in ${f.target} at input ${f.index} (${f.seed}: ${f.how.join('; ')}): ${f.message}`);
  found.push(f);
  if (!save || n >= savePerSignature(f.kind)) return;
  mkdirSync(REGRESSIONS_DIR, { recursive: true });
  const id = createHash('sha256').update(f.bytes).digest('hex').slice(0, 16);
  const name = `${f.kind}-${f.target}-${id}`;
  if (existsSync(path.join(REGRESSIONS_DIR, `${name}.bin`))) return;
  writeFileSync(path.join(REGRESSIONS_DIR, `${name}.bin`), f.bytes);
  writeFileSync(path.join(REGRESSIONS_DIR, `${name}.json`), JSON.stringify({
    found: { kind: f.kind, target: f.target, message: f.message, ...(f.stack ? { stack: f.stack } : {}) },
    input: { runSeed, index: f.index, seed: f.seed, how: f.how },
    date: new Date().toISOString().slice(0, 10),
  }, null, 2) + '\n');
  saved.push(name);
}

// Statistics: the latest snapshot of each worker incarnation, summed at the end.
const snapshots = new Map<number, WorkerStats>();
let incarnation = 0;

const shared = new SharedArrayBuffer(4 * 2 * jobs);
const view = new Int32Array(shared);
// `--import tsx` does not reach worker threads on Node 20: the worker registers tsx itself.
const workerBoot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('../test/fuzz/worker.ts', import.meta.url).href)}); });`;
const running = new Set<Promise<void>>();
let peakRss = process.memoryUsage.rss();
const baseRss = peakRss;
const memorySuspects = new Set<number>();

function startWorker(job: number, start: number): void {
  if (start >= maxInputs || Date.now() >= deadline) return;
  const me = incarnation++;
  view[job * 2] = start;
  const input: WorkerInput = { runSeed, job, jobs, start, end: maxInputs, deadline, shared };
  const w = new Worker(workerBoot, { eval: true, workerData: input, resourceLimits: { maxOldGenerationSizeMb: MEMORY_LIMIT_MB } });
  let finished = false;
  let lastIndex = -1;
  let lastMove = Date.now();
  const stuck = setInterval(() => {
    const cur = Atomics.load(view, job * 2);
    if (cur !== lastIndex) { lastIndex = cur; lastMove = Date.now(); return; }
    if (Date.now() - lastMove > STUCK_MS) {
      clearInterval(stuck);
      const g = gen.generate(cur);
      record({ kind: 'hang', target: 'worker', message: `input ${cur} stuck for ${STUCK_MS} ms (synchronous loop)`, index: cur, seed: g.seed, how: g.how, bytes: g.bytes });
      finished = true;
      void w.terminate().then(() => startWorker(job, cur + jobs));
    }
  }, 1000);
  const done = new Promise<void>((resolve) => {
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'stats') { snapshots.set(me, m.stats); if (m.final) finished = true; return; }
      for (const o of m.outcomes) record({ kind: o.bug!.kind, target: o.target, message: o.bug!.message, ...(o.bug!.stack ? { stack: o.bug!.stack } : {}), index: m.index, seed: m.seed, how: m.how, bytes: m.bytes, ms: o.ms });
    });
    w.on('error', (e: Error & { code?: string }) => {
      if (finished) return;
      finished = true;
      const cur = Atomics.load(view, job * 2);
      const g = gen.generate(cur);
      const kind: BugKind = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
      record({ kind, target: 'worker', message: `${e.code ?? e.name}: ${e.message}`, index: cur, seed: g.seed, how: g.how, bytes: g.bytes });
      startWorker(job, cur + jobs);
    });
    w.on('exit', (code) => {
      clearInterval(stuck);
      if (!finished) {
        // The event loop emptied with a promise pending forever (a deadlock), or the thread exited.
        finished = true;
        const cur = Atomics.load(view, job * 2);
        const g = gen.generate(cur);
        record({ kind: 'hang', target: 'worker', message: `worker exited (${code}) while running input ${cur}: a promise that never settles`, index: cur, seed: g.seed, how: g.how, bytes: g.bytes });
        startWorker(job, cur + jobs);
      }
      resolve();
    });
  });
  running.add(done);
  void done.then(() => running.delete(done));
}

for (let j = 0; j < jobs; j++) startWorker(j, j);

const progress = setInterval(() => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  if (rss - baseRss > MEMORY_LIMIT_MB * 2 ** 20) for (let j = 0; j < jobs; j++) memorySuspects.add(Atomics.load(view, j * 2));
}, 50);
const ticker = setInterval(() => {
  let n = 0;
  for (let j = 0; j < jobs; j++) n += Atomics.load(view, j * 2 + 1);
  const s = (Date.now() - t0) / 1000;
  console.log(`fuzz: ${s.toFixed(0)} s, ${n} inputs (${(n / s).toFixed(0)}/s), ${found.length} bug input(s), peak rss ${(peakRss / 2 ** 20).toFixed(0)} MB`);
}, 15_000);

while (running.size > 0) await Promise.race(running);
clearInterval(progress);
clearInterval(ticker);

// Memory suspects: confirm each alone in a fresh process (the RSS is shared by every worker).
if (memorySuspects.size > 0) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'p7m-fuzz-'));
  for (const idx of memorySuspects) {
    const g = gen.generate(idx);
    const f = path.join(dir, `${idx}.bin`);
    writeFileSync(f, g.bytes);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'fuzz.ts'), '--replay', '--json', f], { encoding: 'utf8', cwd: ROOT });
    let growth = NaN;
    try { growth = (JSON.parse(r.stdout) as { growthMb: number }).growthMb; } catch { /* crashed: counted below */ }
    if (!(growth <= MEMORY_LIMIT_MB)) {
      record({ kind: 'memory', target: 'all', message: Number.isNaN(growth) ? `replay died: ${r.stderr.slice(0, 200)}` : `resident size grew by ${growth.toFixed(0)} MB`, index: idx, seed: g.seed, how: g.how, bytes: g.bytes });
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

// --- summary ---

const total: WorkerStats = { inputs: 0, bytes: 0, targets: {}, maxInputMs: 0, maxInputIndex: -1 };
for (const s of snapshots.values()) {
  total.inputs += s.inputs;
  total.bytes += s.bytes;
  if (s.maxInputMs > total.maxInputMs) { total.maxInputMs = s.maxInputMs; total.maxInputIndex = s.maxInputIndex; }
  for (const [name, t] of Object.entries(s.targets)) {
    const a = (total.targets[name] ??= { codes: {}, totalMs: 0, maxMs: 0, maxIndex: -1 });
    for (const [c, n] of Object.entries(t.codes)) a.codes[c] = (a.codes[c] ?? 0) + n;
    a.totalMs += t.totalMs;
    if (t.maxMs > a.maxMs) { a.maxMs = t.maxMs; a.maxIndex = t.maxIndex; }
  }
}
const elapsed = (Date.now() - t0) / 1000;
console.log(`\nfuzz: ${total.inputs} inputs in ${elapsed.toFixed(0)} s (${(total.inputs / elapsed).toFixed(0)}/s), ${(total.bytes / 2 ** 20).toFixed(1)} MB of input, seed ${runSeed}`);
console.log(`fuzz: slowest input ${total.maxInputMs.toFixed(0)} ms (all targets, index ${total.maxInputIndex}); peak resident size ${(peakRss / 2 ** 20).toFixed(0)} MB (${((peakRss - baseRss) / 2 ** 20).toFixed(0)} MB over the start)`);
for (const [name, t] of Object.entries(total.targets)) {
  const codes = Object.entries(t.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
  console.log(`  ${name.padEnd(14)} max ${t.maxMs.toFixed(0).padStart(4)} ms (index ${t.maxIndex}), mean ${(t.totalMs / Math.max(1, total.inputs)).toFixed(2)} ms: ${codes}`);
}
const signatures = [...perSignature.entries()];
if (signatures.length) {
  console.log(`\nfuzz: ${signatures.length} distinct bug(s), ${found.length} input(s):`);
  for (const [sig, n] of signatures) console.log(`  ×${n} ${sig}`);
  if (saved.length) console.log(`fuzz: saved ${saved.length} input(s) in ${path.relative(ROOT, REGRESSIONS_DIR)}/: ${saved.join(', ')}`);
} else {
  console.log('fuzz: no bug found');
}
if (v.report) {
  writeFileSync(v.report, JSON.stringify({
    seed: runSeed, seconds: elapsed, jobs, inputs: total.inputs, inputBytes: total.bytes, truncations: gen.truncationCount,
    slowestInputMs: total.maxInputMs, peakRssMb: peakRss / 2 ** 20, rssGrowthMb: (peakRss - baseRss) / 2 ** 20,
    targets: total.targets, bugs: signatures.map(([s, n]) => ({ signature: s, inputs: n })), saved,
  }, null, 2) + '\n');
}
process.exit(found.length ? 1 : 0);
