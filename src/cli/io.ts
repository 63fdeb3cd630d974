/** File and terminal plumbing shared by the commands. */
import { createReadStream, promises as fsp, realpathSync, statSync } from 'node:fs';
import * as afs from '../io/fs-async.js';
import * as os from 'node:os';
import * as path from 'node:path';
import { IoError, P7mError, UsageError } from '../errors.js';
import { FileSink, StdoutSink, type Sink } from '../io/sink.js';
import { info, reportError } from './report.js';
import { stdout } from './stdout.js';

/**
 * Read size of the content path for regular files: 1 MiB, as the streaming design asks. Each read
 * costs ~75 µs of main-thread time here whatever its size (400 reads of 256 KiB were ~30 ms of a
 * 100 MiB encrypt); the cipher's output buffers are recycled at any size since src/cli/reclaim.ts
 * primes the allocator, so larger reads no longer page-fault (docs/benchmarks.md).
 */
export const READ_CHUNK = 1 << 20;

export interface InputSource {
  readonly name: string;
  /** Size in bytes when IN is a regular file (known in advance), else null. */
  readonly size: number | null;
  /** The bytes; each chunk is the caller's to keep. */
  stream(): AsyncIterable<Uint8Array>;
  /**
   * The same bytes, faster for a regular file: each chunk is valid only until the next one is asked
   * for (see ReadAhead). For the content path, which consumes every chunk at once. A regular file
   * starts being read when this is called, so a command that calls it before its other set-up finds
   * the first piece read; such a command calls release() if it ends without reading to the end.
   */
  borrowed(): Borrowed;
}

/** The bytes of an input, read once; release() frees what a reader holds if it was not read to the end. */
export interface Borrowed extends AsyncIterable<Uint8Array> {
  release(): Promise<void>;
}

/** A stream as a Borrowed that holds nothing until it is read. */
const asBorrowed = (src: AsyncIterable<Uint8Array>): Borrowed =>
  ({ [Symbol.asyncIterator]: () => src[Symbol.asyncIterator](), release: async () => undefined });

export function openInputFile(file: string | undefined): InputSource {
  if (file === undefined || file === '-') {
    // Standard input's size is not known in advance: the output is indefinite-length BER.
    return { name: 'standard input', size: null, stream: () => process.stdin, borrowed: () => asBorrowed(process.stdin) };
  }
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw readError(file, e);
  }
  if (st.isDirectory()) throw new IoError(`cannot read ${file}: is a directory`);
  const stream = (): AsyncIterable<Uint8Array> => {
    const s = createReadStream(file, { highWaterMark: READ_CHUNK });
    return (async function* () {
      try {
        for await (const c of s) yield c as Buffer;
      } catch (e) {
        throw readError(file, e);
      }
    })();
  };
  // A FIFO or a device: its size is unknown, and it is read as a stream.
  if (!st.isFile()) return { name: file, size: null, stream, borrowed: () => asBorrowed(stream()) };
  // A small file needs no large buffers (a batch of many small files reads each in one go); the
  // floor keeps a file that grows after the stat (a download in progress) from being read in crumbs.
  const chunk = Math.min(READ_CHUNK, Math.max(st.size, 16 << 10));
  return { name: file, size: st.size, stream, borrowed: () => new ReadAhead(file, chunk) };
}

function readError(file: string, e: unknown): IoError {
  const code = (e as NodeJS.ErrnoException).code;
  return new IoError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code ?? (e as Error).message}`);
}

/**
 * Reads a regular file in READ_CHUNK pieces into two buffers used in turn: the next piece is read
 * while the caller works on the current one, and no buffer is allocated per piece (fresh memory
 * costs page faults, the largest cost of the content path after the cipher itself). Opening and
 * the first read start when it is made.
 *
 * A yielded chunk is valid until the next one is asked for. The content path consumes each chunk
 * before that (the cipher's update, a hash update; BerReader copies the few octets it keeps), which
 * is why this reader is the CLI's and is not handed to library callers.
 */
class ReadAhead implements Borrowed {
  private readonly bufs: readonly [Buffer, Buffer];
  private readonly fd: Promise<number>;
  /** Bytes read into bufs[which] (the next piece to hand out). */
  private next: Promise<number>;
  private which = 0;
  private started = false;
  private released = false;

  constructor(private readonly file: string, private readonly size: number) {
    this.bufs = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
    this.fd = afs.open(file, 'r');
    this.next = this.fd.then((fd) => this.fill(fd, this.bufs[0]));
    // Both are awaited later (or by release()); not unhandled rejections in the meantime.
    this.fd.catch(() => undefined);
    this.next.catch(() => undefined);
  }

  /** A full buffer, or less at the end of the file (a regular file reads short only there). */
  private async fill(fd: number, b: Buffer): Promise<number> {
    let n = 0;
    while (n < b.length) {
      const got = await afs.read(fd, b, n, b.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return n;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, void> {
    if (this.started) throw new Error('the input is read once');
    this.started = true;
    try {
      for (;;) {
        let n: number;
        try { n = await this.next; } catch (e) { throw readError(this.file, e); }
        if (n === 0) return;
        const current = this.bufs[this.which];
        this.which ^= 1;
        const other = this.bufs[this.which];
        this.next = this.fd.then((fd) => this.fill(fd, other));
        this.next.catch(() => undefined);
        yield n === this.size ? current : current.subarray(0, n);
      }
    } finally {
      await this.release();
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.next.catch(() => undefined);
    const fd = await this.fd.catch(() => null);
    if (fd !== null) await afs.close(fd).catch(() => undefined);
  }
}

export async function readWholeFile(file: string, what: string): Promise<Uint8Array> {
  try {
    return await afs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new IoError(`cannot read ${what} ${file}: ${reason}`);
  }
}

/** OUT must not be IN: writing over the input would destroy it before it is read. */
export function refuseSameFile(input: string | undefined, output: string | undefined): void {
  if (!input || !output || input === '-' || output === '-') return;
  const real = (p: string): string => { try { return realpathSync(p); } catch { return path.resolve(p); } };
  if (real(input) === real(output)) throw new UsageError(`the output file ${output} is the input file`);
}

/** File outputs go through a temp file renamed on commit; stdout streams. */
export async function outputSink(out: string | undefined): Promise<Sink> {
  if (out === undefined || out === '-') return new StdoutSink(stdout());
  return FileSink.create(out);
}

/** For several decryption candidates on stdout: spool each to a private temp file, copy the winner. */
export class SpooledStdoutSink implements Sink {
  private constructor(private readonly file: FileSink, private readonly target: string) {}
  static async create(): Promise<SpooledStdoutSink> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'p7m-'));
    const target = path.join(dir, 'plain');
    return new SpooledStdoutSink(await FileSink.create(target), target);
  }
  write(c: Uint8Array): Promise<void> { return this.file.write(c); }
  async commit(): Promise<void> {
    await this.file.commit();
    const out = new StdoutSink(stdout());
    try {
      for await (const c of createReadStream(this.target, { highWaterMark: READ_CHUNK })) await out.write(c as Buffer);
      await out.commit();
    } finally {
      await fsp.rm(path.dirname(this.target), { recursive: true, force: true });
    }
  }
  async abort(): Promise<void> {
    await this.file.abort();
    await fsp.rm(path.dirname(this.target), { recursive: true, force: true });
  }
}

export interface BatchJob {
  readonly input: string;
  readonly output: string;
  /** Size of the input when it could be measured up front. */
  readonly size: number | null;
}

/**
 * Batch mode (--out-dir DIR FILE...): each FILE goes to DIR/name(basename of FILE). Problems that
 * would fail every file, or make two files overwrite one output, are usage errors up front; the
 * rest (an unreadable file, a bad message) are each file's own. `total` is the bytes of all inputs
 * that could be measured, for the progress bar.
 */
export function batchInputs(files: readonly string[], outDir: string, name: (base: string) => string): { list: BatchJob[]; total: number } {
  if (files.length === 0) throw new UsageError('--out-dir needs at least one input FILE');
  if (files.includes('-')) throw new UsageError('standard input cannot be part of a batch (--out-dir)');
  let st;
  try {
    st = statSync(outDir);
  } catch (e) {
    throw new IoError(`cannot write to ${outDir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new IoError(`cannot write to ${outDir}: not a directory`);
  const seen = new Map<string, string>();
  const list: BatchJob[] = [];
  let total = 0;
  for (const input of files) {
    const output = path.join(outDir, name(path.basename(input)));
    const other = seen.get(output);
    if (other !== undefined) throw new UsageError(`${other} and ${input} would both be written to ${output}`);
    seen.set(output, input);
    let size: number | null = null;
    try { size = statSync(input).size; } catch { /* reported when the file's turn comes */ }
    list.push({ input, output, size });
    total += size ?? 0;
  }
  return { list, total };
}

/** A batch file's failure: `p7m: error: FILE: message` (and the error's hints), then the batch goes on. */
export function reportFileError(e: unknown, file: string, command: string): void {
  if (e instanceof P7mError) {
    // Same class and code (for the hints), the file name in front of the message.
    // "cannot read FILE: no such file or directory" becomes "FILE: no such file or directory", as cat says it.
    const message = `${file}: ${e.message.replace(`cannot read ${file}: `, '')}`;
    const named = Object.assign(Object.create(Object.getPrototypeOf(e) as object) as P7mError, e, { message, stack: e.stack });
    reportError(named, command);
  } else {
    reportError(new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }), command);
  }
}

/**
 * Runs `work` over a batch with a few files in flight at once (small files spend most of their time
 * waiting on open, rename and close in the thread pool), and reports each outcome in input order.
 * Files over BATCH_ALONE bytes run one at a time, so that memory stays that of one file.
 */
export async function runBatch(
  jobs: readonly BatchJob[],
  work: (job: BatchJob) => Promise<void>,
  report: (job: BatchJob, error: unknown | null) => void,
): Promise<void> {
  const isLarge = (j: BatchJob): boolean => (j.size ?? 0) > BATCH_ALONE;
  const results: Promise<unknown>[] = [];
  let started = 0;
  let inFlightLarge = 0;
  const start = (i: number): void => {
    const job = jobs[i]!;
    if (isLarge(job)) inFlightLarge++;
    results[i] = work(job).then(() => null, (e: unknown) => e ?? new Error('failed'));
  };
  for (let i = 0; i < jobs.length; i++) {
    // Keep up to BATCH_IN_FLIGHT files going, the one to report next included; a large file waits
    // for the others to finish and keeps the next ones waiting.
    while (started < jobs.length && started < i + BATCH_IN_FLIGHT) {
      if (inFlightLarge > 0) break;
      if (started > i && isLarge(jobs[started]!)) break;
      start(started++);
    }
    if (started === i) start(started++);
    const e = await results[i]!;
    if (isLarge(jobs[i]!)) inFlightLarge--;
    report(jobs[i]!, e);
  }
}

const BATCH_IN_FLIGHT = 4;
const BATCH_ALONE = 1 << 20;

/**
 * A whole batch command: runs `work` on each job (runBatch), ticks the progress bar, reports each
 * failure as `p7m: error: FILE: …` without stopping, and ends with the summary line. Exit status 1 if
 * any file failed.
 */
export async function runBatchCommand(
  jobs: readonly BatchJob[],
  bar: { fileDone(): void; interrupt(): void; stop(): Promise<void> },
  command: 'encrypt' | 'decrypt',
  work: (job: BatchJob) => Promise<void>,
): Promise<number> {
  let ok = 0;
  let failed = 0;
  try {
    await runBatch(jobs, work, (job, e) => {
      bar.fileDone();
      if (e === null) { ok++; return; }
      failed++;
      bar.interrupt();
      reportFileError(e, job.input, command);
    });
  } finally {
    await bar.stop();
  }
  info(`${ok} ${command}ed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
