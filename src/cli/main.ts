#!/usr/bin/env node
/**
 * p7m command line. Start-up is kept small: `--version` and `--help` load nothing but this file and
 * the help texts; each command imports pkijs/asn1js and the key parsers only when it runs.
 */
import { readFileSync } from 'node:fs';
import { EXIT_USAGE, reportError } from './report.js';

const COMMANDS: Record<string, () => Promise<{ help: string; run(args: string[]): Promise<number> }>> = {
  encrypt: () => import('./commands/encrypt.js'),
  decrypt: () => import('./commands/decrypt.js'),
  inspect: () => import('./commands/inspect.js'),
  sign: () => import('./commands/sign.js'),
  verify: () => import('./commands/verify.js'),
  demo: () => import('./commands/demo.js'),
};

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

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-V') { process.stdout.write(`p7m ${version()}\n`); return 0; }
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const sub = cmd === 'help' ? rest[0] : undefined;
    if (sub && COMMANDS[sub]) { process.stdout.write((await COMMANDS[sub]!()).help); return 0; }
    if (sub) {
      process.stderr.write(`p7m: error: unknown command '${sub}'\np7m: hint: see 'p7m --help'\n`);
      return EXIT_USAGE;
    }
    (cmd === undefined ? process.stderr : process.stdout).write(USAGE);
    return cmd === undefined ? EXIT_USAGE : 0;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`p7m: error: unknown command '${cmd}'\np7m: hint: see 'p7m --help'\n`);
    return EXIT_USAGE;
  }
  const mod = await load();
  if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(mod.help); return 0; }
  try {
    return await mod.run(rest);
  } catch (e) {
    return reportError(e, cmd);
  }
}

// A closed pipe (`p7m decrypt … | head`) or a full disk on standard output fails the write that met it,
// which the command reports; without a listener the stream's 'error' event would also crash the process
// with a stack trace.
process.stdout.on('error', () => undefined);

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.exitCode = reportError(e); },
);
