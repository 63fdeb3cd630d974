/**
 * The installed package's root directory (where package.json and certs/ are). Found by walking up
 * from this code's own file rather than by a fixed number of `..`: the same code runs from
 * dist/src/cli/*.js (compiled, one file per module) and from the bundles in dist/bin/ that the `p7m`
 * bin points to (package.json "bin"; scripts/bundle-cli.mjs).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('p7m: cannot find its package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
