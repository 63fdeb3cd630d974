// Where the repository is, whether this runs from test/interop/ (tsx) or from dist/test/interop/.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // dist/ has neither package.json nor tsconfig.json; the repository root has both.
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json')))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the repository root above test/interop');
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const WORK = join(ROOT, 'test', '.work', 'interop');
