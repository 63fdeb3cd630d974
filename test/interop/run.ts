// Child processes for the interop harness: run a tool, capture its words, keep a trace.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface RunOptions {
  /** Feed a file through a pipe (so the child sees a FIFO, not a regular file), or bytes. */
  readonly stdin?: { readonly file: string } | { readonly data: string | Uint8Array };
  /** Send stdout to a file instead of capturing it. */
  readonly stdoutFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** One line per command a cell ran, with how it ended: what a bug report needs. */
export class Trace {
  readonly entries: { command: string; code: number | null; stderr: string }[] = [];
  add(r: RunResult): void {
    this.entries.push({ command: r.command, code: r.code, stderr: r.stderr.trim() });
  }
  note(command: string, code: number | null, stderr: string): void {
    this.entries.push({ command, code, stderr });
  }
  toString(): string {
    return this.entries
      .map((e) => `$ ${e.command}\n  -> exit ${e.code}${e.stderr ? `\n  ${e.stderr.replace(/\n/g, '\n  ')}` : ''}`)
      .join('\n');
  }
}

export function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(cmd: string, args: readonly string[], opts: RunOptions = {}): string {
  let s = [cmd, ...args].map(quote).join(' ');
  if (opts.stdin && 'file' in opts.stdin) s = `cat ${quote(opts.stdin.file)} | ${s}`;
  if (opts.stdoutFile) s += ` > ${quote(opts.stdoutFile)}`;
  if (opts.env?.GNUPGHOME) s = `GNUPGHOME=${quote(opts.env.GNUPGHOME)} ${s}`;
  return s;
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const command = commandLine(cmd, args, opts);
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  const stderr: Buffer[] = [];
  const stdout: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  let outDone: Promise<unknown> = Promise.resolve();
  if (opts.stdoutFile) {
    const ws = createWriteStream(opts.stdoutFile);
    child.stdout.pipe(ws);
    outDone = once(ws, 'close');
  } else {
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
  }
  // A child that exits before reading all of its stdin gives EPIPE; that is its business, not ours.
  child.stdin.on('error', () => {});
  if (opts.stdin && 'file' in opts.stdin) {
    const rs = createReadStream(opts.stdin.file);
    rs.on('error', (e) => child.stdin.destroy(e));
    // A child that stops reading early (it failed) must not leave the file open.
    child.once('close', () => rs.destroy());
    rs.pipe(child.stdin);
  } else if (opts.stdin) {
    child.stdin.end(opts.stdin.data);
  } else {
    child.stdin.end();
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  try {
    await spawned;
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    await outDone;
    return {
      command,
      code,
      signal,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      ms: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A tool said no. The message is the tool's own words (its stderr), trimmed to what matters. */
export class ToolError extends Error {
  constructor(
    readonly result: RunResult,
    message?: string,
  ) {
    super(message ?? summarize(result));
  }
}

export function summarize(r: RunResult): string {
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/CRLs not checked|encrypted to .* key|secmod|^gpgsm: DBG:/.test(l));
  const tail = lines.slice(-4).join(' | ');
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return tail ? `${tail} (${how})` : how;
}

export async function runOk(trace: Trace, cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  trace.add(r);
  if (r.code !== 0) throw new ToolError(r);
  return r;
}
