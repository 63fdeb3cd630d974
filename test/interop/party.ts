// The one interface every side of the interop matrix implements: p7m itself and each peer.
import type { Case } from './cases.js';
import type { Identity, Pki } from './pki.js';
import type { SignedCase } from './signed-cases.js';
import type { Trace } from './run.js';

export interface EncryptJob {
  readonly c: Case;
  /** Plaintext file. */
  readonly plain: string;
  /** In message order; the decrypting identity sits where c.layout says. */
  readonly recipients: readonly Identity[];
  readonly out: string;
  /** A directory of this cell's own for any temporary files. */
  readonly scratch: string;
  readonly trace: Trace;
}

export interface DecryptJob {
  readonly c: Case;
  readonly input: string;
  readonly identity: Identity;
  readonly out: string;
  readonly scratch: string;
  readonly trace: Trace;
}

/**
 * Something a party cannot do. The cell is still run, and it must fail with an error matching
 * `expect` (the party's own words, or the harness's "wrote X (asked Y)" when a tool has no option
 * and silently does something else): the day the limit goes away, the cell turns FAIL and says so.
 * When several limits apply, one match is enough: a tool stops at its first problem.
 */
export interface Limit {
  readonly why: string;
  readonly expect: RegExp;
}

export interface Party {
  /** Short column name: 'openssl', 'gpgsm', 'nss', 'bc', 'p7m'. */
  readonly id: string;
  readonly title: string;
  /** How to get the tool on Debian 12, shown when it is missing. */
  readonly install: string;
  /** Facts about the tool worth a line in docs/interop.md (quirks, not limits). */
  readonly notes?: readonly string[];
  /** How many cells may use this party at once. */
  readonly parallel: number;
  /** The version line for docs/interop.md; throws MissingTool when the tool is not there. */
  detect(): Promise<string>;
  /** Per-run state (databases, homes, a JVM) under `dir`. */
  start(pki: Pki, dir: string): Promise<void>;
  stop(): Promise<void>;
  /** What this party cannot write for the case (empty: it can). */
  writeLimits(c: Case): Limit[];
  /** What this party cannot read for the case (empty: it can). */
  readLimits(c: Case): Limit[];
  encrypt(job: EncryptJob): Promise<void>;
  /** Resolves with an optional remark for the cell (e.g. a quirk the driver had to absorb). */
  decrypt(job: DecryptJob): Promise<string | void>;
}

/**
 * A signed row's writing step: SignedData alone (`c.op === 'sign'`), or signed and then enveloped for
 * `recipient` ('sign-encrypt'), in `c.form`, with `c.sig` / `c.digest`, opaque or detached.
 */
export interface SignJob {
  readonly c: SignedCase;
  readonly plain: string;
  readonly signer: Identity;
  /** The CA certificate (PEM), for tools that must be given the chain. */
  readonly caCert: string;
  /** 'sign-encrypt' only: who the envelope is for. */
  readonly recipient: Identity;
  readonly out: string;
  readonly scratch: string;
  readonly trace: Trace;
}

/**
 * A signed row's reading step: verify the signature and its chain to `caCert` (after decrypting with
 * `recipient`'s key for 'sign-encrypt') and write the signed content to `out`. For a detached
 * signature the content is `plain`.
 */
export interface VerifyJob {
  readonly c: SignedCase;
  readonly input: string;
  readonly plain: string;
  readonly caCert: string;
  readonly recipient: Identity;
  readonly out: string;
  readonly scratch: string;
  readonly trace: Trace;
}

/**
 * A party that also signs and verifies: the "Signed messages" rows (signed-cases.ts). Its limits
 * follow the same rule as Party's: each n/a cell is run and must fail as the limit says.
 */
export interface SigningParty extends Party {
  /** What this party cannot write for the signed case. */
  signWriteLimits(c: SignedCase): Limit[];
  /** What this party cannot read for the signed case, written by `writer` (a party id). */
  signReadLimits(c: SignedCase, writer: string): Limit[];
  sign(job: SignJob): Promise<void>;
  /** Resolves with an optional remark for the cell (e.g. "replay refused"). */
  verify(job: VerifyJob): Promise<string | void>;
}

export class MissingTool extends Error {}

/** The limits whose condition holds for a case, from a table of [condition, limit]. */
export function limitsOf(rules: readonly (readonly [boolean, Limit])[]): Limit[] {
  return rules.filter(([applies]) => applies).map(([, l]) => l);
}
