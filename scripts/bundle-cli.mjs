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
// Whitespace and comments are left out (minifyWhitespace; names are kept, so a stack trace still
// names its functions): the bundle is ~240 KB instead of ~300 KB to read at every start. It must
// be ASCII (esbuild escapes other characters in strings by default), which lets the loader read it
// as Latin-1 without UTF-8 decoding: checked below.
//
// Then the V8 code caches (src/cli/code-cache.ts): encrypt and decrypt each get their own, made by
// running the command on the demo PKI, and the other commands share one; p7m.cjs hands the
// command's cache to V8 when it loads commands.cjs.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// tsc has run: the list of commands with a cache of their own, and the cache file names, as the loader has them.
import { CACHED_COMMANDS, cacheFileFor } from '../dist/src/cli/code-cache.js';

await build({
  entryPoints: { p7m: 'dist/src/cli/main.js', commands: 'dist/src/cli/commands.js' },
  outdir: 'dist/bin',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifyWhitespace: true,
  charset: 'ascii',
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

for (const f of ['dist/bin/p7m.cjs', 'dist/bin/commands.cjs']) {
  const bytes = readFileSync(f);
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at >= 0) throw new Error(`${f} is not ASCII (byte ${at}): the code cache loader reads it as Latin-1`);
}

const bundle = 'dist/bin/commands.cjs';
// The cache the other commands share (inspect has none of its own).
const shared = cacheFileFor(bundle, 'inspect');
for (const f of [...[...CACHED_COMMANDS].map((c) => cacheFileFor(bundle, c)), shared]) rmSync(f, { force: true });
const work = mkdtempSync(join(tmpdir(), 'p7m-build-'));
try {
  // Above the CLI's memory-reuse threshold (src/cli/reclaim.ts), so that its code is in the caches too.
  const plain = join(work, 'plain.txt');
  writeFileSync(plain, 'code cache training\n'.repeat(500_000));
  const message = join(work, 'message.p7m');
  const signed = join(work, 'signed.p7m');
  const key = ['--key', 'certs/bob.key.pem', '--cert', 'certs/bob.pem'];
  // Each cache file: the runs that train it; a run loads the cache the one before wrote and adds what it compiled.
  const ownRuns = {
    encrypt: [['encrypt', plain, '-r', 'certs/bob.pem', '-o', message]],
    decrypt: [['decrypt', message, ...key, '-o', join(work, 'out.txt')]],
  };
  const training = {
    ...Object.fromEntries([...CACHED_COMMANDS].map((c) => {
      if (!ownRuns[c]) throw new Error(`code cache training: no run for ${c}`);
      return [cacheFileFor(bundle, c), ownRuns[c]];
    })),
    [shared]: [
      ['inspect', message],
      ['sign', plain, '--signer', 'certs/alice.pem', '--key', 'certs/alice.key.pem', '-o', signed],
      ['verify', signed, '--trust', 'certs/ca.pem', '--replay-db', join(work, 'replay.sqlite3'), '-o', join(work, 'verified.txt')],
    ],
  };
  for (const [cache, runs] of Object.entries(training)) {
    for (const args of runs) {
      const r = spawnSync(process.execPath, ['dist/bin/p7m.cjs', ...args], { env: { ...process.env, P7M_WRITE_CODE_CACHE: cache }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`code cache training: p7m ${args.join(' ')} failed: ${r.stderr}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
