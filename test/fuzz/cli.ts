/** Running the built CLI (dist/bin/p7m.cjs, what the `p7m` bin runs) from the hostile and kill tests. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './seeds.js';

export const CLI = path.join(ROOT, 'dist', 'bin', 'p7m.cjs');

export interface CliResult { status: number | null; stdout: Buffer; stderr: string; ms: number }

export function cli(args: string[], opts: { cwd?: string; input?: Uint8Array } = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input,
    env: { ...process.env, P7M_DEBUG: '' },
    maxBuffer: 1 << 30,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString(), ms: performance.now() - t0 };
}

/** `p7m: error: …` lines only (and hints), never a stack trace or an internal error. */
export function voiceProblem(stderr: string): string | null {
  if (/^\s+at .+:\d+:\d+\)?$/m.test(stderr)) return 'stack trace on stderr';
  if (/internal error/.test(stderr)) return 'internal error';
  if (!stderr.startsWith('p7m: error: ')) return 'stderr does not start with "p7m: error: "';
  for (const line of stderr.split('\n').filter((l) => l !== '')) {
    if (!/^(p7m: (error|hint|warning): \S|  \S)/.test(line)) return `unexpected stderr line ${JSON.stringify(line.slice(0, 120))}`;
  }
  return null;
}
