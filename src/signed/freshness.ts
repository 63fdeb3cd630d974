/**
 * The freshness window (docs/replay.md): a message is accepted while
 *   signingTime − maxSkew ≤ now ≤ signingTime + maxAge.
 * Kept apart from verify.ts so that the replay cache can share the defaults without loading the verifier.
 */
import { FutureMessageError, StaleMessageError } from '../errors.js';

export const DEFAULT_MAX_AGE_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_SKEW_MS = 5 * 60 * 1000;

export interface FreshnessPolicy {
  /** Oldest acceptable signingTime, as an age. Default 24 h. Infinity disables the check. */
  readonly maxAgeMs?: number;
  /** How far signingTime may be ahead of the clock. Default 5 min. */
  readonly maxSkewMs?: number;
}

export function checkFreshness(signingTime: Date, now: Date, policy: FreshnessPolicy): void {
  const maxAge = policy.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const maxSkew = policy.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const age = now.getTime() - signingTime.getTime();
  if (age > maxAge) {
    throw new StaleMessageError(`the message was signed at ${signingTime.toISOString()}, more than ${formatMs(maxAge)} ago`);
  }
  if (-age > maxSkew) {
    throw new FutureMessageError(`the message claims to be signed at ${signingTime.toISOString()}, more than ${formatMs(maxSkew)} ahead of this clock`);
  }
}

export function formatMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
