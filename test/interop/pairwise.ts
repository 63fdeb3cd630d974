// Deterministic greedy pairwise completion (AETG-style) over any table of dimensions, with a
// validity rule for combinations that cannot exist. Used by cases.ts (encryption rows, where every
// combination exists) and signed-cases.ts (where, e.g., a detached signature has no envelope form).

export type Dimensions = Readonly<Record<string, readonly (string | number)[]>>;
type Row = Readonly<Record<string, unknown>>;
/** Says whether a (partial) row can exist; a dimension not yet chosen is undefined. */
export type Valid = (row: Partial<Record<string, unknown>>) => boolean;

function key(d1: string, v1: unknown, d2: string, v2: unknown): string {
  return `${d1}=${String(v1)}|${d2}=${String(v2)}`;
}

/** Every pair of values of two dimensions that some valid row can hold. */
export function validPairs(dims: Dimensions, valid: Valid): Set<string> {
  const names = Object.keys(dims);
  const out = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i]!;
      const b = names[j]!;
      for (const va of dims[a]!) for (const vb of dims[b]!) if (valid({ [a]: va, [b]: vb })) out.add(key(a, va, b, vb));
    }
  }
  return out;
}

function pairsOf(dims: Dimensions, row: Row): string[] {
  const names = Object.keys(dims);
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) out.push(key(names[i]!, row[names[i]!], names[j]!, row[names[j]!]));
  }
  return out;
}

/**
 * Rows to add to `seeds` until every valid pair occurs: each new row starts from the first uncovered
 * pair, then fills the other dimensions in table order with the valid value that covers most
 * uncovered pairs (ties: the smaller size, then the value used least so far, then table order).
 */
export function completePairs(dims: Dimensions, seeds: readonly Row[], valid: Valid): Row[] {
  const names = Object.keys(dims);
  const uncovered = validPairs(dims, valid);
  const use = new Map<string, number>();
  const count = (r: Row): void => {
    for (const p of pairsOf(dims, r)) uncovered.delete(p);
    for (const d of names) use.set(`${d}=${String(r[d])}`, (use.get(`${d}=${String(r[d])}`) ?? 0) + 1);
  };
  seeds.forEach(count);
  const added: Row[] = [];
  while (uncovered.size > 0) {
    const first = uncovered.values().next().value as string;
    const [[d1, v1], [d2, v2]] = first.split('|').map((s) => s.split('=')) as [[string, string], [string, string]];
    const pick = (d: string, raw: string): unknown => dims[d]!.find((v) => String(v) === raw);
    const row: Record<string, unknown> = { [d1]: pick(d1, v1), [d2]: pick(d2, v2) };
    for (const d of names) {
      if (d in row) continue;
      let best: unknown;
      let bestScore = -1;
      let bestUse = Infinity;
      for (const v of dims[d]!) {
        if (!valid({ ...row, [d]: v })) continue;
        let score = 0;
        for (const [e, w] of Object.entries(row)) {
          if (uncovered.has(key(d, v, e, w)) || uncovered.has(key(e, w, d, v))) score++;
        }
        const u = (use.get(`${d}=${String(v)}`) ?? 0) + (d === 'size' ? (v as number) / 1024 : 0);
        if (score > bestScore || (score === bestScore && u < bestUse)) {
          best = v;
          bestScore = score;
          bestUse = u;
        }
      }
      row[d] = best;
    }
    count(row);
    added.push(row);
  }
  return added;
}

export function pairCoverageOf(dims: Dimensions, rows: readonly Row[], valid: Valid): { covered: number; total: number } {
  const all = validPairs(dims, valid);
  const seen = new Set<string>();
  for (const r of rows) for (const p of pairsOf(dims, r)) if (all.has(p)) seen.add(p);
  return { covered: seen.size, total: all.size };
}
