// Bundles the command line into dist/bin/ (run by `npm run build`, after tsc has written dist/src/).
//
// Two CommonJS files, not ~30 ES modules: a command starts ~30 ms sooner here (docs/benchmarks.md).
//  - dist/bin/p7m.cjs      src/cli/main.ts: usage and --version only, so those stay tiny;
//  - dist/bin/commands.cjs src/cli/commands.ts and everything it imports (each module still
//                          evaluated only when first used), loaded by p7m.cjs for a command.
// CommonJS because Node 20 sets up its ES module loader for an ESM entry point (~20 M instructions
// of every start, callgrind) and has no compile cache for ES modules. The library (dist/src/) stays
// ES modules, one file per module.
import { build } from 'esbuild';

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
  // main.ts requires commands.cjs beside itself at run time.
  external: ['./commands.cjs'],
  // import.meta.url (package root, createRequire) becomes the bundle file's own URL.
  inject: ['scripts/bundle-import-meta-url.js'],
  define: { 'import.meta.url': 'importMetaUrl' },
  logLevel: 'warning',
});
