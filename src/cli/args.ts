/** Argument parsing on node:util parseArgs (no start-up cost; see README "Choices"). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(args: string[], options: Options): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    // parseArgs messages name the option; strip node's error code prefix and trailing advice.
    // Node appends advice after the first sentence ("Unknown option '--x'. To specify a positional
    // argument starting with a '-', place it at the end…"): keep the first sentence only.
    const msg = (e as Error).message.split('\n')[0]!.split('. ')[0]!.replace(/\.$/, '').replace(/^Unknown option/, 'unknown option');
    throw new UsageError(msg.charAt(0).toLowerCase() + msg.slice(1));
  }
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], option: string, dflt: T): T {
  if (value === undefined) return dflt;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${option} must be one of ${allowed.join(', ')} (got ${String(value)})`);
  }
  return value as T;
}

export function str(value: unknown): string | undefined { return typeof value === 'string' ? value : undefined; }
export function list(value: unknown): string[] { return Array.isArray(value) ? value : typeof value === 'string' ? [value] : []; }
