import fc from 'fast-check';
import { derivableUnknowns, type Equation } from '../../domain/analytics/linearAudit';

/**
 * The audit's elimination skips the pivot row's zero columns (speed at a million journey events): it
 * must find exactly what plain Gauss-Jordan finds. The reference below is the textbook version over
 * exact rationals (BigInt fractions), on small random systems of 0/±1 equations like the ledger's.
 */
type Frac = [bigint, bigint];
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
const norm = ([n, d]: Frac): Frac => {
  if (n === 0n) return [0n, 1n];
  const g = gcd(n, d) * (d < 0n ? -1n : 1n);
  return [n / g, d / g];
};
const sub = (a: Frac, b: Frac): Frac => norm([a[0] * b[1] - b[0] * a[1], a[1] * b[1]]);
const mul = (a: Frac, b: Frac): Frac => norm([a[0] * b[0], a[1] * b[1]]);
const div = (a: Frac, b: Frac): Frac => norm([a[0] * b[1], a[1] * b[0]]);

function referenceDerivable(equations: ReadonlyArray<Equation>, width: number): Set<number> {
  const m: Frac[][] = equations.map((eq) => {
    const v: Frac[] = Array.from({ length: width }, (): Frac => [0n, 1n]);
    for (const [u, c] of eq) v[u] = norm([v[u]![0] + BigInt(c) * v[u]![1], v[u]![1]]);
    return v;
  });
  let row = 0;
  for (let col = 0; col < width && row < m.length; col++) {
    const pivot = m.findIndex((r, i) => i >= row && r[col]![0] !== 0n);
    if (pivot < 0) continue;
    [m[row], m[pivot]] = [m[pivot]!, m[row]!];
    const pr = m[row]!;
    const lead = pr[col]!;
    for (let j = 0; j < width; j++) pr[j] = div(pr[j]!, lead);
    m.forEach((r, i) => {
      if (i === row || r[col]![0] === 0n) return;
      const f = r[col]!;
      for (let j = 0; j < width; j++) r[j] = sub(r[j]!, mul(f, pr[j]!));
    });
    row++;
  }
  const found = new Set<number>();
  for (const r of m) {
    const nz = r.flatMap((v, j) => (v[0] === 0n ? [] : [j]));
    if (nz.length === 1) found.add(nz[0]!);
  }
  return found;
}

const systems = fc.integer({ min: 1, max: 9 }).chain((width) =>
  fc.record({
    width: fc.constant(width),
    equations: fc.array(
      fc
        .uniqueArray(fc.integer({ min: 0, max: width - 1 }), { minLength: 1, maxLength: width })
        .chain((us) => fc.tuple(...us.map((u) => fc.tuple(fc.constant(u), fc.constantFrom(1, 1, 1, -1))))),
      { minLength: 1, maxLength: 10 },
    ),
  }),
);

it('property: finds exactly the unknowns exact Gauss-Jordan pins down', () => {
  fc.assert(
    fc.property(systems, ({ width, equations }) => {
      const eqs: Equation[] = equations.map((e) => e.map(([u, c]) => [u, c] as const));
      expect([...derivableUnknowns(eqs, width)].sort()).toEqual([...referenceDerivable(eqs, width)].sort());
    }),
    { numRuns: 500 },
  );
});
