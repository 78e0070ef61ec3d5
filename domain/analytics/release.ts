import { checkRelease, type ReleasedCount } from './releaseLedger';
import { suppressTable, type GridPos, type SuppressedTable, type SuppressOptions } from './tableSuppression';

/**
 * One table made safe to publish: suppressed within itself (tableSuppression.ts) and against every
 * earlier release (releaseLedger.ts), repeated until both agree, since a count withheld for the ledger
 * may need complements in the table and a new complement changes what the ledger sees.
 */
export interface TableSpec {
  cells: ReadonlyArray<ReadonlyArray<number>>;
  /** The atoms a cell counts (its finest groups); margins count the union of their line. */
  atomsOf: (row: number, col: number) => readonly string[];
}

export interface TableRelease {
  table: SuppressedTable;
  /** What this release adds to the ledger: every entry published, with its atoms. */
  published: ReleasedCount[];
}

export function releaseTable(
  spec: TableSpec,
  previous: ReadonlyArray<ReleasedCount>,
  atomCount: (atom: string) => number,
  k: number,
  opts: Pick<SuppressOptions, 'rowTotalsPublic'> = {},
): TableRelease {
  const R = spec.cells.length;
  const C = spec.cells[0]?.length ?? 0;
  const atomsAt = (r: number, c: number): readonly string[] => {
    if (r < R && c < C) return spec.atomsOf(r, c);
    const out: string[] = [];
    for (let i = 0; i < (r < R ? 1 : R); i++)
      for (let j = 0; j < (c < C ? 1 : C); j++) out.push(...spec.atomsOf(r < R ? r : i, c < C ? c : j));
    return out;
  };
  const forced: GridPos[] = [];
  for (let round = 0; round <= (R + 1) * (C + 1); round++) {
    const table = suppressTable(spec.cells, { ...opts, k, forced });
    const entries: Array<{ pos: GridPos; count: ReleasedCount }> = [];
    const add = (r: number, c: number, value: number | null) => {
      if (value !== null) entries.push({ pos: [r, c], count: { atoms: atomsAt(r, c), value } });
    };
    table.cells.forEach((row, r) => row.forEach((e, c) => add(r, c, e.value)));
    table.rowTotals.forEach((e, r) => add(r, C, e.value));
    table.colTotals.forEach((e, c) => add(R, c, e.value));
    add(R, C, table.total.value);
    const check = checkRelease(
      previous,
      entries.map((e) => e.count),
      atomCount,
      k,
    );
    if (check.withheld.size === 0) return { table, published: entries.map((e) => e.count) };
    for (const i of check.withheld) forced.push(entries[i]!.pos);
  }
  throw new Error('release did not settle'); // each round withholds at least one more entry, so unreachable
}
