// The interop matrix: every case × every peer × both directions, with p7m as the fixed side.
//
// Used by scripts/interop.ts (prints the table, writes docs/interop.md) and by
// test/interop/interop.test.ts (one node:test subtest per cell). `fixed: 'openssl'` swaps p7m for
// openssl, which proves the peer drivers against each other without p7m.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildCases, describeCase, DIMENSION_NAMES, DIMENSIONS, type Case } from './cases.js';
import { describeWritten, inspectFile, mismatches } from './check.js';
import { MissingTool, type Limit, type Party, type SigningParty } from './party.js';
import { buildSignedCases, describeSignedCase, SIGNED_DIMENSION_NAMES, SIGNED_DIMENSIONS, signerKey, validSigned, type SignedCase } from './signed-cases.js';
import { describeSignedWritten, inspectSigned, signedMismatches } from './signed-check.js';

/** The writers that put an RFC 2634 contentIdentifier in a replay row's signed attributes (p7m always, BC when asked). */
const WRITES_CONTENT_ID = new Set(['p7m', 'bc']);
import { ensurePki, type Identity, type Pki } from './pki.js';
import { ROOT, WORK } from './root.js';
import { Trace } from './run.js';
import { BcPeer } from './peers/bc.js';
import { GpgsmPeer } from './peers/gpgsm.js';
import { NssPeer } from './peers/nss.js';
import { OpensslPeer } from './peers/openssl.js';
import { P7mParty } from './peers/p7m.js';

export { ROOT, WORK };

export type Status = 'PASS' | 'FAIL' | 'n/a' | 'skip';
/** 'to-fixed': the peer writes, the fixed side (p7m) reads; 'from-fixed': the other way. */
export type Direction = 'to-fixed' | 'from-fixed';

export interface Cell {
  readonly c: Case;
  readonly peer: Party;
  readonly direction: Direction;
  readonly name: string;
}

/** A cell of the "Signed messages" part: a signed row × a peer × a direction. */
export interface SignedCell {
  readonly c: SignedCase;
  readonly peer: SigningParty;
  readonly direction: Direction;
  readonly name: string;
  readonly signed: true;
}

export type AnyCell = Cell | SignedCell;

export function isSigned(cell: AnyCell): cell is SignedCell {
  return 'signed' in cell;
}

/** Which recorded limits an n/a cell ran into, with the matching words. */
export interface LimitHit {
  /** e.g. 'nss writes', 'gpgsm reads'. */
  readonly who: string;
  readonly why: string;
  /** The part of the failure that matched the limit: the tool's words, or the harness's "wrote X (asked Y)". */
  readonly said: string;
}

export interface CellResult {
  readonly status: Status;
  readonly detail: string;
  readonly hits?: readonly LimitHit[];
  readonly trace: string;
  readonly ms: number;
  /** Where a failing cell's files were kept. */
  readonly kept?: string;
}

export interface PartyState {
  readonly party: Party;
  readonly version?: string;
  /** Why it cannot run: not installed (skip outside CI, FAIL under CI). */
  readonly missing?: string;
  /** Installed but its set-up failed (always FAIL). */
  readonly broken?: string;
}

export interface MatrixOptions {
  readonly fixed?: 'p7m' | 'openssl';
  /** Only these peers (ids). */
  readonly peers?: readonly string[];
  /** Only cases whose id is listed (c01… encryption rows, s01… signed rows). */
  readonly cases?: readonly string[];
  /** Under CI a missing tool is a failure, elsewhere a loud skip. */
  readonly ci?: boolean;
}

class Semaphore {
  private queue: (() => void)[] = [];
  constructor(private free: number) {}
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.queue.push(r));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.free++;
    }
  }
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function arrow(direction: Direction, peer: string, fixed: string): string {
  return direction === 'to-fixed' ? `${peer}→${fixed}` : `${fixed}→${peer}`;
}

export function allPeers(): SigningParty[] {
  return [new OpensslPeer(), new GpgsmPeer(), new NssPeer(), new BcPeer(WORK)];
}

type Outcome = [Status, string, LimitHit[]?];

/**
 * Failing cells keep their files (5 MB messages among them): keep the last few runs only. Copies
 * of dist/ left by an interrupted run go after a day (a running matrix's copy is younger).
 */
async function pruneWork(keepFailures: number): Promise<void> {
  const dir = join(WORK, 'failures');
  const runs = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keepFailures))) {
    await rm(join(dir, old), { recursive: true, force: true });
  }
  for (const name of await readdir(WORK).catch(() => [] as string[])) {
    if (!name.startsWith('p7m-build-')) continue;
    const st = await stat(join(WORK, name)).catch(() => null);
    if (st && Date.now() - st.mtimeMs > 24 * 3600_000) await rm(join(WORK, name), { recursive: true, force: true });
  }
}

/**
 * A limited cell passes as n/a only if the step failed and the failure matches a recorded limit;
 * a step that now succeeds, or fails some other way, is a FAIL that says so.
 */
function judgeLimited(who: string, limits: readonly Limit[], error: string | null, written: string): Outcome {
  return judgeLimitedBy([{ who, limits }], error, written);
}

/** The same judgement over the limits of several sides (a signed cell: the writer's and the reader's). */
function judgeLimitedBy(groups: readonly { who: string; limits: readonly Limit[] }[], error: string | null, written: string): Outcome {
  const active = groups.filter((g) => g.limits.length > 0);
  const who = active.map((g) => g.who).join(' / ');
  const whys = active.flatMap((g) => g.limits.map((l) => l.why)).join('; ');
  if (error === null) return ['FAIL', `${who} this now (${written || 'ok'}), although its limits say: ${whys}; update its table`];
  const segments = error.split(/ \| |; /);
  const harness = /\(asked /.test(error);
  const hits = active.flatMap((g) =>
    g.limits
      .filter((l) => l.expect.test(error))
      .map((l) => {
        const own = segments.filter((s) => l.expect.test(s)).join('; ');
        return { who: g.who, why: l.why, said: harness && own ? own : error };
      }),
  );
  if (hits.length === 0) {
    const expected = active.flatMap((g) => g.limits.map((l) => l.expect)).join(' or ');
    return ['FAIL', `${who}: expected a failure matching ${expected} (${whys}), got: ${error}`];
  }
  return ['n/a', `${hits.map((h) => `${h.who}: ${h.why}`).join('; ')}. Said: ${error}`, hits];
}

/** A file name for a cell, unique per case, peer and direction. */
function slug(cell: AnyCell): string {
  return `${cell.c.id}-${cell.peer.id}-${cell.direction}`;
}

/** Message order, which is also DER SET OF order (see pki.ts). */
export function recipientsFor(pki: Pki, c: Case): Identity[] {
  const t = pki.targets[c.bits];
  switch (c.layout) {
    case 'single':
      return [t];
    case 'first':
      return [t, pki.high[0], pki.high[1]];
    case 'middle':
      return [pki.low[0], t, pki.high[0]];
    case 'last':
      return [pki.low[0], pki.low[1], t];
  }
}

export class Matrix {
  readonly cells: Cell[] = [];
  readonly signedCells: SignedCell[] = [];
  readonly states = new Map<string, PartyState>();
  private readonly sems = new Map<string, Semaphore>();
  private readonly runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  private plain = new Map<number, { path: string; sha256: string }>();
  /** Plaintexts of the signed rows: by size, and whether it is a MIME entity (S/MIME rows). */
  private signedPlain = new Map<string, { path: string; sha256: string }>();
  private closed = false;

  private constructor(
    readonly fixed: SigningParty,
    readonly peers: readonly SigningParty[],
    readonly cases: readonly Case[],
    readonly signedCases: readonly SignedCase[],
    readonly ci: boolean,
    private readonly pki: Pki,
    private readonly runDir: string,
  ) {
    for (const c of cases) {
      for (const peer of peers) {
        for (const direction of ['to-fixed', 'from-fixed'] as const) {
          this.cells.push({ c, peer, direction, name: `${c.id} ${describeCase(c)} | ${arrow(direction, peer.id, fixed.id)}` });
        }
      }
    }
    for (const c of signedCases) {
      for (const peer of peers) {
        for (const direction of ['to-fixed', 'from-fixed'] as const) {
          const name = `${c.id} ${describeSignedCase(c)} | ${arrow(direction, peer.id, fixed.id)}`;
          this.signedCells.push({ c, peer, direction, name, signed: true });
        }
      }
    }
    for (const p of [fixed, ...peers]) this.sems.set(p.id, new Semaphore(p.parallel));
  }

  static async open(opts: MatrixOptions = {}): Promise<Matrix> {
    const fixed = opts.fixed === 'openssl' ? new OpensslPeer() : new P7mParty(ROOT);
    const peers = allPeers().filter((p) => !opts.peers || opts.peers.includes(p.id));
    const cases = buildCases().filter((c) => !opts.cases || opts.cases.includes(c.id));
    const signedCases = buildSignedCases().filter((c) => !opts.cases || opts.cases.includes(c.id));
    // PKI first: openssl makes it, and it is cached across runs.
    const pki = await ensurePki(WORK);
    await pruneWork(5);
    // Short path: gpg-agent's socket lives in GNUPGHOME when /run/user/<uid> does not exist.
    const runDir = await mkdtemp(join(tmpdir(), 'p7m-interop-'));
    const m = new Matrix(fixed, peers, cases, signedCases, opts.ci ?? process.env.CI === 'true', pki, runDir);
    try {
      for (const p of [fixed, ...peers]) {
        let version: string | undefined;
        try {
          version = await p.detect();
          await p.start(pki, runDir);
          m.states.set(p.id, { party: p, version });
        } catch (e) {
          if (e instanceof MissingTool) m.states.set(p.id, { party: p, missing: e.message });
          else m.states.set(p.id, { party: p, version, broken: (e as Error).message });
        }
      }
      for (const size of new Set(cases.map((c) => c.size))) {
        const path = join(runDir, `plain-${size}.bin`);
        const bytes = randomBytes(size);
        await writeFile(path, bytes);
        m.plain.set(size, { path, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
      for (const c of signedCases) {
        const key = signedPlainKey(c);
        if (m.signedPlain.has(key)) continue;
        const path = join(runDir, `signed-plain-${key}.bin`);
        const bytes = signedContent(c);
        await writeFile(path, bytes);
        m.signedPlain.set(key, { path, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
    } catch (e) {
      await m.close();
      throw e;
    }
    return m;
  }

  /** The cell's expected outcome from the limit tables alone (no tool is run). */
  expected(cell: AnyCell): 'PASS' | 'n/a' {
    if (isSigned(cell)) {
      const [writer, reader] = cell.direction === 'to-fixed' ? [cell.peer, this.fixed] : [this.fixed, cell.peer];
      return writer.signWriteLimits(cell.c).length || reader.signReadLimits(cell.c, writer.id).length ? 'n/a' : 'PASS';
    }
    const [writer, reader] = cell.direction === 'to-fixed' ? [cell.peer, this.fixed] : [this.fixed, cell.peer];
    return writer.writeLimits(cell.c).length || reader.readLimits(cell.c).length ? 'n/a' : 'PASS';
  }

  /** Every cell, encryption rows first. */
  get allCells(): AnyCell[] {
    return [...this.cells, ...this.signedCells];
  }

  async runCell(cell: AnyCell): Promise<CellResult> {
    const started = Date.now();
    const trace = new Trace();
    const done = (status: Status, detail: string, kept?: string, hits?: LimitHit[]): CellResult => ({
      status,
      detail,
      hits,
      trace: trace.toString(),
      ms: Date.now() - started,
      kept,
    });
    for (const p of [this.fixed, cell.peer]) {
      const s = this.states.get(p.id)!;
      if (s.missing) {
        const msg = `${p.title} is missing (${s.missing}); install: ${p.install}`;
        return done(this.ci ? 'FAIL' : 'skip', msg);
      }
      if (s.broken) return done('FAIL', `${p.title} could not be set up: ${s.broken}`);
    }
    const scratch = join(this.runDir, 'cells', slug(cell));
    await mkdir(scratch, { recursive: true });
    const harnessError = (e: Error): Outcome => ['FAIL', `harness error: ${e.stack ?? e.message}`];
    let result: Outcome;
    let plain: { path: string; sha256: string };
    if (isSigned(cell)) {
      const [writer, reader] = cell.direction === 'to-fixed' ? [cell.peer, this.fixed] : [this.fixed, cell.peer];
      plain = this.signedPlain.get(signedPlainKey(cell.c))!;
      result = await this.executeSigned(cell, writer, reader, scratch, trace).catch(harnessError);
    } else {
      const [writer, reader] = cell.direction === 'to-fixed' ? [cell.peer, this.fixed] : [this.fixed, cell.peer];
      plain = this.plain.get(cell.c.size)!;
      result = await this.execute(cell, writer, reader, scratch, trace).catch(harnessError);
    }
    let kept: string | undefined;
    if (result[0] === 'FAIL') {
      kept = join(WORK, 'failures', this.runId, slug(cell));
      await mkdir(dirname(kept), { recursive: true });
      await cp(scratch, kept, { recursive: true });
      await writeFile(
        join(kept, 'README.txt'),
        `${cell.name}\n\ncase: ${JSON.stringify(cell.c)}\nplaintext: ${plain.sha256} (sha256, ${cell.c.size} bytes)\n\n${result[1]}\n\n${trace.toString()}\n`,
      );
    }
    await rm(scratch, { recursive: true, force: true });
    return done(result[0], result[1], kept, result[2]);
  }

  private async execute(cell: Cell, writer: Party, reader: Party, scratch: string, trace: Trace): Promise<Outcome> {
    const { c } = cell;
    const plain = this.plain.get(c.size)!;
    const recipients = recipientsFor(this.pki, c);
    const identity = this.pki.targets[c.bits];
    const ext = c.form === 'der' ? 'p7m' : c.form === 'pem' ? 'pem' : 'eml';
    const msg = join(scratch, `message.${ext}`);
    const out = join(scratch, 'decrypted.bin');

    // 1. The writer encrypts; then our own reader checks it wrote what was asked.
    let writeError: string | null = null;
    let written = '';
    try {
      await this.sems.get(writer.id)!.use(() =>
        writer.encrypt({ c, plain: plain.path, recipients, out: msg, scratch, trace }),
      );
      const w = await inspectFile(msg);
      written = describeWritten(w);
      const bad = mismatches(w, c, recipients);
      if (bad.length) writeError = `${writer.id} ${bad.join('; ')}`;
    } catch (e) {
      writeError = (e as Error).message;
    }
    const wl = writer.writeLimits(c);
    if (wl.length) return judgeLimited(`${writer.id} writes`, wl, writeError, written);
    if (writeError !== null) return ['FAIL', `${writer.id} encrypt: ${writeError}`];

    // 2. The reader decrypts and must give back the plaintext, byte for byte.
    let readError: string | null = null;
    let remark = '';
    try {
      remark = (await this.sems.get(reader.id)!.use(() =>
        reader.decrypt({ c, input: msg, identity, out, scratch, trace }),
      )) ?? '';
      if (!existsSync(out)) readError = `${reader.id} exited 0 but wrote no output`;
      else if ((await sha256File(out)) !== plain.sha256) readError = `${reader.id} decrypted to different bytes`;
    } catch (e) {
      readError = (e as Error).message;
    }
    const rl = reader.readLimits(c);
    if (rl.length) return judgeLimited(`${reader.id} reads`, rl, readError, written);
    if (readError !== null) return ['FAIL', `${reader.id} decrypt of ${writer.id}'s ${written}: ${readError}`];
    return ['PASS', remark ? `${written} (${remark})` : written];
  }

  /**
   * A signed cell: the writer signs (and envelopes), our reader checks what it wrote, the reader
   * verifies (and decrypts) and must give back the content byte for byte (an opaque signature; a
   * detached one is given the content). Where a side has limits, the whole chain runs as far as it
   * gets and its failures, joined, must match one of them: a peer that cannot write a shape (PSS,
   * S/MIME) writes what it can all the same, and the limit names what it wrote or how the reader
   * refused it.
   */
  private async executeSigned(cell: SignedCell, writer: SigningParty, reader: SigningParty, scratch: string, trace: Trace): Promise<Outcome> {
    const { c } = cell;
    const plain = this.signedPlain.get(signedPlainKey(c))!;
    const signer = this.pki.signers[signerKey(c.sig)];
    const recipient = this.pki.targets[2048];
    const caCert = this.pki.caCert;
    const ext = c.form === 'der' ? 'p7m' : c.form === 'pem' ? 'pem' : 'eml';
    const msg = join(scratch, `message.${ext}`);
    const out = join(scratch, 'content.bin');

    let writeError: string | null = null;
    let mismatch: string | null = null;
    let written = '';
    try {
      await this.sems.get(writer.id)!.use(() => writer.sign({ c, plain: plain.path, signer, caCert, recipient, out: msg, scratch, trace }));
    } catch (e) {
      writeError = (e as Error).message;
    }
    if (writeError === null) {
      try {
        const w = await inspectSigned(msg, recipient, scratch, trace);
        written = describeSignedWritten(w);
        const bad = signedMismatches(w, c, WRITES_CONTENT_ID.has(writer.id));
        if (bad.length) mismatch = `${writer.id} ${bad.join('; ')}`;
      } catch (e) {
        mismatch = `${writer.id} ${(e as Error).message}`;
      }
    }

    let readError: string | null = null;
    let remark = '';
    if (writeError === null) {
      try {
        remark = (await this.sems.get(reader.id)!.use(() =>
          reader.verify({ c, input: msg, plain: plain.path, caCert, recipient, out, scratch, trace }),
        )) ?? '';
        // A detached signature's reader was handed the content: nothing of its own to compare.
        if (c.placement === 'opaque') {
          if (!existsSync(out)) readError = `${reader.id} exited 0 but wrote no content`;
          else if ((await sha256File(out)) !== plain.sha256) readError = `${reader.id} gave back different content`;
        }
      } catch (e) {
        readError = (e as Error).message;
      }
    }

    const groups = [
      { who: `${writer.id} writes`, limits: writer.signWriteLimits(c) },
      { who: `${reader.id} reads`, limits: reader.signReadLimits(c, writer.id) },
    ];
    if (groups.some((g) => g.limits.length)) {
      // After a writer's gap the reader's outcome is told either way: it refused, or it read the message anyway.
      const then = readError !== null ? `then ${reader.id}: ${readError}` : mismatch !== null ? `then ${reader.id} read it anyway` : null;
      const parts = [writeError ?? mismatch, then].filter((x) => x !== null);
      return judgeLimitedBy(groups, parts.length ? parts.join(' | ') : null, written);
    }
    if (writeError !== null) return ['FAIL', `${writer.id} sign: ${writeError}`];
    if (mismatch !== null) return ['FAIL', `${mismatch}${readError !== null ? ` (and ${reader.id}: ${readError})` : ''}`];
    if (readError !== null) return ['FAIL', `${reader.id} verify of ${writer.id}'s ${written}: ${readError}`];
    return ['PASS', remark ? `${written} (${remark})` : written];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of [this.fixed, ...this.peers]) await p.stop().catch(() => null);
    await rm(this.runDir, { recursive: true, force: true });
  }

  /** Runs every cell, `concurrency` at a time (per-party limits apply inside). */
  async runAll(concurrency: number, onResult?: (cell: AnyCell, r: CellResult) => void): Promise<Map<AnyCell, CellResult>> {
    const results = new Map<AnyCell, CellResult>();
    // Big messages first, so the slowest cells do not end up alone at the tail.
    const queue = [...this.allCells].sort((a, b) => b.c.size - a.c.size);
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let cell = queue.shift(); cell; cell = queue.shift()) {
          const r = await this.runCell(cell);
          results.set(cell, r);
          onResult?.(cell, r);
        }
      }),
    );
    return results;
  }
}

/** The signed rows' plaintext: random bytes, or for S/MIME rows a canonical MIME entity. */
function signedPlainKey(c: SignedCase): string {
  return `${c.size}-${c.form === 'smime' ? 'mime' : 'bin'}`;
}

/**
 * S/MIME rows sign a MIME entity with CRLF line ends (RFC 8551 §3.1.1), since a clear-signed
 * multipart/signed message carries the signed bytes as a MIME body part; the size is its body's.
 */
function signedContent(c: SignedCase): Uint8Array {
  const bytes = randomBytes(c.size);
  if (c.form !== 'smime') return bytes;
  const body = (bytes.toString('base64').match(/.{1,76}/g) ?? []).map((l) => `${l}\r\n`).join('');
  return Buffer.from(`Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}`, 'latin1');
}

/** Every combination of the dimensions' values, in table order (each value as given). */
function* product(dims: Readonly<Record<string, readonly unknown[]>>): Generator<Record<string, unknown>> {
  const names = Object.keys(dims);
  const walk = function* (i: number, row: Record<string, unknown>): Generator<Record<string, unknown>> {
    if (i === names.length) { yield { ...row }; return; }
    for (const v of dims[names[i]!]!) { row[names[i]!] = v; yield* walk(i + 1, row); }
  };
  yield* walk(0, {});
}

export interface ColumnCoverage {
  readonly column: string;
  /** Values some combination could PASS with, but no row of the design exercises (should be empty). */
  readonly missingValues: string[];
  /** Values no combination can PASS with, given the limits: what this column can never show. */
  readonly impossibleValues: string[];
  readonly pairsCovered: number;
  readonly pairsPossible: number;
}

/** One column: which values and value pairs could pass (over `all`), and which `cases` exercise. */
function columnCoverage<C extends object>(
  column: string, dims: Readonly<Record<string, readonly unknown[]>>, all: Iterable<C>, cases: readonly C[], passes: (c: C) => boolean,
): ColumnCoverage {
  const names = Object.keys(dims);
  const field = (c: C, d: string): unknown => (c as Record<string, unknown>)[d];
  const pairs = (c: C): string[] => {
    const r: string[] = [];
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++) r.push(`${names[i]}=${field(c, names[i]!)}|${names[j]}=${field(c, names[j]!)}`);
    return r;
  };
  const tally = (rows: Iterable<C>): { values: Set<string>; pairs: Set<string> } => {
    const values = new Set<string>();
    const ps = new Set<string>();
    for (const c of rows) {
      if (!passes(c)) continue;
      for (const d of names) values.add(`${d}=${field(c, d)}`);
      for (const p of pairs(c)) ps.add(p);
    }
    return { values, pairs: ps };
  };
  const possible = tally(all);
  const covered = tally(cases);
  return {
    column,
    missingValues: [...possible.values].filter((v) => !covered.values.has(v)),
    impossibleValues: names.flatMap((d) => dims[d]!.map((v) => `${d}=${v}`)).filter((v) => !possible.values.has(v)),
    pairsCovered: [...covered.pairs].filter((p) => possible.pairs.has(p)).length,
    pairsPossible: possible.pairs.size,
  };
}

/**
 * Static check of the design against the limit tables (no tool runs): for each peer and direction,
 * which dimension values and value pairs could pass, and which of those the rows exercise.
 */
export function designCoverage(fixed: Party, peers: readonly Party[], cases: readonly Case[]): ColumnCoverage[] {
  const all = [...product(DIMENSIONS)].map((v) => ({ ...v, id: '*', origin: 'pairwise' })) as unknown as Case[];
  return peers.flatMap((peer) => (['to-fixed', 'from-fixed'] as const).map((direction) => {
    const [w, r] = direction === 'to-fixed' ? [peer, fixed] : [fixed, peer];
    return columnCoverage(arrow(direction, peer.id, fixed.id), DIMENSIONS, all, cases,
      (c) => w.writeLimits(c).length === 0 && r.readLimits(c).length === 0);
  }));
}

/** designCoverage() for the signed rows, over every valid combination of their dimensions. */
export function signedDesignCoverage(fixed: SigningParty, peers: readonly SigningParty[], cases: readonly SignedCase[]): ColumnCoverage[] {
  const all = ([...product(SIGNED_DIMENSIONS)].map((v) => ({ ...v, id: '*', origin: 'pairwise' })) as unknown as SignedCase[]).filter(validSigned);
  return peers.flatMap((peer) => (['to-fixed', 'from-fixed'] as const).map((direction) => {
    const [w, r] = direction === 'to-fixed' ? [peer, fixed] : [fixed, peer];
    return columnCoverage(arrow(direction, peer.id, fixed.id), SIGNED_DIMENSIONS, all, cases,
      (c) => w.signWriteLimits(c).length === 0 && r.signReadLimits(c, w.id).length === 0);
  }));
}
