// Bundles the command line into dist/bin/ (run by `npm run build`, after tsc has written dist/src/).
//
// Two CommonJS files, not ~30 ES modules: a command starts ~30 ms sooner here (docs/benchmarks.md).
//  - dist/bin/p7m.cjs      src/cli/main.ts: usage and --version only, so those stay tiny;
//  - dist/bin/commands.cjs src/cli/commands.ts and everything it imports (each module still
//                          evaluated only when first used), loaded by p7m.cjs for a command.
// CommonJS because Node 20 sets up its ES module loader for an ES module entry point (~20 M
// instructions of every start, callgrind) and has no compile cache for ES modules; the library
// (dist/src/) stays ES modules, one file per module.
//
// Then dist/bin/commands.cjs.cache: V8's code for the functions an encrypt and a decrypt of the demo
// PKI compile, which p7m.cjs hands to V8 when it loads commands.cjs (src/cli/code-cache.ts).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

await build({
  entryPoints: { p7m: 'dist/src/cli/main.js', commands: 'dist/src/cli/commands.js' },
  outdir: 'dist/bin',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // asn1js, better-sqlite3 and cli-progress stay in node_modules, loaded when a command needs them.
  packages: 'external',
  // commands.cjs runs through vm.Script (code cache), where import() needs an experimental flag:
  // esbuild turns import() of node: modules and packages into require().
  supported: { 'dynamic-import': false },
  // import.meta.url (package root, createRequire) becomes the bundle file's own URL.
  inject: ['scripts/bundle-import-meta-url.js'],
  define: { 'import.meta.url': 'importMetaUrl' },
  logLevel: 'warning',
});

const cache = 'dist/bin/commands.cjs.cache';
rmSync(cache, { force: true });
const work = mkdtempSync(join(tmpdir(), 'p7m-build-'));
try {
  const plain = join(work, 'plain.txt');
  const message = join(work, 'message.p7m');
  writeFileSync(plain, 'code cache training\n'.repeat(1000));
  // Each run loads the cache the one before wrote and adds what it compiled.
  for (const args of [
    ['encrypt', plain, '-r', 'certs/bob.pem', '-o', message],
    ['decrypt', message, '--key', 'certs/bob.key.pem', '--cert', 'certs/bob.pem', '-o', join(work, 'out.txt')],
  ]) {
    const r = spawnSync(process.execPath, ['dist/bin/p7m.cjs', ...args], { env: { ...process.env, P7M_WRITE_CODE_CACHE: cache }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`code cache training: p7m ${args[0]} failed: ${r.stderr}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
