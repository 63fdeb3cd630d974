/**
 * What the fuzzer (and the regression replay in test/hostile.test.ts) runs on every input, through the
 * library's public functions:
 *   inspect · decrypt with the right key and its certificate · decrypt with the right bare key (every
 *   RSA recipient of its size is a candidate) · decrypt with a wrong bare key · verify (when src/signed/
 *   exists) · inspectMessage, what `p7m inspect` runs (envelopes and signed messages alike).
 * The only acceptable outcomes are a result or a P7mError. Anything else is a bug: another exception
 * ('internal'), more than SLOW_MS ('slow'), or no answer within HANG_MS ('hang').
 */
import { Readable } from 'node:stream';
import { decrypt, inspect, inspectMessage, P7mError, resolveIdentity, type Identity } from '../../src/index.js';
import { loadKeys } from './seeds.js';

export const SLOW_MS = 1000;
export const HANG_MS = 10_000;

export type BugKind = 'internal' | 'slow' | 'hang' | 'memory' | 'crash';

export interface Outcome {
  readonly target: string;
  readonly ms: number;
  /** 'ok', or the P7mError code, or 'bug'. */
  readonly code: string;
  readonly bug?: { readonly kind: BugKind; readonly message: string; readonly stack?: string };
}

export interface Target {
  readonly name: string;
  run(bytes: Uint8Array): Promise<unknown>;
}

type VerifyFn = (bytes: Uint8Array, opts: Record<string, unknown>) => Promise<unknown>;

/** `verify`, from the library entry when exported there, else from src/signed/verify.ts when present. */
async function findVerify(): Promise<VerifyFn | null> {
  const index = (await import('../../src/index.js')) as Record<string, unknown>;
  if (typeof index.verify === 'function') return index.verify as VerifyFn;
  try {
    const m = (await import('../../src/signed/verify.js')) as Record<string, unknown>;
    return typeof m.verify === 'function' ? (m.verify as VerifyFn) : null;
  } catch {
    return null;
  }
}

export async function makeTargets(): Promise<Target[]> {
  const k = loadKeys();
  const withCert: Identity = await resolveIdentity({ key: k.rcptKey, certificate: k.rcptCertPem });
  const bare: Identity = await resolveIdentity({ key: k.rcptKey });
  const wrong: Identity = await resolveIdentity({ key: k.wrongKey });
  const targets: Target[] = [
    { name: 'inspect', run: (b) => inspect(b) },
    { name: 'decrypt', run: (b) => decrypt(b, { identity: withCert }) },
    { name: 'decrypt-bare', run: (b) => decrypt(b, { identity: bare }) },
    { name: 'decrypt-wrong', run: (b) => decrypt(b, { identity: wrong }) },
  ];
  const verify = await findVerify();
  if (verify) {
    // The signed seeds were signed "at" 2030-01-01; freshness is not what the fuzzer is after.
    const policy = {
      trust: [k.caDer],
      clock: () => new Date('2030-01-01T00:00:10Z'),
      maxAgeMs: Infinity,
      maxSkewMs: Infinity,
      requireReplayAttributes: false,
    };
    targets.push({ name: 'verify', run: (b) => verify(b, policy) });
  }
  targets.push({ name: 'inspect-any', run: (b) => inspectMessage(Readable.from([b])) });
  return targets;
}

export async function runTarget(t: Target, bytes: Uint8Array): Promise<Outcome> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), HANG_MS); });
  try {
    const r = await Promise.race([t.run(bytes).then(() => 'ok' as const), hang]);
    const ms = performance.now() - t0;
    if (r === 'hang') return { target: t.name, ms, code: 'bug', bug: { kind: 'hang', message: `no result after ${HANG_MS} ms` } };
    if (ms > SLOW_MS) return { target: t.name, ms, code: 'bug', bug: { kind: 'slow', message: `ok after ${ms.toFixed(0)} ms` } };
    return { target: t.name, ms, code: 'ok' };
  } catch (e) {
    const ms = performance.now() - t0;
    if (e instanceof P7mError) {
      if (ms > SLOW_MS) return { target: t.name, ms, code: 'bug', bug: { kind: 'slow', message: `${e.code} after ${ms.toFixed(0)} ms` } };
      return { target: t.name, ms, code: e.code };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      target: t.name, ms, code: 'bug',
      bug: { kind: 'internal', message: `${err.name}: ${err.message}`, ...(err.stack ? { stack: err.stack.split('\n').slice(0, 8).join('\n') } : {}) },
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A stable signature for a bug, so that one bug found 10,000 times is saved a few times, not 10,000:
 * the kind, the target, the error text with its numbers and quoted parts removed, and the top frame.
 */
export function bugSignature(o: Outcome): string {
  const b = o.bug!;
  const msg = b.message.replace(/\d+/g, 'N').replace(/"[^"]*"|'[^']*'/g, 'S');
  const frame = b.stack?.split('\n').find((l) => l.includes(' at '))?.trim().replace(/:\d+:\d+\)?$/, '') ?? '';
  return `${b.kind} ${o.target} ${msg} ${frame}`;
}
