import { derivableUnknowns } from './linearAudit';

/**
 * Small-cell suppression of a two-way table of counts with its margins (CMS cell-size rule: no
 * released cell holds 1 … k-1, and none can be worked out from the others).
 *
 * The table is seen as a grid with one extra column (row totals) and one extra row (column totals and
 * the grand total). Every row and every column of that grid is a "line": its cells add up to its total.
 *  1. Primary: any cell or total with 0 < count < k.
 *  2. Complementary, until nothing changes:
 *     - a line with exactly one suppressed entry gets a second one (its smallest released cell), since
 *       the total minus the others would give the first back;
 *     - a line whose total is released and whose suppressed cells add up to fewer than k gets another
 *       (the union of those cells would be a group smaller than k);
 *     - the audit: every line is an equation over the suppressed entries; when any suppressed entry with
 *       0 < count < k is determined by the system (linearAudit.ts), one more entry of one of its lines
 *       is suppressed.
 * Zeros are released (a 0 isolates no one) and complement other cells only when nothing else is left.
 */

export type Why = 'released' | 'small' | 'complementary' | 'earlier_release';

export interface Entry {
  /** The count, or null when suppressed. */
  value: number | null;
  why: Why;
}

export interface SuppressedTable {
  cells: Entry[][];
  rowTotals: Entry[];
  colTotals: Entry[];
  total: Entry;
}

/** Position in the grid: rows 0…R-1 are the table's, row R the column totals; column C the row totals. */
export type GridPos = readonly [number, number];

export interface SuppressOptions {
  k: number;
  /** Entries that must be withheld whatever their count (e.g. a difference with an earlier release). */
  forced?: ReadonlyArray<GridPos>;
  /**
   * Treat the row totals and the grand total as known to the reader even when this table withholds
   * them (another report releases the same counts, e.g. the day's count beside its hours): withheld
   * cells must then hide their people from those totals alone, which therefore never serve as complements.
   */
  rowTotalsPublic?: boolean;
}

/** The grid of a table with its margins: R+1 rows, C+1 columns. */
export function withMargins(cells: ReadonlyArray<ReadonlyArray<number>>): number[][] {
  const R = cells.length;
  const C = cells[0]?.length ?? 0;
  const grid = cells.map((row) => {
    if (row.length !== C) throw new RangeError('every row needs the same number of columns');
    for (const v of row) if (!Number.isInteger(v) || v < 0) throw new RangeError('counts are whole and not negative');
    return [...row, row.reduce((s, v) => s + v, 0)];
  });
  const bottom = new Array<number>(C + 1).fill(0);
  for (let r = 0; r < R; r++) for (let c = 0; c <= C; c++) bottom[c]! += grid[r]![c]!;
  grid.push(bottom);
  return grid;
}

/** Every line as the list of its positions, the total last. */
export function linesOf(R: number, C: number): GridPos[][] {
  const lines: GridPos[][] = [];
  for (let r = 0; r <= R; r++) lines.push(Array.from({ length: C + 1 }, (_, c) => [r, c] as const));
  for (let c = 0; c <= C; c++) lines.push(Array.from({ length: R + 1 }, (_, r) => [r, c] as const));
  return lines;
}

export function suppressTable(cells: ReadonlyArray<ReadonlyArray<number>>, opts: SuppressOptions): SuppressedTable {
  const { k } = opts;
  if (!Number.isInteger(k) || k < 2) throw new RangeError('k is a whole number of at least 2');
  const grid = withMargins(cells);
  const R = cells.length;
  const C = cells[0]?.length ?? 0;
  const why: Why[][] = grid.map((row) => row.map((v) => (v > 0 && v < k ? 'small' : 'released')));
  for (const [r, c] of opts.forced ?? []) if (why[r]?.[c] === 'released') why[r][c] = 'earlier_release';
  const hidden = (r: number, c: number) => why[r]![c] !== 'released';
  const publicMargin = (_r: number, c: number) => opts.rowTotalsPublic === true && c === C;
  /** Withheld and not known from elsewhere: what a reader must work out. */
  const unknown = (r: number, c: number) => hidden(r, c) && !publicMargin(r, c);
  const lines = linesOf(R, C);

  /** The smallest released entry of a line, cells before its total and non-zero before zero. */
  const complementIn = (line: GridPos[]): GridPos | undefined => {
    const open = line.filter(([r, c]) => !hidden(r, c) && !publicMargin(r, c));
    const rank = ([r, c]: GridPos) => {
      const isTotal = r === R || c === C ? 1 : 0;
      const v = grid[r]![c]!;
      return [isTotal, v === 0 ? 1 : 0, v] as const;
    };
    open.sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a[0] - b[0] || a[1] - b[1];
    });
    return open[0];
  };
  const hide = (pos: GridPos | undefined): boolean => {
    if (!pos) return false;
    why[pos[0]]![pos[1]] = 'complementary';
    return true;
  };

  for (let guard = 0; guard < (R + 1) * (C + 1) + 1; guard++) {
    let changed = false;
    for (const line of lines) {
      const shut = line.filter(([r, c]) => unknown(r, c));
      if (shut.length === 1) changed = hide(complementIn(line)) || changed;
      const total = line[line.length - 1]!;
      if (!unknown(total[0], total[1]) && shut.length >= 2) {
        const sum = shut.reduce((s, [r, c]) => s + grid[r]![c]!, 0);
        if (sum > 0 && sum < k) changed = hide(complementIn(line)) || changed;
      }
    }
    if (changed) continue;
    const leak = firstDerivable(grid, lines, unknown, k);
    if (!leak) break;
    const line = lines.find((l) => l.some(([r, c]) => r === leak[0] && c === leak[1]) && complementIn(l));
    if (!line || !hide(complementIn(line))) break; // everything around it is already withheld
  }

  const entry = (r: number, c: number): Entry => ({ value: hidden(r, c) ? null : grid[r]![c]!, why: why[r]![c]! });
  return {
    cells: Array.from({ length: R }, (_, r) => Array.from({ length: C }, (_, c) => entry(r, c))),
    rowTotals: Array.from({ length: R }, (_, r) => entry(r, C)),
    colTotals: Array.from({ length: C }, (_, c) => entry(R, c)),
    total: entry(R, C),
  };
}

/** A suppressed entry holding 1 … k-1 that the published lines determine, if any. */
function firstDerivable(grid: number[][], lines: GridPos[][], hidden: (r: number, c: number) => boolean, k: number): GridPos | undefined {
  const unknowns: GridPos[] = [];
  const index = new Map<string, number>();
  for (let r = 0; r < grid.length; r++)
    for (let c = 0; c < grid[r]!.length; c++)
      if (hidden(r, c)) {
        index.set(`${r},${c}`, unknowns.length);
        unknowns.push([r, c]);
      }
  // A line's cells minus its total (the last entry) is zero: cells +1, total -1.
  const equations = lines
    .map((line) => line.flatMap(([r, c], i) => (hidden(r, c) ? [[index.get(`${r},${c}`)!, i === line.length - 1 ? -1 : 1] as const] : [])))
    .filter((eq) => eq.length > 0);
  for (const u of derivableUnknowns(equations, unknowns.length)) {
    const [r, c] = unknowns[u]!;
    const v = grid[r]![c]!;
    if (v > 0 && v < k) return [r, c];
  }
  return undefined;
}

/**
 * A share in percent of two released counts, to one decimal; null when either is withheld, so a
 * percentage never carries a count the table hid.
 */
export function releasedShare(part: Entry, whole: Entry): number | null {
  if (part.value === null || whole.value === null || whole.value === 0) return null;
  return Math.round((part.value / whole.value) * 1000) / 10;
}
