/**
 * Child processes for tests: the built CLI (dist/bin/p7m.cjs, what the `p7m` bin runs) and openssl, run asynchronously with
 * stdin bytes or a file piped in, stdout captured as bytes and stderr as text.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI as installed: the single-file bundle package.json's bin points to (`npm run build`). */
export const CLI = path.join(ROOT, 'dist', 'bin', 'p7m.cjs');
/** The demo PKI shipped with p7m. */
export const CERTS = path.join(ROOT, 'certs');

export interface RunOptions {
  /** Bytes written to the child's stdin, or a file piped in (the child sees a pipe, not a regular file). */
  stdin?: Uint8Array | string | { file: string };
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit status; null if killed by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** The command line, for assertion messages. */
  command: string;
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // The child may exit before reading all of stdin (a usage error): that is not the test's failure.
    child.stdin.on('error', () => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), command: [cmd, ...args].join(' ') });
    });
    const input = opts.stdin;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'object' && 'file' in input) createReadStream(input.file).pipe(child.stdin);
    else child.stdin.end(input);
  });
}

/** Runs the built CLI: `node dist/bin/p7m.cjs ...args`. */
export function p7m(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the CLI tests`);
  const env = { ...(opts.env ?? process.env) };
  delete env.P7M_DEBUG;
  return run(process.execPath, [CLI, ...args], { ...opts, env });
}

export function openssl(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('openssl', args, opts);
}

/** Like `openssl`, but fails with openssl's own words when it does not exit 0. */
export async function opensslOk(args: readonly string[], opts: RunOptions = {}): Promise<Buffer> {
  const r = await openssl(args, opts);
  if (r.status !== 0) throw new Error(`${r.command} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** openssl's version line, or null when it is not installed (the interop tests are then skipped). */
export const OPENSSL_VERSION: string | null = (() => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
})();

/** Text of a result for assertion messages. */
export function explain(r: RunResult): string {
  return `${r.command}\n  exit ${r.status}${r.signal ? ` (${r.signal})` : ''}\n  stderr: ${r.stderr.trim()}`;
}
