#!/usr/bin/env node
/**
 * p7m command line. Start-up is kept small: `--version` and the usage load nothing but this file;
 * a command loads src/cli/commands.ts, and each command imports pkijs/asn1js and the key parsers
 * only when it runs.
 */
import { cacheFileFor, requireWithCodeCache } from './code-cache.js';
import { packageVersion } from './package-root.js';
import { stdout } from './stdout.js';

type Commands = typeof import('./commands.js');

/**
 * The commands, found beside this file: the installed CLI is two CommonJS bundles, dist/bin/p7m.cjs
 * loading dist/bin/commands.cjs with its code cache (scripts/bundle-cli.mjs, src/cli/code-cache.ts);
 * the compiled ES modules, dist/src/cli/main.js importing dist/src/cli/commands.js, run the same way
 * from a checkout.
 */
const loadCommands = (command: string): Promise<Commands> => {
  if (typeof require !== 'function') return import(new URL('./commands.js', import.meta.url).href) as Promise<Commands>;
  const file = require('node:path').join(__dirname, 'commands.cjs') as string;
  return Promise.resolve(requireWithCodeCache<Commands>(file, cacheFileFor(file, command)));
};

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `usage: p7m <command> [options]

Encrypt and decrypt CMS / PKCS#7 messages (.p7m, S/MIME) for X.509 certificate holders.

commands:
  encrypt   encrypt a file for one or more recipient certificates
  decrypt   decrypt a message with your private key or PKCS#12 file
  inspect   show a message's recipients and algorithms, without a key
  sign      sign a file (SignedData with signingTime and a unique message identifier)
  verify    verify a signed message: signature, chain, freshness and replay
  demo      run the whole exchange on the bundled demo certificates

options:
  -h, --help      show help (p7m <command> --help for a command, with examples)
  -V, --version   show the version

exit status: 0 success, 1 the operation failed, 2 usage error

example:
  p7m encrypt secret.txt -r certs/bob.pem -o secret.p7m
  p7m decrypt secret.p7m --key certs/bob.key.pem --cert certs/bob.pem
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-V') { stdout().write(`p7m ${packageVersion()}\n`); return 0; }
  if (cmd === 'help' && rest[0] !== undefined) return (await loadCommands('help')).showHelp(rest[0]);
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd === undefined ? process.stderr : stdout()).write(USAGE);
    return cmd === undefined ? EXIT_USAGE : 0;
  }
  return (await loadCommands(cmd)).runCommand(cmd, rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  // Only a broken installation gets here (runCommand reports everything else).
  (e: unknown) => {
    process.stderr.write(`p7m: error: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT_FAILED;
  },
);
