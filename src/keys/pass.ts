/**
 * Where a password comes from: `--pass` specs in the openssl `-passin` syntax, or an interactive prompt.
 *
 * A PasswordSource is a lazy getter: the key loaders call it only once they know the file is encrypted, so the CLI
 * prompts (or reads stdin, or a file) only when it must. Each source resolves at most once and remembers the result.
 */
import { readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { IoError, LimitExceededError, PasswordRequiredError, UsageError } from '../errors.js';

/** A lazy password getter, called only when a password is actually needed. */
export type PasswordSource = () => string | Promise<string>;

/** Longest password line read from a file or stdin (openssl's APP_PASS_LEN is 1024). */
const MAX_LINE = 64 * 1024;

export interface PassSpecOptions {
  /** Environment for `env:` (default process.env). */
  env?: Record<string, string | undefined>;
  /** Stream for `stdin` (default process.stdin). */
  stdin?: Readable;
}

/**
 * Parses a password spec, as openssl's `-passin` does:
 * `pass:TEXT` (the text itself), `env:VAR` (an environment variable), `file:PATH` (first line of a file),
 * `stdin` (first line of standard input). Syntax errors are a UsageError at once; the value is read on first use.
 */
export function parsePassSpec(spec: string, options: PassSpecOptions = {}): PasswordSource {
  const colon = spec.indexOf(':');
  const scheme = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  switch (scheme) {
    case 'pass':
      if (arg === undefined) break;
      return once(() => arg);
    case 'env': {
      if (!arg) break;
      const env = options.env ?? process.env;
      return once(() => {
        const v = env[arg];
        if (v === undefined) throw new UsageError(`environment variable ${arg} (from --pass env:${arg}) is not set`);
        return v;
      });
    }
    case 'file':
      if (!arg) break;
      return once(async () => {
        let text: string;
        try {
          text = (await readFile(arg)).toString('utf8');
        } catch (e) {
          throw new IoError(`cannot read password file ${arg}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
        }
        return firstLine(text);
      });
    case 'stdin':
      if (arg !== undefined) break;
      return once(async () => firstLine(options.stdin ? await readLine(options.stdin) : readLineFromFd(0)));
    default:
      break;
  }
  throw new UsageError(`bad password spec ${JSON.stringify(redact(spec))}: expected pass:TEXT, env:VAR, file:PATH or stdin`);
}

/** Never echo a literal password back in an error message. */
function redact(spec: string): string {
  return spec.startsWith('pass:') ? 'pass:…' : spec;
}

function once(get: () => string | Promise<string>): PasswordSource {
  let p: Promise<string> | undefined;
  return () => (p ??= Promise.resolve().then(get));
}

/** Up to the first line break; a CR before it is dropped too (openssl keeps it: nobody means a password ending in CR). */
function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Reads standard input one byte at a time up to the first newline, synchronously, without creating process.stdin:
 * exactly one line is consumed, the rest stays for whoever reads stdin next, and no stdin handle is left open to
 * keep the process alive (a stream reads ahead and holds the event loop until EOF). Call it before anything else
 * has started reading process.stdin.
 */
function readLineFromFd(fd: number): string {
  const one = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, one, 0, 1, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking pipe with nothing in it yet: wait a little without spinning.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break; // Windows console
      throw new IoError(`cannot read the password from standard input: ${code ?? String(e)}`, { cause: e });
    }
    if (n === 0 || one[0] === 0x0a) break;
    bytes.push(one[0]!);
    if (bytes.length > MAX_LINE) throw new LimitExceededError(`password line on standard input is longer than ${MAX_LINE} bytes`);
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Reads one line from `stream` and pushes whatever followed it back (unshift), so the rest of the stream is still
 * there for a later reader.
 */
function readLine(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null, line?: string, rest?: Buffer): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (rest && rest.length > 0) stream.unshift(rest);
      stream.pause();
      if (err) reject(err);
      else resolve(line!);
    };
    const onReadable = (): void => {
      let chunk: Buffer | string | null;
      while ((chunk = stream.read() as Buffer | string | null) !== null) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        const nl = b.indexOf(0x0a);
        if (nl >= 0) {
          chunks.push(b.subarray(0, nl + 1));
          done(null, Buffer.concat(chunks).toString('utf8'), b.subarray(nl + 1));
          return;
        }
        chunks.push(b);
        size += b.length;
        if (size > MAX_LINE) {
          done(new LimitExceededError(`password line on standard input is longer than ${MAX_LINE} bytes`));
          return;
        }
      }
    };
    const onEnd = (): void => done(null, Buffer.concat(chunks).toString('utf8'));
    const onError = (e: Error): void => done(new IoError(`cannot read the password from standard input: ${e.message}`, { cause: e }));
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/**
 * Asks for a password on the terminal: the prompt on stderr, nothing echoed. Only when both stdin and stderr are a
 * TTY; otherwise a PasswordRequiredError saying a password is needed (the CLI adds the `--pass` hint).
 * Ctrl-C ends the prompt and re-raises SIGINT, so the process reacts as it would anywhere else.
 */
export async function promptPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new PasswordRequiredError('a password is needed and there is no terminal to ask for it');
  }
  const { createInterface } = await import('node:readline');
  const { Writable } = await import('node:stream');
  let muted = false;
  // readline echoes what is typed to `output`; this output lets the prompt through and swallows the echo.
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true, historySize: 0 });
  return new Promise<string>((resolve) => {
    rl.on('SIGINT', () => {
      rl.close();
      process.stderr.write('\n');
      process.kill(process.pid, 'SIGINT');
    });
    rl.question(prompt, (answer) => {
      muted = false;
      process.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
    muted = true;
  });
}

/**
 * The CLI's password source: the `--pass` spec when given, else a prompt on the terminal (asked at most once).
 */
export function passwordSource(spec: string | undefined, prompt: string, options?: PassSpecOptions): PasswordSource {
  return spec !== undefined ? parsePassSpec(spec, options) : once(() => promptPassword(prompt));
}
