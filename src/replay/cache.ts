/**
 * The persistent replay cache (docs/replay.md). A verified, fresh message is looked up and recorded in
 * one SQLite write transaction (BEGIN IMMEDIATE), so that of N processes verifying the same message at
 * the same moment exactly one succeeds. A message counts as seen when either
 *   - the same signer (issuer + serial) already sent a message with the same replay identity: its
 *     contentIdentifier (RFC 2634 §2.7), or, for a message without one (openssl, gpgsm, NSS, Outlook),
 *     the SHA-256 of its signed attributes (src/signed/verify.ts ReplayIdentity); the two kinds are
 *     kept apart (column id_kind), so a chosen contentIdentifier never matches a derived identity; or
 *   - the same signature value was already seen (a copy, whatever its identifier claims).
 *
 * Entries are pruned once no message they could match can pass the freshness check: a message is
 * accepted only while now ∈ [signingTime − maxSkew, signingTime + maxAge], and it is recorded no earlier
 * than signingTime − maxSkew, so maxAge + maxSkew after it was first seen it is stale for good.
 *
 * Failure is loud: a cache that cannot be opened, read or written is a ReplayCacheError, never a pass.
 *
 * Schema versions (PRAGMA user_version): 1 had no id_kind; 2 adds it. A version 1 file is migrated in
 * place when opened (ALTER TABLE … ADD COLUMN, its rows are contentIdentifiers: id_kind 0), under the
 * write lock. A p7m from before version 2 refuses a migrated file ("written by a newer p7m").
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { MissingReplayAttributesError, P7mError, ReplayCacheError, ReplayedMessageError, UsageError } from '../errors.js';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_SKEW_MS } from '../signed/freshness.js';
import type { ReplayIdentity, SignatureCheck } from '../signed/verify.js';

/** What identifies one verified message. */
export interface ReplayRecord {
  /** DER issuer Name of the signer's certificate. */
  readonly signerIssuerDer: Uint8Array;
  /** Serial number INTEGER contents of the signer's certificate. */
  readonly signerSerial: Uint8Array;
  /** The message's name, exactly one of: the signed contentIdentifier (RFC 2634 §2.7) … */
  readonly contentIdentifier?: Uint8Array;
  /** … or, for a message without one, the SHA-256 of its signed attributes (ReplayIdentity 'signedAttributes'). */
  readonly derivedIdentity?: Uint8Array;
  /** SHA-256 of the SignerInfo signature value. */
  readonly signatureHash: Uint8Array;
  readonly signingTime: Date;
}

export interface ReplayCheckOptions {
  readonly now: Date;
  /** How long entries are kept: maxAge + maxSkew of the freshness policy (replayRetentionMs). */
  readonly retentionMs: number;
}

export interface ReplayCache {
  readonly path: string;
  /** Throws ReplayedMessageError (with firstSeen) for a message seen before, else records it. */
  checkAndRecord(record: ReplayRecord, opts: ReplayCheckOptions): void;
  /** Number of entries (diagnostics, tests). */
  size(): number;
  close(): void;
}

/** 'p7mR': marks the SQLite file as ours, so a wrong --replay-db path is an error, not a silent new table. */
const APPLICATION_ID = 0x70376d52;
const SCHEMA_VERSION = 2;
/** How long a process waits for another one's transaction: generous, transactions take milliseconds. */
const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS seen (
    signer       BLOB    NOT NULL,  -- SHA-256 of the DER IssuerAndSerialNumber
    content_id   BLOB    NOT NULL,  -- the contentIdentifier, or the derived identity (id_kind 1)
    sig_hash     BLOB    NOT NULL,
    signing_time INTEGER NOT NULL,  -- ms since the epoch
    first_seen   INTEGER NOT NULL,  -- ms since the epoch
    id_kind      INTEGER NOT NULL DEFAULT 0  -- 0: contentIdentifier; 1: SHA-256 of the signed attributes (v2)
  );
  CREATE INDEX IF NOT EXISTS seen_by_id ON seen (signer, content_id);
  CREATE INDEX IF NOT EXISTS seen_by_sig ON seen (sig_hash);
  CREATE INDEX IF NOT EXISTS seen_by_age ON seen (first_seen);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

/** Version 1 → 2: the identity kind. Existing rows are contentIdentifiers (version 1 knew no other kind). */
const MIGRATE_1_TO_2 = 'ALTER TABLE seen ADD COLUMN id_kind INTEGER NOT NULL DEFAULT 0';

const ID_KIND = { contentIdentifier: 0, signedAttributes: 1 } as const;

/**
 * `$XDG_STATE_HOME/p7m/replay.sqlite3` when XDG_STATE_HOME is set (to an absolute path, as the XDG Base
 * Directory spec requires), else the platform's per-user state location.
 */
export function defaultReplayDbPath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const xdg = env['XDG_STATE_HOME'];
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'p7m', 'replay.sqlite3');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'p7m', 'replay.sqlite3');
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'] || path.join(home, 'AppData', 'Local');
    return path.join(local, 'p7m', 'replay.sqlite3');
  }
  return path.join(home, '.local', 'state', 'p7m', 'replay.sqlite3');
}

/** The retention a freshness policy needs (docs/replay.md): maxAge + maxSkew. */
export function replayRetentionMs(policy: { maxAgeMs?: number; maxSkewMs?: number } = {}): number {
  const r = (policy.maxAgeMs ?? DEFAULT_MAX_AGE_MS) + (policy.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);
  return Number.isFinite(r) ? r : Number.MAX_SAFE_INTEGER;
}

/** What replayRecordOf and recordVerified read from a verification result. */
export type RecordableCheck = Pick<SignatureCheck, 'signer' | 'contentIdentifier' | 'signatureHash' | 'signingTime'>
  & { readonly replayIdentity?: ReplayIdentity };

/**
 * The record for a verified message. A message without signingTime cannot have one (freshness, which
 * bounds the cache, rests on it). Its name is its replayIdentity (verify() always sets it), else its
 * contentIdentifier; `requireContentIdentifier` refuses a derived one, as VerifyPolicy's option does.
 */
export function replayRecordOf(check: RecordableCheck, opts: { requireContentIdentifier?: boolean } = {}): ReplayRecord {
  if (!check.signingTime) {
    throw new MissingReplayAttributesError('the message has no signingTime signed attribute: it cannot be checked against the replay cache');
  }
  const identity = check.replayIdentity
    ?? (check.contentIdentifier ? { kind: 'contentIdentifier', value: check.contentIdentifier } as const : undefined);
  if (!identity) throw new MissingReplayAttributesError('the message has no contentIdentifier and no replay identity: it cannot be checked against the replay cache');
  if (identity.kind === 'signedAttributes' && opts.requireContentIdentifier) {
    throw new MissingReplayAttributesError('the message has no contentIdentifier signed attribute (RFC 2634 §2.7), which this receiver requires');
  }
  return {
    signerIssuerDer: check.signer.issuerDer,
    signerSerial: check.signer.serial,
    ...(identity.kind === 'contentIdentifier' ? { contentIdentifier: identity.value } : { derivedIdentity: identity.value }),
    signatureHash: check.signatureHash,
    signingTime: check.signingTime,
  };
}

/**
 * The last step of receiving a signed message: call it after verify() (or SignedDataVerifier.finish())
 * succeeded, and release the content only after it returns. Uses the same clock and window as the
 * freshness check, so that an entry outlives every replay freshness would let through.
 */
export function recordVerified(
  cache: ReplayCache,
  check: RecordableCheck,
  policy: { clock?: () => Date; maxAgeMs?: number; maxSkewMs?: number; requireContentIdentifier?: boolean } = {},
): void {
  const now = (policy.clock ?? ((): Date => new Date()))();
  const record = replayRecordOf(check, { requireContentIdentifier: policy.requireContentIdentifier ?? false });
  cache.checkAndRecord(record, { now, retentionMs: replayRetentionMs(policy) });
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** Blocks the thread for `ms`: the replay cache is synchronous (better-sqlite3), and so is its busy wait. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function cacheError(p: string, e: unknown): P7mError {
  if (e instanceof P7mError) return e;
  const code = (e as { code?: string })?.code ?? '';
  const reason = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' ? 'the file is corrupt or not a database'
    : isBusy(e) ? 'it stayed locked by another process'
    : code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code.startsWith('SQLITE_CANTOPEN') || code === 'ENOENT' || code === 'ENOTDIR' ? 'it cannot be opened'
    : (e as Error)?.message ?? String(e);
  return new ReplayCacheError(`replay cache ${p} unusable: ${reason}`, { cause: e });
}

/** DER IssuerAndSerialNumber, hashed: one fixed-size key per signer certificate. */
function signerKey(issuerDer: Uint8Array, serial: Uint8Array): Buffer {
  const len = (n: number): Buffer => {
    if (n < 0x80) return Buffer.of(n);
    const b: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
    return Buffer.of(0x80 | b.length, ...b);
  };
  const int = Buffer.concat([Buffer.of(0x02), len(serial.length), serial]);
  const body = Buffer.concat([issuerDer, int]);
  return createHash('sha256').update(Buffer.concat([Buffer.of(0x30), len(body.length), body])).digest();
}

export function openReplayCache(file: string, opts: { busyTimeoutMs?: number } = {}): ReplayCache {
  let db: BetterSqlite3.Database;
  try {
    // Private by default: the cache says who sent you what, and when.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600));
    // Loaded here, not at import: the native module costs startup time the CLI's other commands need not pay.
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    db = new Database(file, { fileMustExist: true, timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } catch (e) {
    throw cacheError(file, e);
  }
  // Setting up a new file while other processes do the same: SQLite returns SQLITE_BUSY at once, without
  // waiting the busy timeout, where waiting could deadlock (a connection holding a read lock that wants
  // to write, as the switch to WAL does). Each step is idempotent, so the whole set-up is tried again,
  // until the busy timeout has passed. (Seen once in CI: 8 processes opening a new cache together.)
  const deadline = Date.now() + (opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  for (;;) {
    try {
      // WAL: readers never block the writer; busy_timeout (above) makes concurrent writers queue, not fail.
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new ReplayCacheError(`replay cache ${file} unusable: cannot switch to WAL mode (${String(mode)})`);
      // FULL: a recorded message stays recorded across a power cut (NORMAL could lose the last commits).
      db.pragma('synchronous = FULL');
      initSchema(db, file);
      break;
    } catch (e) {
      if (isBusy(e) && Date.now() < deadline) { sleepSync(10 + Math.floor(Math.random() * 40)); continue; }
      db.close();
      throw cacheError(file, e);
    }
  }

  const selectMatch = db.prepare<[Buffer, Buffer, number, Buffer], { first_seen: number }>(
    'SELECT first_seen FROM seen WHERE (signer = ? AND content_id = ? AND id_kind = ?) OR sig_hash = ? ORDER BY first_seen LIMIT 1');
  const insert = db.prepare('INSERT INTO seen (signer, content_id, id_kind, sig_hash, signing_time, first_seen) VALUES (?, ?, ?, ?, ?, ?)');
  const prune = db.prepare('DELETE FROM seen WHERE first_seen < ? AND signing_time < ?');
  const getRetention = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'retention_ms'");
  const setRetention = db.prepare("INSERT INTO meta (key, value) VALUES ('retention_ms', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM seen');

  const txn = db.transaction((r: ReplayRecord, now: number, retentionMs: number): void => {
    // Keep entries for the longest window any caller of this cache has used: a process run with
    // --max-age 7d must not lose its entries to one run with the default 24h.
    const kept = Math.max(getRetention.get()?.value ?? 0, Math.min(retentionMs, Number.MAX_SAFE_INTEGER));
    setRetention.run(kept);
    const cutoff = now - kept;
    prune.run(cutoff, cutoff);
    const signer = signerKey(r.signerIssuerDer, r.signerSerial);
    const [kind, id] = r.contentIdentifier
      ? [ID_KIND.contentIdentifier, Buffer.from(r.contentIdentifier)]
      : [ID_KIND.signedAttributes, Buffer.from(r.derivedIdentity!)];
    const sig = Buffer.from(r.signatureHash);
    const hit = selectMatch.get(signer, id, kind, sig);
    if (hit) {
      const firstSeen = new Date(hit.first_seen);
      throw new ReplayedMessageError(`message already seen at ${firstSeen.toISOString()}`, firstSeen);
    }
    insert.run(signer, id, kind, sig, r.signingTime.getTime(), now);
  });

  let closed = false;
  return {
    path: file,
    checkAndRecord(record: ReplayRecord, o: ReplayCheckOptions): void {
      if (closed) throw new UsageError('replay cache used after close');
      const now = o.now.getTime();
      if (!Number.isFinite(now)) throw new UsageError('replay check: invalid time');
      if (!(o.retentionMs >= 0)) throw new UsageError('replay check: retention must be a non-negative number of milliseconds');
      if (!Number.isFinite(record.signingTime.getTime())) throw new UsageError('replay check: invalid signing time');
      if ((record.contentIdentifier === undefined) === (record.derivedIdentity === undefined)) {
        throw new UsageError('replay check: give exactly one of contentIdentifier and derivedIdentity');
      }
      try {
        txn.immediate(record, now, o.retentionMs);
      } catch (e) {
        throw cacheError(file, e);
      }
    },
    size(): number {
      try { return count.get()!.n; } catch (e) { throw cacheError(file, e); }
    },
    close(): void {
      if (!closed) { closed = true; db.close(); }
    },
  };
}

function initSchema(db: BetterSqlite3.Database, file: string): void {
  /** 'ready': ours and current; 'old': ours, an older schema to migrate; 'new': an empty file. */
  const check = (): 'ready' | 'old' | 'new' => {
    const app = Number(db.pragma('application_id', { simple: true }));
    const version = Number(db.pragma('user_version', { simple: true }));
    if (app === APPLICATION_ID) {
      if (version > SCHEMA_VERSION) throw new ReplayCacheError(`replay cache ${file} was written by a newer p7m (schema ${version})`);
      if (version < 1) throw new ReplayCacheError(`replay cache ${file} unusable: unknown schema ${version}`);
      return version === SCHEMA_VERSION ? 'ready' : 'old';
    }
    if (app !== 0) throw new ReplayCacheError(`replay cache ${file} unusable: it is a database of another application`);
    const tables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get()!.n;
    if (tables > 0) throw new ReplayCacheError(`replay cache ${file} unusable: it is a database of another application`);
    return 'new';
  };
  // One read transaction, so that application_id and the table count come from the same snapshot (another
  // process may be committing the schema between two autocommit reads).
  if (db.transaction(check).deferred() === 'ready') return;
  // Another process may be initialising or migrating the same file: do it under the write lock, then re-check.
  db.transaction(() => {
    const state = check();
    if (state === 'ready') return;
    if (state === 'new') {
      db.exec(SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    } else {
      db.exec(MIGRATE_1_TO_2);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
