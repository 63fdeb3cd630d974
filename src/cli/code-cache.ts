/**
 * Loading the command bundle with V8's code cache.
 *
 * Node 20 compiles dist/bin/commands.cjs (~300 KB) on every start: ~10 ms here, plus compiling each
 * function the command then calls. `npm run build` (scripts/bundle-cli.mjs) runs an encrypt and a
 * decrypt once and keeps the code V8 made for them in dist/bin/commands.cjs.cache; loading with it
 * skips that work. V8 checks the cache against the source and its own version and flags, and falls
 * back to compiling when it does not match (another Node version, say): never a different result,
 * at worst the old speed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';

/** Set by the build only: where to write the code cache when the process ends. */
const WRITE_ENV = 'P7M_WRITE_CODE_CACHE';

/** `require(file)` for a CommonJS file, with `${file}.cache` as V8's code cache when it is there. */
export function requireWithCodeCache<T>(file: string): T {
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // no cache: compiled as usual
  }
  // CommonJS's own wrapper, on a line of its own so that line and column numbers stay the file's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
    filename: file,
    lineOffset: -1,
    ...(cachedData ? { cachedData } : {}),
  });
  const mod = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(mod.exports, createRequire(file), mod, file, path.dirname(file));
  const out = process.env[WRITE_ENV];
  // After the command ran: the cache then holds every function it compiled, not just the top level.
  if (out) process.once('exit', () => writeFileSync(out, script.createCachedData()));
  return mod.exports;
}
