import { derivableUnknowns, type Equation } from './linearAudit';

/**
 * Consecutive releases checked against what was released before. A released count covers a set of
 * atoms (the finest groups the rollups keep, e.g. "2026-12-01 | 30-39 | female"); two releases whose
 * atom sets nest (yesterday's window and today's, a filter and the same filter less one group) give
 * the count of the atoms in between by subtraction, and several releases together can pin single atoms
 * down. A new count is withheld when, with everything released before:
 *  - it and an earlier (or sibling) count nest, or cover the same atoms, and differ by 1 … k-1;
 *  - the released counts as a whole determine an atom that holds 1 … k-1 people.
 * Withheld counts are not added, so the ledger only ever holds what was really published.
 */

export interface ReleasedCount {
  atoms: readonly string[];
  value: number;
}

export interface LedgerCheck {
  /** Indexes into `next` that must be withheld. */
  withheld: Set<number>;
  /** Per withheld index, why. */
  reasons: Map<number, 'difference' | 'derivable_atom'>;
}

function relation(a: ReadonlySet<string>, b: ReadonlySet<string>): 'same' | 'a_in_b' | 'b_in_a' | 'other' {
  let aInB = true;
  for (const x of a)
    if (!b.has(x)) {
      aInB = false;
      break;
    }
  let bInA = true;
  for (const x of b)
    if (!a.has(x)) {
      bInA = false;
      break;
    }
  if (aInB && bInA) return 'same';
  if (aInB) return 'a_in_b';
  if (bInA) return 'b_in_a';
  return 'other';
}

const keyOf = (atoms: readonly string[]) => [...new Set(atoms)].sort().join('\u001f');

/**
 * One copy of each released count: an institution's consecutive reports publish the same cells again
 * (a day's funnel cell in every window that covers it), and a repeat adds no pair to compare and no
 * equation to the system, while each copy made both checks slower (seconds at a million journey events).
 */
function distinct(previous: ReadonlyArray<ReleasedCount>): ReleasedCount[] {
  const seen = new Map<string, ReleasedCount>();
  for (const p of previous) {
    const key = `${keyOf(p.atoms)}#${p.value}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return [...seen.values()];
}

/**
 * Which of `next` may not be published given `previous` (already published). `atomCount` is the true
 * count of one atom, as the rollups hold it.
 */
export function checkRelease(
  released: ReadonlyArray<ReleasedCount>,
  next: ReadonlyArray<ReleasedCount>,
  atomCount: (atom: string) => number,
  k: number,
): LedgerCheck {
  const previous = distinct(released);
  const withheld = new Set<number>();
  const reasons = new Map<number, 'difference' | 'derivable_atom'>();
  const small = (d: number) => d > 0 && d < k;
  const sets = next.map((n) => new Set(n.atoms));
  const prevSets = previous.map((p) => new Set(p.atoms));

  // 1. Pairwise differences with what is out, then among the new counts in order.
  next.forEach((n, i) => {
    const s = sets[i]!;
    const clash = (other: ReadonlySet<string>, value: number) => {
      const rel = relation(s, other);
      return rel !== 'other' && small(Math.abs(n.value - value));
    };
    if (
      previous.some((p, j) => clash(prevSets[j]!, p.value)) ||
      next.some((m, j) => j < i && !withheld.has(j) && clash(sets[j]!, m.value))
    ) {
      withheld.add(i);
      reasons.set(i, 'difference');
    }
  });

  // 2. The whole system: no small atom may be determined. Withhold new counts, smallest first, until none is.
  // Equations with the same atoms are one equation (the published constants do not matter here).
  const prevKeys = previous.map((p) => keyOf(p.atoms));
  const nextKeys = next.map((n) => keyOf(n.atoms));
  for (;;) {
    const kept = next.map((n, i) => ({ n, i })).filter(({ i }) => !withheld.has(i));
    const atomIndex = new Map<string, number>();
    const rows = [
      ...new Map([
        ...previous.map((p, j): [string, readonly string[]] => [prevKeys[j]!, p.atoms]),
        ...kept.map(({ n, i }): [string, readonly string[]] => [nextKeys[i]!, n.atoms]),
      ]).values(),
    ];
    for (const r of rows) for (const a of r) if (!atomIndex.has(a)) atomIndex.set(a, atomIndex.size);
    const equations: Equation[] = rows.map((r) => [...new Set(r)].map((a) => [atomIndex.get(a)!, 1] as const));
    const atoms = [...atomIndex.keys()];
    const leaked = [...derivableUnknowns(equations, atoms.length)].map((u) => atoms[u]!).filter((a) => small(atomCount(a)));
    if (leaked.length === 0) break;
    const culprit = kept.filter(({ n }) => n.atoms.some((a) => leaked.includes(a))).sort((x, y) => x.n.atoms.length - y.n.atoms.length)[0];
    if (!culprit) break; // determined by earlier releases alone: nothing new to withhold
    withheld.add(culprit.i);
    reasons.set(culprit.i, 'derivable_atom');
  }
  return { withheld, reasons };
}
