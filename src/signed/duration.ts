/**
 * Durations for --max-age / --max-skew: a whole number and one unit, `90s`, `5m`, `24h`, `7d`.
 * A bare number is refused rather than guessed to be seconds or milliseconds.
 */
import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d{1,12})([smhd])$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: expected a number and a unit s, m, h or d, as in 90s, 5m, 24h, 7d`);
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!Number.isSafeInteger(ms)) throw new UsageError(`${what} ${text} is too large`);
  return ms;
}
