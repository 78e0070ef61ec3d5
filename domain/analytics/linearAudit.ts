/**
 * Which unknowns a system of published sums pins down exactly. Each equation says "these unknowns add
 * up to a published number"; an unknown is derivable when its unit vector lies in the span of the
 * equations (then some signed combination of published numbers equals it).
 *
 * Elimination runs modulo two primes below 2^26.5, so every product stays an exact double. A vector in
 * the rational span is in the span modulo any prime that divides no denominator, so a real derivation
 * is found modulo at least one of them unless both primes divide a denominator of that combination
 * (denominators are minors of a 0/±1 matrix). Either prime reporting a derivation counts: a chance
 * coincidence costs one more suppressed cell, never a leak.
 */
const PRIMES = [94_906_249, 67_108_859] as const;

function modInverse(a: number, p: number): number {
  let [r0, r1] = [a % p, p];
  let [s0, s1] = [1, 0];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % p) + p) % p;
}

/** Reduced row echelon form modulo p; rows are dense vectors over `width` unknowns. */
function rref(rows: readonly Float64Array[], width: number, p: number): Float64Array[] {
  const m = rows.map((r) => {
    const c = new Float64Array(width);
    for (let j = 0; j < width; j++) if (r[j] !== 0) c[j] = ((r[j]! % p) + p) % p;
    return c;
  });
  const out: Float64Array[] = [];
  let row = 0;
  for (let col = 0; col < width && row < m.length; col++) {
    let pivot = -1;
    for (let i = row; i < m.length; i++)
      if (m[i]![col] !== 0) {
        pivot = i;
        break;
      }
    if (pivot < 0) continue;
    [m[row], m[pivot]] = [m[pivot]!, m[row]!];
    const pr = m[row]!;
    const inv = modInverse(pr[col]!, p);
    // Only the pivot row's non-zero columns change other rows: published sums touch few atoms, so
    // this skips most of the width (the audit ran seconds per report at a million journey events).
    const nz: number[] = [];
    for (let j = col; j < width; j++)
      if (pr[j] !== 0) {
        pr[j] = (pr[j]! * inv) % p;
        nz.push(j);
      }
    for (let i = 0; i < m.length; i++) {
      if (i === row) continue;
      const r = m[i]!;
      const f = r[col]!;
      if (f === 0) continue;
      for (const j of nz) {
        const v = (r[j]! - f * pr[j]!) % p;
        r[j] = v < 0 ? v + p : v;
      }
    }
    out.push(pr);
    row++;
  }
  return out;
}

/** One published relation: the unknowns it involves, each with its whole coefficient (+1 / -1). */
export type Equation = ReadonlyArray<readonly [unknown: number, coefficient: number]>;

/**
 * The unknowns (0 … width-1) that the equations determine exactly. Published constants do not matter
 * for derivability, only which unknowns each relation ties together.
 */
export function derivableUnknowns(equations: ReadonlyArray<Equation>, width: number): Set<number> {
  const found = new Set<number>();
  if (width === 0 || equations.length === 0) return found;
  const dense = equations.map((eq) => {
    const v = new Float64Array(width);
    for (const [u, coefficient] of eq) v[u] = (v[u] ?? 0) + coefficient;
    return v;
  });
  for (const p of PRIMES) {
    for (const r of rref(dense, width, p)) {
      let only = -1;
      let count = 0;
      for (let j = 0; j < width && count < 2; j++)
        if (r[j] !== 0) {
          count++;
          only = j;
        }
      if (count === 1) found.add(only);
    }
  }
  return found;
}
