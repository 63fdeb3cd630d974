// The interop matrix under node:test: one subtest per cell (case × peer × direction, encryption
// rows and signed rows), the same cells scripts/interop.ts prints. Needs `npm run build` first (it drives dist/bin/p7m.cjs).
// Outside CI a missing peer or an unbuilt p7m skips its cells loudly; with CI=true they fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCases, DIMENSION_NAMES, DIMENSIONS, pairCoverage } from './cases.js';
import { allPeers, designCoverage, Matrix, ROOT, signedDesignCoverage } from './matrix.js';
import { P7mParty } from './peers/p7m.js';
import { buildSignedCases, SIGNED_DIMENSION_NAMES, SIGNED_DIMENSIONS, signedPairCoverage, validSigned } from './signed-cases.js';

test('interop design: every row is distinct and all value pairs are covered', () => {
  const cases = buildCases();
  const keys = cases.map((c) => DIMENSION_NAMES.map((d) => String(c[d])).join(' '));
  assert.equal(new Set(keys).size, keys.length, 'duplicate rows');
  for (const d of DIMENSION_NAMES) {
    for (const v of DIMENSIONS[d]) assert.ok(cases.some((c) => c[d] === v), `no row has ${d}=${v}`);
  }
  const cov = pairCoverage(cases);
  assert.equal(cov.covered, cov.total, 'pairwise coverage');
});

test('interop design: each peer and direction meets every value it supports', () => {
  // From the limit tables alone: a value some combination could pass with must appear in a row
  // that is expected to pass for that column, or the restricted peers would silently lose it.
  for (const col of designCoverage(new P7mParty(ROOT), allPeers(), buildCases())) {
    assert.deepEqual(col.missingValues, [], `${col.column} never exercises ${col.missingValues.join(', ')}`);
  }
});

test('interop design, signed rows: distinct, valid, all valid value pairs covered', () => {
  const cases = buildSignedCases();
  const keys = cases.map((c) => SIGNED_DIMENSION_NAMES.map((d) => String(c[d])).join(' '));
  assert.equal(new Set(keys).size, keys.length, 'duplicate rows');
  for (const c of cases) assert.ok(validSigned(c), `${c.id} is not a valid combination`);
  for (const d of SIGNED_DIMENSION_NAMES) {
    for (const v of SIGNED_DIMENSIONS[d]) assert.ok(cases.some((c) => c[d] === v), `no row has ${d}=${v}`);
  }
  const cov = signedPairCoverage(cases);
  assert.equal(cov.covered, cov.total, 'pairwise coverage');
});

test('interop design, signed rows: each peer and direction meets every value it supports', () => {
  for (const col of signedDesignCoverage(new P7mParty(ROOT), allPeers(), buildSignedCases())) {
    assert.deepEqual(col.missingValues, [], `${col.column} never exercises ${col.missingValues.join(', ')}`);
  }
});

test('interop matrix', { concurrency: 3, timeout: 15 * 60_000 }, async (t) => {
  const m = await Matrix.open();
  try {
    for (const s of m.states.values()) {
      if (s.broken) t.diagnostic(`!!! ${s.party.title} could not be set up: ${s.broken}`);
      if (!s.missing) {
        t.diagnostic(`${s.party.id}: ${s.version}`);
        continue;
      }
      const msg = `${s.party.title} is MISSING (${s.missing}); install: ${s.party.install}`;
      t.diagnostic(`!!! ${msg}`);
      process.stderr.write(`\n!!! interop: ${msg}: its cells are ${m.ci ? 'FAILED (CI=true)' : 'SKIPPED'}\n\n`);
    }
    await Promise.all(
      m.allCells.map((cell) =>
        t.test(cell.name, async (st) => {
          const r = await m.runCell(cell);
          if (r.status === 'skip') return st.skip(r.detail);
          if (r.status === 'n/a') st.diagnostic(`n/a: ${r.detail}`);
          if (r.status === 'FAIL') {
            const kept = r.kept ? `\nfiles kept in ${r.kept}` : '';
            assert.fail(`${r.detail}\n${r.trace}${kept}`);
          }
        }),
      ),
    );
  } finally {
    await m.close();
  }
});
