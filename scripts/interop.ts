// Prints the interop matrix (p7m against openssl cms, gpgsm, NSS cmsutil and Bouncy Castle, both
// directions; encryption rows c01…, signed-message rows s01…) and writes docs/interop.md. Exit 1 on any FAIL. Run after `npm run build`:
//
//   npx tsx scripts/interop.ts [--fixed p7m|openssl] [--peers openssl,gpgsm,nss,bc] [--cases c01,s02]
//                              [--concurrency N] [--no-docs] [--verbose]
//
// --fixed openssl puts openssl where p7m sits, to prove the peer drivers without p7m. docs/interop.md
// is only written for the full matrix against p7m.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Matrix, ROOT } from '../test/interop/matrix.js';
import { closingLine, failureText, limitText, renderMarkdown, renderReadmeSummary, renderSignedText, renderText, tally } from '../test/interop/report.js';

function usage(message: string): never {
  process.stderr.write(`interop: error: ${message}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        fixed: { type: 'string', default: 'p7m' },
        peers: { type: 'string' },
        cases: { type: 'string' },
        concurrency: { type: 'string', default: '3' },
        'no-docs': { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
    });
  } catch (e) {
    return usage((e as Error).message);
  }
})();

if (values.fixed !== 'p7m' && values.fixed !== 'openssl') usage('--fixed is p7m or openssl');
const concurrency = Number(values.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) usage('--concurrency is a positive integer');
const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

const started = Date.now();
const ci = process.env.CI === 'true';
const m = await Matrix.open({ fixed: values.fixed, peers: list(values.peers), cases: list(values.cases), ci });
// Ctrl-C: still stop the JVM and the gpg-agents this run started, and remove its temp dir.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void m.close().finally(() => process.exit(130));
  });
}
let exitCode = 0;
try {
  for (const s of m.states.values()) {
    if (s.broken) process.stderr.write(`\n!!! ${s.party.title} could not be set up: ${s.broken}\n\n`);
    if (!s.missing) continue;
    const what = `${s.party.title} is MISSING (${s.missing}): its cells are ${ci ? 'FAILED (CI=true)' : 'SKIPPED'}`;
    process.stderr.write(`\n!!! ${what}\n!!! install: ${s.party.install}\n\n`);
  }
  let done = 0;
  const results = await m.runAll(concurrency, (cell, r) => {
    done++;
    if (values.verbose || r.status === 'FAIL') {
      process.stderr.write(`[${done}/${m.allCells.length}] ${r.status.padEnd(4)} ${cell.name} (${r.ms} ms)\n`);
    }
  });
  const elapsed = Date.now() - started;
  const t = tally(results);
  const out: string[] = [];
  out.push('Interop matrix: rows are cases, columns peer→fixed (the peer writes: encrypts or signs) and fixed→peer (the peer reads)');
  for (const p of [m.fixed, ...m.peers]) out.push(`  ${p.id.padEnd(8)} ${m.states.get(p.id)?.version ?? `MISSING: ${m.states.get(p.id)?.missing}`}`);
  out.push('');
  if (m.cases.length) out.push('Encryption', renderText(m, results), '');
  if (m.signedCases.length) out.push('Signed messages (rows: op sig digest placement form receive size)', renderSignedText(m, results), '');
  const limits = limitText(m, results);
  if (limits) out.push('Limits re-checked (each n/a cell failed the way its peer\'s table says):', limits, '');
  const fails = failureText(m, results);
  if (fails) out.push(fails, '');
  const full = values.fixed === 'p7m' && !values.peers && !values.cases;
  if (full && !values['no-docs']) {
    await writeFile(join(ROOT, 'docs', 'interop.md'), renderMarkdown(m, results));
    out.push('wrote docs/interop.md');
    const readmePath = join(ROOT, 'README.md');
    const readme = await readFile(readmePath, 'utf8');
    const re = /(<!-- interop:start -->\n)[\s\S]*?(\n<!-- interop:end -->)/;
    if (re.test(readme)) {
      await writeFile(readmePath, readme.replace(re, (_all, a: string, b: string) => `${a}${renderReadmeSummary(m, results)}${b}`));
      out.push('updated the interoperability table in README.md');
    }
  }
  out.push(`cells: ${t.pass} PASS, ${t.na} n/a (limit re-checked), ${t.fail} FAIL, ${t.skip} skipped, in ${Math.round(elapsed / 1000)} s`);
  if (t.skip) out.push(`SKIPPED ${t.skip} cells: a side is missing (see above)`);
  out.push(closingLine(t));
  process.stdout.write(`${out.join('\n')}\n`);
  if (t.fail > 0) exitCode = 1;
} finally {
  await m.close();
}
process.exitCode = exitCode;
