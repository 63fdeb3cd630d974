/**
 * Temporary directories for tests: one per test file (or per test), removed when the test ends.
 * Everything lives under the OS temp dir, never in the working tree.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TempDir {
  readonly path: string;
  /** `path.join(dir, ...parts)`. */
  join(...parts: string[]): string;
  /** Names in the directory, sorted (to check that no temp file was left behind). */
  list(): string[];
  remove(): void;
}

export function tempDir(prefix = 'p7m-test-'): TempDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    join: (...parts) => path.join(dir, ...parts),
    list: () => readdirSync(dir).sort(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A temp dir removed by node:test's `after` hook of the calling file or suite:
 * `const tmp = useTempDir(after)`.
 */
export function useTempDir(after: (fn: () => void) => void, prefix?: string): TempDir {
  const t = tempDir(prefix);
  after(() => t.remove());
  return t;
}
