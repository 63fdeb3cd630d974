/**
 * The commands, and running one: everything the CLI does beyond `--version` and the top-level usage.
 *
 * src/cli/main.ts loads this module only when a command is given, so `p7m --version` stays small.
 * The installed `p7m` is built as two bundles (scripts/bundle-cli.mjs): dist/bin/p7m.cjs (main.ts)
 * and dist/bin/commands.cjs (this module and everything it imports, still evaluated lazily per
 * command): one file to read and compile instead of ~30 ES modules to resolve and link.
 */
import { EXIT_USAGE, reportError } from './report.js';
import { stdout } from './stdout.js';

interface Command { help: string; run(args: string[]): Promise<number> }

const COMMANDS: Record<string, () => Promise<Command>> = {
  encrypt: () => import('./commands/encrypt.js'),
  decrypt: () => import('./commands/decrypt.js'),
  inspect: () => import('./commands/inspect.js'),
  sign: () => import('./commands/sign.js'),
  verify: () => import('./commands/verify.js'),
  demo: () => import('./commands/demo.js'),
};

function unknown(cmd: string): number {
  process.stderr.write(`p7m: error: unknown command '${cmd}'\np7m: hint: see 'p7m --help'\n`);
  return EXIT_USAGE;
}

/** `p7m help CMD`: the command's help on standard output. */
export async function showHelp(cmd: string): Promise<number> {
  const load = COMMANDS[cmd];
  if (!load) return unknown(cmd);
  stdout().write((await load()).help);
  return 0;
}

/** Runs `p7m CMD ARGS...`; every failure becomes a message and an exit status, never a stack trace. */
export async function runCommand(cmd: string, args: string[]): Promise<number> {
  try {
    const load = COMMANDS[cmd];
    if (!load) return unknown(cmd);
    const mod = await load();
    if (args.includes('--help') || args.includes('-h')) { stdout().write(mod.help); return 0; }
    return await mod.run(args);
  } catch (e) {
    return reportError(e, cmd);
  }
}
