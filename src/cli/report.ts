/**
 * The one place that writes diagnostics and maps errors to exit statuses (age's voice):
 * `p7m: error: …` then optional `p7m: hint: …`, lower case, on stderr; never a stack trace
 * (P7M_DEBUG=1 prints one for bug reports).
 */
import { P7mError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function warn(message: string): void {
  process.stderr.write(`p7m: warning: ${message}\n`);
}

export function info(message: string): void {
  process.stderr.write(`p7m: ${message}\n`);
}

/** Hints belong to the CLI alone (STYLE habit 3). */
function hintsFor(e: P7mError, command: string | undefined): string[] {
  switch (e.code) {
    case 'ERR_USAGE': return [`see 'p7m ${command ? command + ' ' : ''}--help'`];
    case 'ERR_NO_MATCHING_RECIPIENT': {
      const list = (e as P7mError & { recipients?: string[] }).recipients ?? [];
      return [list.length ? `this message is addressed to:\n${list.map((l) => `  ${l}`).join('\n')}` : 'the message has no recipient p7m can use'];
    }
    case 'ERR_DECRYPTION_FAILED': return ['the key is not the one this message was encrypted for, or the message was altered'];
    case 'ERR_PASSWORD_REQUIRED':
    case 'ERR_BAD_PASSWORD': return ['give the password with --pass (pass:TEXT, env:VAR, file:PATH or stdin)'];
    case 'ERR_BAD_RECIPIENT_CERT': return ['check the certificate given with -r (openssl x509 -in CERT -noout -text)'];
    case 'ERR_LIMIT_EXCEEDED': return ['limits protect against hostile input; see README "Limits" to raise one'];
    case 'ERR_REPLAYED_MESSAGE': return ['this exact message was accepted before: someone may be replaying it'];
    case 'ERR_UNSIGNED_MESSAGE': return ['use --allow-unsigned to accept a plain envelope (replay cannot then be detected)'];
    case 'ERR_CERTIFICATE_REVOKED': return ['the certificate\'s issuer has withdrawn it: do not trust what it signed'];
    case 'ERR_REVOCATION_UNKNOWN': return ['give a current CRL from the certificate\'s issuer with --crl, or --crl-check off to skip the check'];
    default: return [];
  }
}

export function reportError(e: unknown, command?: string): number {
  // The reader of standard output went away (`| head`): its choice, not an error to print, but the
  // output is incomplete, so the status says failure.
  if ((e as { cause?: NodeJS.ErrnoException } | undefined)?.cause?.code === 'EPIPE' || (e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') {
    return EXIT_FAILED;
  }
  if (e instanceof P7mError) {
    process.stderr.write(`p7m: error: ${e.message}\n`);
    for (const h of hintsFor(e, command)) process.stderr.write(`p7m: hint: ${h}\n`);
    if (process.env.P7M_DEBUG) process.stderr.write(`${e.stack}\n`);
    return e.code === 'ERR_USAGE' ? EXIT_USAGE : EXIT_FAILED;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`p7m: error: internal error: ${msg}\n`);
  process.stderr.write('p7m: hint: this is a bug in p7m; run again with P7M_DEBUG=1 and report the output\n');
  if (process.env.P7M_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return EXIT_FAILED;
}
