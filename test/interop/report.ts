// Renders the matrix: a plain-text table for the terminal, and docs/interop.md.
import { describeCase, pairCoverage, sizeLabel, type Case } from './cases.js';
import { arrow, designCoverage, ROOT, signedDesignCoverage, type AnyCell, type Cell, type CellResult, type Matrix } from './matrix.js';
import { describeSignedCase, signedPairCoverage, signedSizeLabel, type SignedCase } from './signed-cases.js';

export type Results = ReadonlyMap<AnyCell, CellResult>;

export interface Tally {
  readonly pass: number;
  readonly na: number;
  readonly fail: number;
  readonly skip: number;
}

export function tally(results: Results): Tally {
  let pass = 0, na = 0, fail = 0, skip = 0;
  for (const r of results.values()) {
    if (r.status === 'PASS') pass++;
    else if (r.status === 'n/a') na++;
    else if (r.status === 'FAIL') fail++;
    else skip++;
  }
  return { pass, na, fail, skip };
}

/**
 * The closing line. An n/a cell is a check that held (the peer still fails the way its limit
 * says), so it counts as passed, as it does under node:test; skipped cells count in neither.
 */
export function closingLine(t: Tally): string {
  return `${t.pass + t.na} passed, ${t.fail} failed`;
}

interface Column {
  readonly title: string;
  readonly peer: string;
  readonly direction: Cell['direction'];
}

function columns(m: Matrix): Column[] {
  return m.peers.flatMap((p) =>
    (['to-fixed', 'from-fixed'] as const).map((direction) => ({
      title: arrow(direction, p.id, m.fixed.id),
      peer: p.id,
      direction,
    })),
  );
}

function lookup(m: Matrix, results: Results): (c: Case | SignedCase, col: Column) => CellResult | undefined {
  const index = new Map<string, CellResult>();
  for (const cell of m.allCells) {
    const r = results.get(cell);
    if (r) index.set(`${cell.c.id}|${cell.peer.id}|${cell.direction}`, r);
  }
  return (c, col) => index.get(`${c.id}|${col.peer}|${col.direction}`);
}

export function renderText(m: Matrix, results: Results): string {
  const cols = columns(m);
  const get = lookup(m, results);
  const rows: string[][] = [['case', 'cipher kt rid rsa layout form enc size', ...cols.map((c) => c.title)]];
  for (const c of m.cases) {
    rows.push([c.id, describeCase(c), ...cols.map((col) => get(c, col)?.status ?? '-')]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  return out.join('\n');
}

/** The "Signed messages" rows for the terminal. */
export function renderSignedText(m: Matrix, results: Results): string {
  const cols = columns(m);
  const get = lookup(m, results);
  const rows: string[][] = [['case', 'op sig digest placement form receive size', ...cols.map((c) => c.title)]];
  for (const c of m.signedCases) rows.push([c.id, describeSignedCase(c), ...cols.map((col) => get(c, col)?.status ?? '-')]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function failureText(m: Matrix, results: Results): string {
  const out: string[] = [];
  for (const cell of m.allCells) {
    const r = results.get(cell);
    if (r?.status !== 'FAIL') continue;
    out.push(`FAIL ${cell.name}\n  ${r.detail.replace(/\n/g, '\n  ')}`);
    if (r.trace) out.push(`  ${r.trace.replace(/\n/g, '\n  ')}`);
    if (r.kept) out.push(`  files kept in ${r.kept}`);
  }
  return out.join('\n');
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** n/a reasons, grouped by who cannot do what, with one sample of the words that showed it. */
function limitations(cells: readonly AnyCell[], results: Results): string[] {
  const groups = new Map<string, { who: string; why: string; said: string; cells: number }>();
  for (const cell of cells) {
    for (const h of results.get(cell)?.hits ?? []) {
      const key = `${h.who}|${h.why}`;
      const g = groups.get(key) ?? { who: h.who, why: h.why, said: h.said, cells: 0 };
      g.cells++;
      groups.set(key, g);
    }
  }
  const out = ['| who | cannot | the words that show it (one cell) | cells |', '|---|---|---|---|'];
  for (const g of [...groups.values()].sort((a, b) => a.who.localeCompare(b.who) || a.why.localeCompare(b.why))) {
    const said = g.said.length > 260 ? `${g.said.slice(0, 257)}...` : g.said;
    out.push(`| ${g.who} | ${md(g.why)} | \`${md(said)}\` | ${g.cells} |`);
  }
  return out;
}

/** For the terminal: why the n/a cells are n/a, one line per limit. */
export function limitText(m: Matrix, results: Results): string {
  const counts = new Map<string, number>();
  for (const cell of m.allCells) {
    for (const h of results.get(cell)?.hits ?? []) {
      const key = `${'signed' in cell ? '[signed] ' : ''}${h.who}: ${h.why}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].sort().map(([k, n]) => `  n/a ×${n}  ${k}`).join('\n');
}

export function renderMarkdown(m: Matrix, results: Results): string {
  const cols = columns(m);
  const get = lookup(m, results);
  const t = tally(results);
  const out: string[] = [];
  out.push('# Interoperability matrix');
  out.push('');
  out.push('<!-- Generated by scripts/interop.ts (`npm run interop`); do not edit by hand. -->');
  out.push('');
  out.push(
    `p7m against four other CMS implementations, both directions: a column \`peer→p7m\` means the peer ` +
      `wrote the message (encrypted, or signed) and p7m read it (decrypted, or verified); \`p7m→peer\` the other way. ` +
      `Every cell checks the bytes the writer produced (form, definite/indefinite length, cipher, key transport, rid ` +
      `and recipient order; for signed messages the signature algorithm, digest, opaque or detached, signed ` +
      `attributes and the envelope's content type, read by an independent BER reader in test/interop/ber.ts) and ` +
      `that the reader gives back the content byte for byte. Two parts: encryption (EnvelopedData) and ` +
      `[signed messages](#signed-messages) (SignedData, and signed-then-enveloped).`,
  );
  out.push('');
  out.push('## Sides and versions');
  out.push('');
  out.push('| side | version | how it is driven |');
  out.push('|---|---|---|');
  for (const p of [m.fixed, ...m.peers]) {
    const s = m.states.get(p.id);
    const version = s?.missing ? `MISSING: ${s.missing}` : `${s?.version ?? '?'}${s?.broken ? ` (set-up failed: ${s.broken})` : ''}`;
    out.push(`| ${p.title} | ${md(version)} | ${HOW[p.id] ?? ''} |`);
  }
  out.push('');
  out.push('## Result');
  out.push('');
  out.push(`**${closingLine(t)}** — ${t.pass} PASS, ${t.na} n/a (limit re-checked: the tool still fails as recorded), ${t.fail} FAIL, ${t.skip} skipped, of ${m.allCells.length} cells (${m.cells.length} encryption, ${m.signedCells.length} signed).`);
  out.push('');
  out.push('## Matrix: encryption');
  out.push('');
  out.push(`| case | cipher | key transport | rid | RSA | decrypting recipient | form | length | size | ${cols.map((c) => c.title).join(' | ')} |`);
  out.push(`|---|---|---|---|---|---|---|---|---|${cols.map(() => '---').join('|')}|`);
  for (const c of m.cases) {
    const cells = cols.map((col) => {
      const s = get(c, col)?.status ?? '-';
      return s === 'FAIL' ? '**FAIL**' : s;
    });
    const layout = c.layout === 'single' ? 'only one' : `${c.layout} of 3`;
    out.push(`| ${c.id} | ${c.cipher} | ${c.kt} | ${c.rid} | ${c.bits} | ${layout} | ${c.form} | ${c.encoding} | ${sizeLabel(c.size)} | ${cells.join(' | ')} |`);
  }
  out.push('');
  out.push('## Limits found (the n/a cells)');
  out.push('');
  out.push(
    'Each n/a cell is still run: the writer is asked for the combination (or, where the tool has no such ' +
      'option, runs with its default and the harness reads what it wrote), the reader is given the message, ' +
      'and the cell passes only if the failure matches the recorded limit. If a future version lifts a limit, ' +
      'the cell turns FAIL and asks for the table in test/interop/peers/ to be updated.',
  );
  out.push('');
  out.push(...limitations(m.cells, results));
  out.push('');
  out.push(...signedSection(m, results));
  const notes = [m.fixed, ...m.peers].flatMap((p) => (p.notes ?? []).map((n) => `- ${p.title}: ${n}`));
  if (notes.length) {
    out.push('');
    out.push('## Other findings');
    out.push('');
    out.push(...notes);
  }
  const fails = m.allCells.filter((cell) => results.get(cell)?.status === 'FAIL');
  if (fails.length) {
    out.push('');
    out.push('## Failures');
    out.push('');
    for (const cell of fails) {
      const r = results.get(cell)!;
      out.push(`### ${md(cell.name)}`);
      out.push('');
      out.push(md(r.detail));
      out.push('');
      out.push('```');
      out.push(r.trace.replace(/\/tmp\/p7m-interop-[^/]+/g, '$RUN').replace(new RegExp(escapeRe(ROOT), 'g'), '.'));
      out.push('```');
      out.push('');
    }
  }
  const skipped = [...m.states.values()].filter((s) => s.missing);
  if (skipped.length) {
    out.push('');
    out.push('## Skipped');
    out.push('');
    for (const s of skipped) out.push(`- ${s.party.title}: ${s.missing} — install with \`${s.party.install}\``);
  }
  out.push('');
  out.push(...design(m));
  out.push('');
  out.push('## Running it');
  out.push('');
  out.push('```');
  out.push('npm run build && npm run interop        # this table; exit 1 on any FAIL');
  out.push('node --import tsx --test test/interop/interop.test.ts   # the same cells under node:test');
  out.push('npx tsx scripts/interop.ts --fixed openssl --no-docs   # the peer drivers against openssl, without p7m');
  out.push('```');
  out.push('');
  out.push(
    'Keys and certificates are made once with openssl and cached in test/.work/interop/ (gitignored); ' +
      'NSS databases, GNUPGHOMEs and the one Bouncy Castle JVM live for one run. A failing cell keeps its ' +
      'message, output and command trace in test/.work/interop/failures/. Outside CI a missing peer is ' +
      'reported as skipped with its install command; with CI=true it fails.',
  );
  out.push('');
  return out.join('\n');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const HOW: Record<string, string> = {
  p7m: 'the built CLI, `node dist/bin/p7m.cjs` (the `p7m` bin); a file argument for definite length, a pipe for streamed input; `p7m sign` / `verify`, `encrypt --sign-cert/--sign-key` / `decrypt --verify` with a replay cache per cell (or `--no-replay-check`)',
  openssl: '`openssl cms -encrypt/-decrypt`, `-stream` for indefinite length, `-keyid` for SKI, `-keyopt rsa_padding_mode:oaep`; `cms -sign [-nodetach] -md … [-keyopt rsa_padding_mode:pss]`, `cms -verify -CAfile`, `cms -sign | cms -encrypt` and `cms -decrypt | cms -verify`',
  gpgsm: '`gpgsm --encrypt/--decrypt` in a throw-away GNUPGHOME per identity, keys from a PBE-SHA1-3DES .p12; `--sign`/`--detach-sign --digest-algo …`, `--verify` judged by the GOODSIG/TRUST_FULLY status lines, `--sign` then `--encrypt`',
  nss: '`cmsutil -E/-D` with one throw-away NSS database per identity, keys via `pk12util`; `cmsutil -S -N signer -G -H … [-T]`, `-D` (verifies for certUsageEmailSigner), `-S` then `-E`',
  bc: 'test/interop/BcDriver.java in one long-lived JVM: CMSEnvelopedDataGenerator (definite), CMSEnvelopedDataStreamGenerator (indefinite), CMSEnvelopedDataParser; CMSSignedDataGenerator with a contentIdentifier attribute where asked, CMSSignedData + JcaSimpleSignerInfoVerifierBuilder',
};

/** Counts of one column over some rows. */
function counts(rows: readonly (Case | SignedCase)[], col: Column, get: ReturnType<typeof lookup>): { pass: number; na: number; fail: number } {
  let pass = 0, na = 0, fail = 0;
  for (const c of rows) {
    const s = get(c, col)?.status;
    if (s === 'PASS') pass++; else if (s === 'n/a') na++; else if (s === 'FAIL') fail++;
  }
  return { pass, na, fail };
}

function signedSection(m: Matrix, results: Results): string[] {
  const cols = columns(m);
  const get = lookup(m, results);
  const out: string[] = [];
  out.push('## Signed messages');
  out.push('');
  out.push(
    'SignedData alone (`p7m sign` / `p7m verify`) and signed-then-enveloped messages (`p7m encrypt --sign-cert/--sign-key` / ' +
      '`p7m decrypt --verify`), every row run by every peer in both directions. The signer is RSA-2048 (PKCS#1 v1.5 or PSS) ' +
      'or EC P-256 / P-384, with keyUsage digitalSignature and EKU emailProtection, under the same CA; enveloped rows are ' +
      'for the RSA-2048 target. Readers verify the signature and the chain to the CA and must give back the content byte ' +
      'for byte (a detached signature\'s reader is handed the content, except from a clear-signed S/MIME ' +
      'multipart/signed entity, which carries it as a CRLF MIME entity). *receive* is how p7m reads when it is the reader: ' +
      '`replay` is its default, a replay cache of the cell\'s own that needs signingTime and names the message by its ' +
      'contentIdentifier (RFC 2634 §2.7) or, without one, by a hash of its signed attributes; the same file delivered a ' +
      'second time must be refused as already seen. `signature` is `--no-replay-check`. When p7m or Bouncy Castle ' +
      'writes, `replay` rows check that the message carries both signingTime and a contentIdentifier; openssl, gpgsm ' +
      'and NSS cannot add one.',
  );
  out.push('');
  out.push(`| case | op | signature | digest | content | form | receive | size | ${cols.map((c) => c.title).join(' | ')} |`);
  out.push(`|---|---|---|---|---|---|---|---|${cols.map(() => '---').join('|')}|`);
  for (const c of m.signedCases) {
    const cells = cols.map((col) => {
      const s = get(c, col)?.status ?? '-';
      return s === 'FAIL' ? '**FAIL**' : s;
    });
    out.push(`| ${c.id} | ${c.op} | ${c.sig} | ${c.digest} | ${c.placement} | ${c.form} | ${c.receive} | ${signedSizeLabel(c.size)} | ${cells.join(' | ')} |`);
  }
  out.push('');
  out.push('### What the peers wrote and p7m read there');
  out.push('');
  out.push('One PASS cell per peer-written shape (the harness\'s reading of the bytes):');
  out.push('');
  const seen = new Set<string>();
  for (const cell of m.signedCells) {
    const r = results.get(cell);
    if (cell.direction !== 'to-fixed' || r?.status !== 'PASS') continue;
    const shape = `${cell.peer.id}: ${r.detail}`.replace(/\(second delivery.*\)$/, '').trim();
    const key = `${cell.peer.id}|${cell.c.op}|${cell.c.form}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const replay = !/second delivery/.test(r.detail) ? ''
      : /identity from the signed attributes/.test(r.detail) ? ' — second delivery refused (no contentIdentifier: replay identity from the signed attributes)'
      : ' — second delivery refused';
    out.push(`- ${cell.c.id} ${md(shape)}${replay}`);
  }
  out.push('');
  out.push('### Limits found (signed cells)');
  out.push('');
  out.push(
    'As above, each n/a cell is run. Here the chain runs as far as it gets even past a writer\'s gap, and the failures ' +
      'are joined: a peer that cannot write the asked shape (PSS, S/MIME) still writes what it can, and the limit names ' +
      'what it wrote or how the reader refused it, so that the cell shows what really happens with such a message.',
  );
  out.push('');
  out.push(...limitations(m.signedCells, results));
  out.push('');
  out.push('### Why these signed rows');
  out.push('');
  out.push(
    'Seven dimensions: op (sign, sign-encrypt), signature (RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256, ECDSA P-384), digest ' +
      '(SHA-256/384/512), content (opaque, detached), form (DER, PEM, S/MIME), receive (replay, signature) and size ' +
      '(0 B, 1 B, 100 KB); 720 valid combinations (a detached signature is never enveloped). Hand-picked seed rows put ' +
      'each restricted peer\'s shapes in (NSS and gpgsm: binary, PKCS#1 v1.5 or ECDSA; gpgsm armor; S/MIME for openssl; ' +
      'the replay-protected rows); a deterministic greedy pass (test/interop/pairwise.ts) adds rows until every valid ' +
      'pair of values is covered.',
  );
  out.push('');
  for (const c of m.signedCases.filter((c) => c.origin === 'seed')) out.push(`- ${c.id} (${describeSignedCase(c)}): ${c.why ?? ''}`);
  out.push('');
  const cov = signedPairCoverage(m.signedCases);
  out.push(`All ${m.signedCases.length} rows cover ${cov.covered} of ${cov.total} valid value pairs.`);
  out.push('');
  out.push('| column | supported values the rows miss | values it can never pass (its limits) | supported value pairs covered |');
  out.push('|---|---|---|---|');
  for (const c of signedDesignCoverage(m.fixed, m.peers, m.signedCases)) {
    out.push(`| ${c.column} | ${c.missingValues.join(', ') || 'none'} | ${c.impossibleValues.join(', ') || 'none'} | ${c.pairsCovered} / ${c.pairsPossible} |`);
  }
  return out;
}

function design(m: Matrix): string[] {
  const out: string[] = [];
  out.push('## Why these encryption rows');
  out.push('');
  out.push(
    'Eight dimensions: content cipher (3DES, read only, and AES-128/192/256-CBC), key transport ' +
      '(PKCS#1 v1.5, RSAES-OAEP with SHA-1, with SHA-256), rid (issuer and serial, subject key identifier), ' +
      'recipient key (RSA-2048/3072/4096), recipients (only one, or first/middle/last of three), form ' +
      '(DER, PEM, S/MIME), length encoding (definite DER, indefinite BER) and size (0 B, 1 B, 100 KB, 5 MB). ' +
      'The full product is 13,824 messages per column; instead:',
  );
  out.push('');
  out.push(
    '1. **Seed rows** (hand-picked, `seed`): NSS cmsutil can only write PKCS#1 v1.5 / issuer+serial / binary / ' +
      'indefinite with a cipher it picks itself (AES-256 when every recipient key is over 3072 bits, else AES-128), ' +
      'gpgsm only PKCS#1 v1.5 / issuer+serial / binary or armor / indefinite. Rows in exactly ' +
      'those shapes vary key size, recipient position, size and (gpgsm) cipher, so the restricted peers still ' +
      'exercise every value they support. Further seeds put each OAEP hash with each key size, SKI with definite ' +
      'and indefinite lengths and with three recipients, S/MIME with both lengths, and 3DES in every form.',
  );
  out.push(
    '2. **Pairwise completion** (`pairwise`): a deterministic greedy pass adds rows until every pair of values of ' +
      'two dimensions appears in some row (e.g. OAEP-SHA-256 with RSA-4096, SKI with the middle recipient, ' +
      '5 MB with indefinite length, 0 B with PEM).',
  );
  out.push('');
  out.push('The seed rows and what each is for:');
  out.push('');
  for (const c of m.cases.filter((c) => c.origin === 'seed')) out.push(`- ${c.id} (${describeCase(c)}): ${c.why ?? ''}`);
  out.push('');
  const cov = pairCoverage(m.cases);
  out.push(
    `All ${m.cases.length} rows cover ${cov.covered} of ${cov.total} value pairs. ` +
      'Three-recipient messages put the decrypting side\'s recipient first, in the middle or last in *encoded* order: ' +
      'openssl and Bouncy Castle sort RecipientInfos (DER SET OF, X.690 §11.6), so the other recipients are chosen ' +
      'to sort before or after it (RSA-2048 with one-octet serials and SKIs 00…, RSA-4096 with 20-octet serials ' +
      '7fff… and SKIs ff…; see test/interop/pki.ts), and every cell checks the position in the bytes.',
  );
  out.push('');
  out.push('What each column can and does exercise, from the limit tables alone (test/interop/interop.test.ts checks the first column is always empty):');
  out.push('');
  out.push('| column | supported values the rows miss | values it can never pass (its limits) | supported value pairs covered |');
  out.push('|---|---|---|---|');
  const peers = m.peers;
  for (const c of designCoverage(m.fixed, peers, m.cases)) {
    out.push(`| ${c.column} | ${c.missingValues.join(', ') || 'none'} | ${c.impossibleValues.join(', ') || 'none'} | ${c.pairsCovered} / ${c.pairsPossible} |`);
  }
  return out;
}

/**
 * The README's interoperability table (between <!-- interop:start --> and <!-- interop:end -->):
 * one row per peer and direction with its version and counts, generated by the same run as
 * docs/interop.md so that it is never typed by hand.
 */
export function renderReadmeSummary(m: Matrix, results: Results): string {
  const cols = columns(m);
  const get = lookup(m, results);
  const t = tally(results);
  const out: string[] = [];
  out.push(`Generated by \`npm run interop\` on ${new Date().toISOString().slice(0, 10)}: **${closingLine(t)}** over ${m.allCells.length} cells `
    + `(${t.pass} PASS, ${t.na} n/a re-checked to still fail as the peer's documented limit, ${t.fail} FAIL). Full matrix: [docs/interop.md](docs/interop.md).`);
  out.push('');
  out.push(`| peer | version | direction | encryption PASS | n/a | FAIL | signed PASS | n/a | FAIL |`);
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const col of cols) {
    const e = counts(m.cases, col, get);
    const s = counts(m.signedCases, col, get);
    const p = m.peers.find((x) => x.id === col.peer)!;
    const version = m.states.get(p.id)?.version ?? 'missing';
    out.push(`| ${p.title} | ${md(version)} | ${col.title} | ${e.pass} | ${e.na} | ${e.fail} | ${s.pass} | ${s.na} | ${s.fail} |`);
  }
  return out.join('\n');
}
