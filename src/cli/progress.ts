/**
 * A progress bar on stderr for long encryptions and decryptions: bytes done, rate and time left.
 *
 * Shown on its own when stderr is a terminal and the input is larger than 8 MiB (an input of
 * unknown size, such as a pipe, gets one once 8 MiB have gone through); `--progress` forces it,
 * also when stderr is not a terminal (a line every two seconds), and `--no-progress` turns it off.
 * cli-progress is imported only when a bar is drawn, so that start-up stays small.
 */
import { fstatSync } from 'node:fs';
import type { SingleBar } from 'cli-progress';

export type ProgressMode = 'auto' | 'on' | 'off';

/** Inputs above this size get a bar on a terminal. */
export const PROGRESS_THRESHOLD = 8 << 20;

/**
 * `--progress` and `--no-progress` (both boolean options of the command): the last one given wins,
 * as a later flag overrides an alias's earlier one.
 */
export function progressMode(args: readonly string[]): ProgressMode {
  const end = args.indexOf('--');
  const flags = end < 0 ? args : args.slice(0, end);
  const on = flags.lastIndexOf('--progress');
  const off = flags.lastIndexOf('--no-progress');
  if (on < 0 && off < 0) return 'auto';
  return on > off ? 'on' : 'off';
}

export const PROGRESS_OPTIONS = {
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
} as const;

export const PROGRESS_HELP = `  --progress             show a progress bar on stderr, even when it is not a terminal
  --no-progress          never show one (default: shown on a terminal for inputs over 8 MiB)`;

export interface Progress {
  /** Counts bytes of input as they are consumed. */
  add(bytes: number): void;
  /** Batch mode: one more file finished (done or failed). */
  fileDone(): void;
  /** Clears the bar's line before a message is written to stderr; the bar is redrawn on the next update. */
  interrupt(): void;
  /** Draws the final state and releases the terminal (its timer would keep the process alive). */
  stop(): Promise<void>;
}

const NO_PROGRESS: Progress = { add() {}, fileDone() {}, interrupt() {}, async stop() {} };

/** Wraps a byte source so that the progress counts each chunk as it is handed on. */
export async function* counted(src: AsyncIterable<Uint8Array>, progress: Progress): AsyncGenerator<Uint8Array, void, void> {
  for await (const chunk of src) {
    progress.add(chunk.length);
    yield chunk;
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function humanBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${UNITS[i]}`;
}

function humanDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * @param total bytes expected (null: unknown, e.g. standard input)
 * @param files batch mode: the number of files, shown as "3/10 files"
 */
export function startProgress(opts: {
  mode: ProgressMode;
  total: number | null;
  verb: string;
  files?: number;
  stream?: NodeJS.WriteStream;
}): Progress {
  if (opts.mode === 'off') return NO_PROGRESS;
  if (opts.mode === 'auto' && opts.total !== null && opts.total <= PROGRESS_THRESHOLD) return NO_PROGRESS;
  const tty = opts.stream ? opts.stream.isTTY === true : stderrIsTerminal();
  if (opts.mode === 'auto' && !tty) return NO_PROGRESS;
  return new Bar(opts.stream ?? process.stderr, tty, opts.total, opts.verb, opts.files ?? null, opts.mode === 'on' || opts.total !== null);
}

/**
 * Whether stderr is a terminal, without making process.stderr when it is not one. Node builds that
 * stream on first use, a socket for a pipe (~3 ms here): a command whose stderr is a pipe or a file
 * and that has nothing to say should not pay it. A terminal is a character device; so is /dev/null,
 * which the stream then tells apart.
 */
function stderrIsTerminal(): boolean {
  try {
    if (!fstatSync(2).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.stderr.isTTY === true;
}

class Bar implements Progress {
  private done = 0;
  private filesDone = 0;
  private bar: SingleBar | null = null;
  private loading: Promise<void> | null = null;
  private stopped = false;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly tty: boolean,
    private readonly total: number | null,
    private readonly verb: string,
    private readonly files: number | null,
    shownNow: boolean,
  ) {
    if (shownNow) this.load();
  }

  private load(): void {
    this.loading ??= import('cli-progress').then((mod) => {
      const cp = (mod as unknown as { default?: typeof mod }).default ?? mod;
      const known = this.total !== null;
      const bar = new cp.SingleBar({
        stream: this.stream,
        format: known
          ? `p7m: ${this.verb} [{bar}] {percentage}% | {done} of {size} | {rate} | {left} left{files}`
          : `p7m: ${this.verb} {done} | {rate}{files}`,
        barsize: 24,
        hideCursor: false,
        // On a terminal the final bar stays (then a newline); off one, each line already ends with
        // one, and "clearing" (a no-op there) avoids a blank line after the last.
        clearOnComplete: !this.tty,
        // Off a terminal (forced with --progress): a plain line every two seconds, and at the end.
        noTTYOutput: !this.tty,
        notTTYSchedule: 2000,
        fps: 8,
        linewrap: this.tty ? false : true,
      }, cp.Presets.shades_classic);
      this.bar = bar;
      bar.start(this.total ?? 1, 0, this.payload());
      if (this.done > 0) bar.update(Math.min(this.done, this.total ?? 1), this.payload());
    }, () => { /* no bar rather than a failed command */ });
  }

  private payload(): Record<string, string> {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    return {
      done: humanBytes(this.done),
      size: this.total === null ? '?' : humanBytes(this.total),
      rate: `${humanBytes(rate)}/s`,
      left: this.total === null || rate === 0 ? '--' : humanDuration((this.total - this.done) / rate),
      files: this.files === null ? '' : ` | ${this.filesDone}/${this.files} files`,
    };
  }

  add(bytes: number): void {
    this.done += bytes;
    if (this.bar) this.bar.update(this.total === null ? 1 : Math.min(this.done, this.total), this.payload());
    else if (!this.loading && this.done > PROGRESS_THRESHOLD) this.load();
  }

  fileDone(): void {
    this.filesDone++;
    this.bar?.update(this.total === null ? 1 : Math.min(this.done, this.total), this.payload());
  }

  interrupt(): void {
    if (this.bar && this.tty) this.stream.write('\r\x1b[2K');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A bar that was asked for is drawn at least once, even when the work was quicker than the import.
    if (this.loading) await this.loading;
    if (this.bar) {
      this.bar.update(this.total === null ? 1 : Math.min(this.done, this.total), this.payload());
      this.bar.stop();
    }
  }
}
