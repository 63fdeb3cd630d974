/**
 * The replay cache (src/replay/cache.ts): detection, pruning, failure modes, and concurrency across real
 * processes (test/fixtures/signed/replay-worker.ts). End-to-end cases go through sign → verify → record.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePki, openssl, type Pki } from './fixtures/signed/pki.js';
import { malleateSignedData } from './helpers/malleate.js';
import { sign } from '../src/signed/sign.js';
import { verify } from '../src/signed/verify.js';
import {
  defaultReplayDbPath, openReplayCache, recordVerified, replayRecordOf, replayRetentionMs, type ReplayCache, type ReplayRecord,
} from '../src/replay/cache.js';
import { MissingReplayAttributesError, ReplayCacheError, ReplayedMessageError } from '../src/errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const RETENTION = replayRetentionMs(); // 24 h + 5 min

let pki: Pki;
let dir: string;
before(() => { pki = makePki(); dir = mkdtempSync(join(tmpdir(), 'p7m-replay-')); });
after(() => { pki?.cleanup(); if (dir) rmSync(dir, { recursive: true, force: true }); });

let n = 0;
const dbPath = (): string => join(dir, `c${n++}`, 'replay.sqlite3');

function record(over: Partial<ReplayRecord> = {}): ReplayRecord {
  return {
    signerIssuerDer: Uint8Array.of(0x30, 0x03, 0x31, 0x01, 0x00),
    signerSerial: Uint8Array.of(0x01, 0x02),
    contentIdentifier: randomBytes(16),
    signatureHash: randomBytes(32),
    signingTime: new Date(1_700_000_000_000),
    ...over,
  };
}
const at = (t: number) => ({ now: new Date(t), retentionMs: RETENTION });
const T0 = 1_700_000_000_000;

describe('replay cache: detection', () => {
  it('the same verified message twice → ReplayedMessageError naming firstSeen', async () => {
    const cache = openReplayCache(dbPath());
    try {
      const msg = await sign(new TextEncoder().encode('pay bob 10 euros'), { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
      const first = await verify(msg, { trust: [pki.ca.der] });
      const seenAt = new Date();
      cache.checkAndRecord(replayRecordOf(first), { now: seenAt, retentionMs: RETENTION });
      const again = await verify(msg, { trust: [pki.ca.der] }); // still authentic and fresh…
      assert.throws(() => cache.checkAndRecord(replayRecordOf(again), { now: new Date(seenAt.getTime() + MINUTE), retentionMs: RETENTION }),
        (e: unknown) => {
          assert.ok(e instanceof ReplayedMessageError);
          assert.equal(e.firstSeen.getTime(), seenAt.getTime());
          assert.match(e.message, new RegExp(seenAt.toISOString()));
          return true;
        });
    } finally { cache.close(); }
  });

  it('same signer and contentIdentifier with a different signature → replay', async () => {
    const cache = openReplayCache(dbPath());
    try {
      const id = randomBytes(16);
      const content = new TextEncoder().encode('same id');
      const a = await verify(await sign(content, { signerCert: pki.rsa.der, signerKey: pki.rsa.key, contentIdentifier: id }), { trust: [pki.ca.der] });
      const b = await verify(await sign(content, { signerCert: pki.rsa.der, signerKey: pki.rsa.key, contentIdentifier: id, pss: true }), { trust: [pki.ca.der] });
      assert.notDeepEqual(a.signatureHash, b.signatureHash);
      cache.checkAndRecord(replayRecordOf(a), at(Date.now()));
      assert.throws(() => cache.checkAndRecord(replayRecordOf(b), at(Date.now())), ReplayedMessageError);
      // another signer may use the same identifier
      const c = await verify(await sign(content, { signerCert: pki.ec384.der, signerKey: pki.ec384.key, contentIdentifier: id }), { trust: [pki.ca.der] });
      cache.checkAndRecord(replayRecordOf(c), at(Date.now()));
    } finally { cache.close(); }
  });

  it('same signature value under another identity → replay', () => {
    const cache = openReplayCache(dbPath());
    try {
      const r = record();
      cache.checkAndRecord(r, at(T0));
      assert.throws(() => cache.checkAndRecord({ ...r, signerSerial: Uint8Array.of(9), contentIdentifier: randomBytes(16) }, at(T0 + 1)), ReplayedMessageError);
    } finally { cache.close(); }
  });

  it('distinct messages pass, and records survive reopening', () => {
    const p = dbPath();
    const r1 = record();
    let cache = openReplayCache(p);
    cache.checkAndRecord(r1, at(T0));
    cache.checkAndRecord(record(), at(T0));
    assert.equal(cache.size(), 2);
    cache.close();
    cache = openReplayCache(p);
    try {
      assert.throws(() => cache.checkAndRecord(r1, at(T0 + HOUR)), ReplayedMessageError);
    } finally { cache.close(); }
  });

  it('recordVerified: verify, then record with the same clock and window', async () => {
    const cache = openReplayCache(dbPath());
    try {
      const t = Date.now();
      const policy = { clock: (): Date => new Date(t), maxAgeMs: HOUR };
      const msg = await sign(new TextEncoder().encode('once'), { signerCert: pki.ec256.der, signerKey: pki.ec256.key, chain: [pki.inter.der] });
      recordVerified(cache, await verify(msg, { trust: [pki.ca.der], ...policy }), policy);
      await assert.rejects(async () => recordVerified(cache, await verify(msg, { trust: [pki.ca.der], ...policy }), policy), ReplayedMessageError);
    } finally { cache.close(); }
  });

  it('a message without signingTime has no record; without a contentIdentifier it is named by its signed attributes', async () => {
    const msg = await sign(new TextEncoder().encode('x'), { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const r = await verify(msg, { trust: [pki.ca.der] });
    assert.throws(() => replayRecordOf({ ...r, signingTime: undefined }), /no signingTime/);
    assert.deepEqual(replayRecordOf(r).contentIdentifier, r.contentIdentifier);
    // a result from before replayIdentity existed: its contentIdentifier, else nothing to name it by
    const { replayIdentity: _, ...old } = r;
    assert.deepEqual(replayRecordOf(old).contentIdentifier, r.contentIdentifier);
    assert.throws(() => replayRecordOf({ ...old, contentIdentifier: undefined }), MissingReplayAttributesError);
    const derived = { ...r, contentIdentifier: undefined, replayIdentity: { kind: 'signedAttributes' as const, value: randomBytes(32) } };
    assert.deepEqual(replayRecordOf(derived).derivedIdentity, derived.replayIdentity.value);
    assert.equal(replayRecordOf(derived).contentIdentifier, undefined);
    assert.throws(() => replayRecordOf(derived, { requireContentIdentifier: true }), MissingReplayAttributesError);
  });
});

describe('replay cache: messages without a contentIdentifier (openssl cms -sign)', () => {
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  function opensslSign(content: Uint8Array, e = pki.rsa, extra: string[] = []): Uint8Array {
    const f = join(pki.dir, `in-${randomBytes(4).toString('hex')}.txt`);
    writeFileSync(f, content);
    return new Uint8Array(openssl(['cms', '-sign', '-binary', '-nodetach', '-in', f, '-signer', e.certPath, '-inkey', e.keyPath, '-outform', 'DER', ...extra]));
  }

  it('verify → recordVerified: accepted once, then ReplayedMessageError; a different message passes', async () => {
    const cache = openReplayCache(dbPath());
    try {
      const msg = opensslSign(text('pay bob 10 euros'));
      const r = await verify(msg, { trust: [pki.ca.der] });
      assert.equal(r.replayIdentity.kind, 'signedAttributes');
      recordVerified(cache, r);
      assert.throws(() => recordVerified(cache, r), ReplayedMessageError);
      recordVerified(cache, await verify(opensslSign(text('pay carol 20 euros')), { trust: [pki.ca.der] }));
      assert.equal(cache.size(), 2);
      // requireContentIdentifier refuses before the cache is touched
      const other = await verify(opensslSign(text('pay dave 30 euros')), { trust: [pki.ca.der] });
      assert.throws(() => recordVerified(cache, other, { requireContentIdentifier: true }), MissingReplayAttributesError);
      assert.equal(cache.size(), 2);
    } finally { cache.close(); }
  });

  it('an ECDSA signature malleated (s → n − s): a new signature value, the same signed attributes → replay', async () => {
    const cache = openReplayCache(dbPath());
    try {
      const msg = opensslSign(text('once only'), pki.ec384);
      const a = await verify(msg, { trust: [pki.ca.der] });
      const b = await verify(malleateSignedData(msg, 48), { trust: [pki.ca.der] });
      assert.notDeepEqual(a.signatureHash, b.signatureHash);
      recordVerified(cache, b);
      assert.throws(() => recordVerified(cache, a), ReplayedMessageError);
    } finally { cache.close(); }
  });

  it('a chosen contentIdentifier never matches a derived identity, even with the same bytes', () => {
    const cache = openReplayCache(dbPath());
    try {
      const bytes = randomBytes(32);
      cache.checkAndRecord(record({ contentIdentifier: undefined, derivedIdentity: bytes }), at(T0));
      cache.checkAndRecord(record({ contentIdentifier: bytes }), at(T0));
      assert.throws(() => cache.checkAndRecord(record({ contentIdentifier: undefined, derivedIdentity: bytes }), at(T0)), ReplayedMessageError);
      assert.throws(() => cache.checkAndRecord(record({ contentIdentifier: bytes }), at(T0)), ReplayedMessageError);
      assert.equal(cache.size(), 2);
      // a record names its message exactly once
      assert.throws(() => cache.checkAndRecord(record({ derivedIdentity: bytes }), at(T0)), /exactly one/);
      assert.throws(() => cache.checkAndRecord(record({ contentIdentifier: undefined }), at(T0)), /exactly one/);
    } finally { cache.close(); }
  });
});

/**
 * A version 1 cache file (p7m before derived identities) holding what `fill` records: written by
 * today's code, then given the version 1 schema. Version 2 only added the id_kind column, and every
 * version 1 row is a contentIdentifier row, so that is byte for byte what version 1 would hold.
 */
function versionOneFile(p: string, fill: (c: ReplayCache) => void = () => undefined): void {
  const c = openReplayCache(p);
  try { fill(c); } finally { c.close(); }
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(p);
  try {
    db.exec('ALTER TABLE seen DROP COLUMN id_kind');
    db.pragma('user_version = 1');
  } finally { db.close(); }
}

describe('replay cache: a version 1 file (before derived identities)', () => {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const schemaOf = (p: string): { version: number; columns: string[] } => {
    const db = new Database(p, { readonly: true });
    try {
      return {
        version: Number(db.pragma('user_version', { simple: true })),
        columns: (db.prepare('SELECT name FROM pragma_table_info(\'seen\')').all() as Array<{ name: string }>).map((c) => c.name),
      };
    } finally { db.close(); }
  };

  it('is migrated in place and still refuses what it recorded', async () => {
    const p = dbPath();
    const msg = await sign(new TextEncoder().encode('recorded by v1'), { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const first = await verify(msg, { trust: [pki.ca.der] });
    const r1 = record();
    versionOneFile(p, (old) => {
      recordVerified(old, first);
      old.checkAndRecord(r1, at(Date.now()));
    });
    assert.deepEqual(schemaOf(p), { version: 1, columns: ['signer', 'content_id', 'sig_hash', 'signing_time', 'first_seen'] });

    const cache = openReplayCache(p);
    try {
      assert.equal(cache.size(), 2);
      assert.throws(() => recordVerified(cache, first), ReplayedMessageError);
      assert.throws(() => cache.checkAndRecord(r1, at(Date.now())), ReplayedMessageError);
      // its rows are contentIdentifiers: the same bytes as a derived identity are another message
      cache.checkAndRecord(record({ signerIssuerDer: r1.signerIssuerDer, signerSerial: r1.signerSerial, contentIdentifier: undefined, derivedIdentity: r1.contentIdentifier }), at(Date.now()));
      assert.equal(cache.size(), 3);
    } finally { cache.close(); }
    assert.deepEqual(schemaOf(p), { version: 2, columns: ['signer', 'content_id', 'sig_hash', 'signing_time', 'first_seen', 'id_kind'] });
    // opening it again is no second migration
    openReplayCache(p).close();
    assert.deepEqual(schemaOf(p).version, 2);
  });
});

describe('replay cache: pruning', () => {
  it('entries live maxAge + maxSkew after first seen, then go', () => {
    const cache = openReplayCache(dbPath());
    try {
      const r = record({ signingTime: new Date(T0) });
      cache.checkAndRecord(r, at(T0));
      // within the window the entry is there; a replay then would still pass freshness, so it must be caught
      assert.throws(() => cache.checkAndRecord(r, at(T0 + RETENTION)), ReplayedMessageError);
      // after it, the entry is pruned: the message is stale by then and verify() refuses it before the cache
      cache.checkAndRecord(record(), at(T0 + RETENTION + 1));
      assert.equal(cache.size(), 1);
    } finally { cache.close(); }
  });

  it('the table stays bounded by rate × window', () => {
    const cache = openReplayCache(dbPath());
    try {
      const window = HOUR + 5 * MINUTE;
      // one message every 5 minutes for a day, with a 1 h max-age: at most 65 / 5 + 1 = 14 entries at any time
      const every = 5 * MINUTE;
      let max = 0;
      for (let t = 0; t < 24 * HOUR; t += every) {
        cache.checkAndRecord(record({ signingTime: new Date(T0 + t) }), { now: new Date(T0 + t), retentionMs: window });
        max = Math.max(max, cache.size());
      }
      assert.equal(max, Math.floor(window / every) + 1);
      assert.equal(cache.size(), max);
    } finally { cache.close(); }
  });

  it('keeps entries for the longest retention any caller used', () => {
    const cache = openReplayCache(dbPath());
    try {
      const r = record();
      cache.checkAndRecord(r, { now: new Date(T0), retentionMs: 7 * 24 * HOUR });
      // a default-window caller two days later must not prune the 7-day caller's entry
      cache.checkAndRecord(record(), { now: new Date(T0 + 48 * HOUR), retentionMs: RETENTION });
      assert.throws(() => cache.checkAndRecord(r, { now: new Date(T0 + 72 * HOUR), retentionMs: 7 * 24 * HOUR }), ReplayedMessageError);
    } finally { cache.close(); }
  });
});

describe('replay cache: failures are loud', () => {
  it('a corrupt file → ReplayCacheError', () => {
    const p = dbPath();
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, randomBytes(8192));
    assert.throws(() => openReplayCache(p), ReplayCacheError);
  });

  it('a damaged cache file → ReplayCacheError, not a pass', () => {
    const p = dbPath();
    const cache = openReplayCache(p);
    for (let i = 0; i < 200; i++) cache.checkAndRecord(record(), at(T0));
    cache.close(); // checkpoints the WAL into the main file
    const bytes = readFileSync(p);
    bytes.fill(0xa5, 100, bytes.length); // keep the 100-byte header, destroy every page
    writeFileSync(p, bytes);
    assert.throws(() => {
      const c = openReplayCache(p);
      try { c.checkAndRecord(record(), at(T0)); } finally { c.close(); }
    }, ReplayCacheError);
  });

  it('another application\'s database → ReplayCacheError', () => {
    const p = dbPath();
    mkdirSync(join(p, '..'), { recursive: true });
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(p);
    db.exec('CREATE TABLE accounts (id INTEGER)');
    db.close();
    assert.throws(() => openReplayCache(p), /another application/);
  });

  it('a directory where the file should be, or a file where the directory should be → ReplayCacheError', () => {
    const p = dbPath();
    mkdirSync(p, { recursive: true });
    assert.throws(() => openReplayCache(p), ReplayCacheError);
    const f = join(dir, `file${n++}`);
    writeFileSync(f, '');
    assert.throws(() => openReplayCache(join(f, 'replay.sqlite3')), ReplayCacheError);
  });
});

describe('replay cache: files', () => {
  it('creates its directory 0700 and its file 0600, in WAL mode', () => {
    const p = join(dir, `perm${n++}`, 'deeper', 'replay.sqlite3');
    openReplayCache(p).close();
    if (process.platform !== 'win32') {
      assert.equal(statSync(join(p, '..')).mode & 0o777, 0o700);
      assert.equal(statSync(join(p, '..', '..')).mode & 0o777, 0o700);
      assert.equal(statSync(p).mode & 0o777, 0o600);
    }
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(p, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('defaultReplayDbPath', () => {
    assert.equal(defaultReplayDbPath({ XDG_STATE_HOME: '/x/state' }, 'linux', '/home/u'), '/x/state/p7m/replay.sqlite3');
    assert.equal(defaultReplayDbPath({ XDG_STATE_HOME: 'relative' }, 'linux', '/home/u'), '/home/u/.local/state/p7m/replay.sqlite3');
    assert.equal(defaultReplayDbPath({}, 'linux', '/home/u'), '/home/u/.local/state/p7m/replay.sqlite3');
    assert.equal(defaultReplayDbPath({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/p7m/replay.sqlite3');
    assert.match(defaultReplayDbPath({ LOCALAPPDATA: '/c/AppData/Local' }, 'win32', '/c'), /AppData.Local.p7m.replay\.sqlite3$/);
  });

  it('replayRetentionMs is maxAge + maxSkew', () => {
    assert.equal(replayRetentionMs(), 24 * HOUR + 5 * MINUTE);
    assert.equal(replayRetentionMs({ maxAgeMs: HOUR, maxSkewMs: MINUTE }), HOUR + MINUTE);
    assert.equal(replayRetentionMs({ maxAgeMs: Infinity }), Number.MAX_SAFE_INTEGER);
  });
});

describe('replay cache: concurrency', () => {
  const WORKER = fileURLToPath(new URL('./fixtures/signed/replay-worker.ts', import.meta.url));

  async function race(p: string, when: 'open-before' | 'open-after', count: number): Promise<Array<{ ok: boolean; code?: string; firstSeen?: number }>> {
    const sync = mkdtempSync(join(dir, 'sync-'));
    const go = join(sync, 'go');
    const r = record();
    const json = JSON.stringify({
      issuer: Buffer.from(r.signerIssuerDer).toString('hex'), serial: Buffer.from(r.signerSerial).toString('hex'),
      id: Buffer.from(r.contentIdentifier!).toString('hex'), sig: Buffer.from(r.signatureHash).toString('hex'),
      signingTime: T0, now: T0 + 1000,
    });
    const runs = Array.from({ length: count }, (_, i) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER, p, join(sync, `ready${i}`), go, when, json], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker ${i} exited ${code}: ${err}`))));
    }));
    // release all workers at once, when every one of them is up
    const deadline = Date.now() + 60_000;
    while (!Array.from({ length: count }, (_, i) => existsSync(join(sync, `ready${i}`))).every(Boolean)) {
      if (Date.now() > deadline) throw new Error('workers did not start');
      await new Promise((res) => setTimeout(res, 10));
    }
    writeFileSync(go, '');
    return (await Promise.all(runs)).map((o) => JSON.parse(o.trim()));
  }

  it('8 processes opening a version 1 file at once: one migrates it, 1 success, 7 replays', async () => {
    const p = dbPath();
    versionOneFile(p);
    const results = await race(p, 'open-after', 8);
    assert.equal(results.filter((x) => x.ok).length, 1, JSON.stringify(results));
    assert.equal(results.filter((x) => x.code === 'ERR_REPLAYED_MESSAGE').length, 7, JSON.stringify(results));
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(p, { readonly: true });
    try { assert.equal(db.pragma('user_version', { simple: true }), 2); } finally { db.close(); }
  });

  for (const when of ['open-after', 'open-before'] as const) {
    it(`8 processes, one record, the same moment (${when === 'open-after' ? 'new database, opened together' : 'cache opened beforehand'}) → 1 success, 7 replays`, async () => {
      const p = dbPath();
      if (when === 'open-before') openReplayCache(p).close();
      const results = await race(p, when, 8);
      assert.equal(results.filter((x) => x.ok).length, 1, JSON.stringify(results));
      const replays = results.filter((x) => !x.ok);
      assert.equal(replays.length, 7, JSON.stringify(results));
      for (const x of replays) {
        assert.equal(x.code, 'ERR_REPLAYED_MESSAGE', JSON.stringify(x));
        assert.equal(x.firstSeen, T0 + 1000);
      }
      const cache: ReplayCache = openReplayCache(p);
      try { assert.equal(cache.size(), 1); } finally { cache.close(); }
    });
  }
});
