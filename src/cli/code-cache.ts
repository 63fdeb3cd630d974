/**
 * Loading the command bundle with V8's code cache.
 *
 * Node 20 compiles dist/bin/commands.cjs (~240 KB) on every start: ~10 ms here, plus compiling each
 * function the command then calls. `npm run build` (scripts/bundle-cli.mjs) runs each of the main
 * commands once and keeps the code V8 made for it in its own cache file beside the bundle
 * (dist/bin/commands.cjs.encrypt.cache, ….decrypt.cache, and ….cache for the others): V8 reads a
 * whole cache at load, so a cache holding only what the command runs is read faster (the encrypt
 * cache is ~2/3 of one trained on encrypt and decrypt, ~20 M fewer instructions at start,
 * callgrind). V8 checks a cache against the source and its own version and flags, and falls back
 * to compiling when it does not match (another Node version, say): never a different result, at
 * worst the old speed.
 */
import { isAscii } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';

/** Set by the build only: where to write the code cache when the process ends. */
const WRITE_ENV = 'P7M_WRITE_CODE_CACHE';

/** The cache file for a command: its own when the build made one (see above), else the shared one. */
export function cacheFileFor(file: string, command: string): string {
  return CACHED_COMMANDS.has(command) ? `${file}.${command}.cache` : `${file}.cache`;
}

/** Commands with a cache of their own; scripts/bundle-cli.mjs trains one for each. */
export const CACHED_COMMANDS: ReadonlySet<string> = new Set(['encrypt', 'decrypt']);

/**
 * `file` compiled as a CommonJS module function, with `cacheFile` as V8's code cache when it is
 * there (`script.cachedDataRejected` tells whether V8 took it).
 */
export function compileWithCodeCache(file: string, cacheFile = `${file}.cache`): Script {
  const bytes = readFileSync(file);
  // The bundle is ASCII (the build checks it): read as Latin-1 it is the same string, made without
  // UTF-8 decoding (~2.5 ms for the bundle here). A file that is not ASCII is decoded as UTF-8.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache: compiled as usual
  }
  // CommonJS's own wrapper, on a line of its own so that line and column numbers stay the file's.
  return new Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
    filename: file,
    lineOffset: -1,
    ...(cachedData ? { cachedData } : {}),
  });
}

/** `require(file)` for a CommonJS file, compiled with its code cache (compileWithCodeCache). */
export function requireWithCodeCache<T>(file: string, cacheFile = `${file}.cache`): T {
  const script = compileWithCodeCache(file, cacheFile);
  const mod = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(mod.exports, createRequire(file), mod, file, path.dirname(file));
  const out = process.env[WRITE_ENV];
  // After the command ran: the cache then holds every function it compiled, not just the top level.
  if (out) process.once('exit', () => writeFileSync(out, script.createCachedData()));
  return mod.exports;
}
