import { releaseTable, type TableRelease } from '../../domain/analytics/release';
import type { ReleasedCount } from '../../domain/analytics/releaseLedger';
import { releasedShare } from '../../domain/analytics/tableSuppression';

/**
 * The attack suite (issue 13, item 5): an analyst holds every table Causeway published for one
 * institution and tries to isolate a group smaller than k by differencing time windows, margins,
 * percentages and one narrower filter. The attacker's arithmetic is written here, independently of
 * the suppression code: pairwise subtraction, spreadsheet peeling, and exact rational elimination
 * over the finest groups. Every attack must fail; the same attacks run on releases made without the
 * ledger must succeed, which shows they are not toothless.
 */
const K = 11;
const DAYS = Array.from({ length: 9 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`);
const BANDS = ['18-29', '30-44', '45-64'];
const GENDERS = ['female', 'male'];
const REGIONS = ['north', 'south'];

/** A deterministic population: most groups large, a few days bring a handful of people to a group. */
function population(): Map<string, number> {
  const counts = new Map<string, number>();
  let seed = 7;
  const rand = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
  for (const d of DAYS)
    for (const b of BANDS)
      for (const g of GENDERS)
        for (const r of REGIONS) {
          const small = rand() < 0.3;
          counts.set(`${d}|${b}|${g}|${r}`, small ? Math.floor(rand() * 4) : 3 + Math.floor(rand() * 12));
        }
  return counts;
}

const atomsOf = (days: string[], band: string, gender: string, regions: string[]) =>
  days.flatMap((d) => regions.map((r) => `${d}|${band}|${gender}|${r}`));

interface Published {
  label: string;
  release: TableRelease;
  cells: number[][];
}

/** Age band × gender for some days and regions, published against the ledger (or without one). */
function publish(
  counts: Map<string, number>,
  ledger: ReleasedCount[],
  days: string[],
  regions: string[],
  label: string,
  useLedger: boolean,
): Published {
  const cells = BANDS.map((b) => GENDERS.map((g) => atomsOf(days, b, g, regions).reduce((s, a) => s + counts.get(a)!, 0)));
  const release = releaseTable(
    { cells, atomsOf: (r, c) => atomsOf(days, BANDS[r]!, GENDERS[c]!, regions) },
    useLedger ? ledger : [],
    (a) => counts.get(a) ?? 0,
    K,
  );
  ledger.push(...release.published);
  return { label, release, cells };
}

/** The campaign of releases an analyst could ask for over a week and a half. */
function releases(counts: Map<string, number>, useLedger: boolean): { ledger: ReleasedCount[]; tables: Published[] } {
  const ledger: ReleasedCount[] = [];
  const tables = [
    publish(counts, ledger, DAYS.slice(0, 7), REGIONS, 'days 1-7', useLedger),
    publish(counts, ledger, DAYS.slice(0, 8), REGIONS, 'days 1-8 (one day more)', useLedger),
    publish(counts, ledger, DAYS.slice(1, 8), REGIONS, 'days 2-8 (sliding)', useLedger),
    publish(counts, ledger, DAYS.slice(0, 8), ['north'], 'days 1-8, north only (one region less)', useLedger),
    publish(counts, ledger, DAYS.slice(0, 9), REGIONS, 'days 1-9', useLedger),
    publish(counts, ledger, [DAYS[8]!], REGIONS, 'day 9 alone', useLedger),
  ];
  return { ledger, tables };
}

const truthOf = (counts: Map<string, number>, atoms: Iterable<string>) => {
  let s = 0;
  for (const a of atoms) s += counts.get(a) ?? 0;
  return s;
};
const isolates = (n: number) => n > 0 && n < K;

// ---- The attacker's tools ----

/** Differencing: every two published counts whose groups nest give the group in between. */
function differencingFindings(ledger: ReleasedCount[], counts: Map<string, number>): string[] {
  const found: string[] = [];
  const sets = ledger.map((c) => new Set(c.atoms));
  for (let i = 0; i < ledger.length; i++)
    for (let j = 0; j < ledger.length; j++) {
      if (i === j) continue;
      const [a, b] = [sets[i]!, sets[j]!];
      if (a.size > b.size || ![...a].every((x) => b.has(x))) continue;
      const diff = ledger[j]!.value - ledger[i]!.value;
      const between = [...b].filter((x) => !a.has(x));
      if (isolates(diff)) found.push(`${diff} people in ${between.length} groups (truth ${truthOf(counts, between)})`);
    }
  return found;
}

/** A spreadsheet: a line with one blank gives the blank from its total. */
function peelingFindings(p: Published): string[] {
  const t = p.release.table;
  const g: Array<Array<number | null>> = t.cells.map((row, r) => [...row.map((e) => e.value), t.rowTotals[r]!.value]);
  g.push([...t.colTotals.map((e) => e.value), t.total.value]);
  const R = g.length - 1;
  const C = g[0]!.length - 1;
  const found: string[] = [];
  const lines: Array<Array<[number, number]>> = [];
  for (let r = 0; r <= R; r++) lines.push(Array.from({ length: C + 1 }, (_, c) => [r, c]));
  for (let c = 0; c <= C; c++) lines.push(Array.from({ length: R + 1 }, (_, r) => [r, c]));
  for (let changed = true; changed;) {
    changed = false;
    for (const line of lines) {
      const blanks = line.filter(([r, c]) => g[r]![c] === null);
      if (blanks.length !== 1) continue;
      const [br, bc] = blanks[0]!;
      const isTotal = br === line[line.length - 1]![0] && bc === line[line.length - 1]![1];
      const others = line.slice(0, -1).reduce((s, [r, c]) => s + (g[r]![c] ?? 0), 0);
      const v = isTotal ? others : g[line[line.length - 1]![0]]![line[line.length - 1]![1]]! - others;
      g[br]![bc] = v;
      changed = true;
      if (isolates(v)) found.push(`${p.label}: ${v} at row ${br}, column ${bc}`);
    }
  }
  return found;
}

/** Exact rational elimination over the finest groups: which groups do all the published counts pin down? */
function eliminationFindings(ledger: ReleasedCount[], counts: Map<string, number>): string[] {
  const atoms = [...new Set(ledger.flatMap((c) => c.atoms))];
  const col = new Map(atoms.map((a, i) => [a, i]));
  type Q = [bigint, bigint];
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
  const norm = ([n, d]: Q): Q => {
    if (n === 0n) return [0n, 1n];
    const g = gcd(n, d) * (d < 0n ? -1n : 1n);
    return [n / g, d / g];
  };
  const rows: Q[][] = ledger.map((c) => {
    const v: Q[] = atoms.map(() => [0n, 1n]);
    for (const a of new Set(c.atoms)) v[col.get(a)!] = [1n, 1n];
    v.push([BigInt(c.value), 1n]);
    return v;
  });
  let pivotRow = 0;
  const pivots: Array<[number, number]> = [];
  for (let c = 0; c < atoms.length && pivotRow < rows.length; c++) {
    const p = rows.findIndex((r, i) => i >= pivotRow && r[c]![0] !== 0n);
    if (p < 0) continue;
    [rows[pivotRow], rows[p]] = [rows[p]!, rows[pivotRow]!];
    const pr = rows[pivotRow]!;
    const [pn, pd] = pr[c]!;
    for (let j = 0; j <= atoms.length; j++) pr[j] = norm([pr[j]![0] * pd, pr[j]![1] * pn]);
    for (let i = 0; i < rows.length; i++) {
      if (i === pivotRow || rows[i]![c]![0] === 0n) continue;
      const [fn, fd] = rows[i]![c]!;
      for (let j = 0; j <= atoms.length; j++) {
        const [an, ad] = rows[i]![j]!;
        const [bn, bd] = pr[j]!;
        rows[i]![j] = norm([an * fd * bd - fn * bn * ad, ad * fd * bd]);
      }
    }
    pivots.push([pivotRow, c]);
    pivotRow++;
  }
  const found: string[] = [];
  for (const [r, c] of pivots) {
    const row = rows[r]!;
    if (row.slice(0, atoms.length).filter((q) => q[0] !== 0n).length !== 1) continue;
    const [n, d] = row[atoms.length]!;
    const value = Number(n) / Number(d);
    if (isolates(value)) found.push(`${atoms[c]} holds ${value} (truth ${counts.get(atoms[c]!)})`);
  }
  return found;
}

describe('attacks on consecutive releases of one institution', () => {
  const counts = population();
  const safe = releases(counts, true);
  const naive = releases(counts, false);

  it('the attacks isolate small groups in releases made without the ledger (the attacks have teeth)', () => {
    expect(differencingFindings(naive.ledger, counts).length + eliminationFindings(naive.ledger, counts).length).toBeGreaterThan(0);
  });

  it('differencing by time window, by region filter and by margin isolates no group below k', () => {
    expect(differencingFindings(safe.ledger, counts)).toEqual([]);
  });

  it('peeling each published table recovers no withheld count below k', () => {
    for (const t of safe.tables) expect(peelingFindings(t)).toEqual([]);
  });

  it('solving every published count together pins no finest group below k', () => {
    expect(eliminationFindings(safe.ledger, counts)).toEqual([]);
  });

  it('percentages carry only published counts: a share × its total never gives a withheld cell', () => {
    for (const t of safe.tables) {
      const table = t.release.table;
      table.cells.forEach((row, r) =>
        row.forEach((e, c) => {
          const share = releasedShare(e, table.rowTotals[r]!);
          if (e.value === null) expect(share).toBeNull();
          else if (share !== null) expect(Math.round((share / 100) * table.rowTotals[r]!.value!)).toBe(t.cells[r]![c]);
        }),
      );
    }
  });

  it('every published count is 0 or at least k, and equals the truth', () => {
    for (const c of safe.ledger) {
      expect(c.value === 0 || c.value >= K).toBe(true);
      expect(c.value).toBe(truthOf(counts, c.atoms));
    }
  });

  it('the later releases still say something: not everything is withheld', () => {
    for (const t of safe.tables.slice(0, 5)) expect(t.release.table.total.value).not.toBeNull();
  });
});
