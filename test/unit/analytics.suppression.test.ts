import fc from 'fast-check';
import { derivableUnknowns } from '../../domain/analytics/linearAudit';
import { releasedShare, suppressTable, withMargins, linesOf, type SuppressedTable } from '../../domain/analytics/tableSuppression';

const K = 11;

/** The table as a grid of entries with its margins, in the same layout as withMargins. */
function entries(t: SuppressedTable): Array<Array<number | null>> {
  const rows = t.cells.map((row, r) => [...row.map((e) => e.value), t.rowTotals[r]!.value]);
  rows.push([...t.colTotals.map((e) => e.value), t.total.value]);
  return rows;
}

/** What a person with a spreadsheet does: a line with one blank gets it from its total and the rest. */
export function peel(grid: Array<Array<number | null>>): Array<Array<number | null>> {
  const g = grid.map((r) => [...r]);
  const R = g.length - 1;
  const C = g[0]!.length - 1;
  for (let changed = true; changed;) {
    changed = false;
    for (const line of linesOf(R, C)) {
      const blanks = line.filter(([r, c]) => g[r]![c] === null);
      if (blanks.length !== 1) continue;
      const [br, bc] = blanks[0]!;
      const [tr, tc] = line[line.length - 1]!;
      const cellsSum = line.slice(0, -1).reduce((s, [r, c]) => s + (g[r]![c] ?? 0), 0);
      g[br]![bc] = br === tr && bc === tc ? cellsSum : g[tr]![tc]! - cellsSum;
      changed = true;
    }
  }
  return g;
}

describe('small-cell suppression of a table with margins', () => {
  it('withholds a small cell and a complement in each of its lines, and the recomputed total matches', () => {
    const t = suppressTable(
      [
        [40, 3, 25],
        [30, 20, 50],
      ],
      { k: K },
    );
    expect(t.cells[0]![1]).toEqual({ value: null, why: 'small' });
    // Its row and its column each lose one more cell: the smallest other one.
    expect(t.cells[0]![2]).toEqual({ value: null, why: 'complementary' });
    expect(t.cells[1]![1]).toEqual({ value: null, why: 'complementary' });
    expect(t.cells[1]![2]).toEqual({ value: null, why: 'complementary' });
    expect(t.total.value).toBe(168);
    expect(peel(entries(t))[0]![1]).toBeNull();
  });

  it('hides a small margin even when every cell in it is zero or large', () => {
    const t = suppressTable(
      [
        [0, 5],
        [0, 60],
      ],
      { k: K },
    );
    expect(t.colTotals[1]!.value).toBe(65);
    expect(t.cells[0]![1]!.value).toBeNull();
    expect(t.rowTotals[0]!.value).toBeNull(); // the row total is 5 too
    expect(t.cells[0]![0]).toEqual({ value: 0, why: 'released' });
  });

  it('never lets two small cells of one line add up to a group below k', () => {
    const t = suppressTable([[2, 3, 50, 60]], { k: K });
    const hidden = t.cells[0]!.filter((e) => e.value === null).length;
    expect(hidden).toBeGreaterThanOrEqual(3); // 2 + 3 = 5 < 11, so a third cell joins them
  });

  it('withholds what it is told to, whatever its count', () => {
    const t = suppressTable([[40, 30]], { k: K, forced: [[0, 0]] });
    expect(t.cells[0]![0]).toEqual({ value: null, why: 'earlier_release' });
    expect(t.cells[0]![1]!.value).toBeNull();
  });

  it('percentages come only from released counts', () => {
    const t = suppressTable([[40, 3, 25]], { k: K });
    expect(releasedShare(t.cells[0]![0]!, t.total)).toBe(58.8);
    expect(releasedShare(t.cells[0]![1]!, t.total)).toBeNull();
  });

  it('refuses a k below 2 and counts that are not whole', () => {
    expect(() => suppressTable([[1]], { k: 1 })).toThrow(RangeError);
    expect(() => suppressTable([[1.5]], { k: K })).toThrow(RangeError);
    expect(() => suppressTable([[1, 2], [3]], { k: K })).toThrow(RangeError);
  });

  const tables = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).chain(([r, c]) =>
    fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 200 })), { minLength: c, maxLength: c }), {
      minLength: r,
      maxLength: r,
    }),
  );

  it('property: every released entry is 0 or at least k, and each line hides none or at least two', () => {
    fc.assert(
      fc.property(tables, fc.integer({ min: 2, max: 15 }), (cells, k) => {
        const t = suppressTable(cells, { k });
        const grid = entries(t);
        const truth = withMargins(cells);
        for (const row of grid) for (const v of row) expect(v === null || v === 0 || v >= k).toBe(true);
        grid.forEach((row, r) => row.forEach((v, c) => v !== null && expect(v).toBe(truth[r]![c])));
        const R = cells.length;
        const C = cells[0]!.length;
        for (const line of linesOf(R, C)) {
          const shut = line.filter(([r, c]) => grid[r]![c] === null);
          if (shut.length === 0) continue;
          const [tr, tc] = line[line.length - 1]!;
          // One blank alone is only allowed when everything else in the line is gone too (then nothing is learnt).
          expect(shut.length).toBeGreaterThanOrEqual(2);
          if (grid[tr]![tc] !== null) {
            const sum = shut.reduce((s, [r, c]) => s + truth[r]![c]!, 0);
            expect(sum === 0 || sum >= k).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('property: neither peeling lines nor solving the whole system recovers a withheld count below k', () => {
    fc.assert(
      fc.property(tables, (cells) => {
        const t = suppressTable(cells, { k: K });
        const grid = entries(t);
        const truth = withMargins(cells);
        const peeled = peel(grid);
        peeled.forEach((row, r) =>
          row.forEach((v, c) => {
            if (grid[r]![c] === null && v !== null) expect(v === 0 || v >= K).toBe(true);
          }),
        );
        // The audit's own solver, used as the attacker: which blanks does the system pin down?
        const R = cells.length;
        const C = cells[0]!.length;
        const unknown = new Map<string, number>();
        grid.forEach((row, r) => row.forEach((v, c) => v === null && unknown.set(`${r},${c}`, unknown.size)));
        const eqs = linesOf(R, C).map((line) =>
          line.flatMap(([r, c], i) => (grid[r]![c] === null ? [[unknown.get(`${r},${c}`)!, i === line.length - 1 ? -1 : 1] as const] : [])),
        );
        const keys = [...unknown.keys()];
        for (const u of derivableUnknowns(eqs, unknown.size)) {
          const [r, c] = keys[u]!.split(',').map(Number) as [number, number];
          const v = truth[r]![c]!;
          expect(v === 0 || v >= K).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the linear audit', () => {
  it('finds an unknown pinned by two relations and not one left free', () => {
    // x0 + x1 = a, x0 = b  → both known; x2 + x3 = c → neither.
    const found = derivableUnknowns(
      [
        [
          [0, 1],
          [1, 1],
        ],
        [[0, 1]],
        [
          [2, 1],
          [3, 1],
        ],
      ],
      4,
    );
    expect([...found].sort()).toEqual([0, 1]);
  });

  it('sees through a 2 × 2 block with all margins out only as far as algebra allows', () => {
    // x00 + x01 = r0, x10 + x11 = r1, x00 + x10 = c0, x01 + x11 = c1: one degree of freedom.
    const found = derivableUnknowns(
      [
        [
          [0, 1],
          [1, 1],
        ],
        [
          [2, 1],
          [3, 1],
        ],
        [
          [0, 1],
          [2, 1],
        ],
        [
          [1, 1],
          [3, 1],
        ],
      ],
      4,
    );
    expect(found.size).toBe(0);
  });
});
