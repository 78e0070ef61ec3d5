import { institutionTotal, shareOf } from '../../domain/analytics/channelShare';
import { releaseTable } from '../../domain/analytics/release';
import { seededRandom } from '../../integrations/hospital/simulator';

/**
 * The attack suite, extended to shares (issue 13, channel share): a hospital holds its own other-channel
 * counts per hour, every day's count of Causeway bookings (the funnel releases it), and the channel-share
 * table: Causeway's hour counts, totals and shares where released. It tries to get a withheld hour back
 *  - from a total (total − its own channels),
 *  - from a share (share × total, rounded),
 *  - from the day's count less the released hours.
 * Every attack must fail; the same attacks on a release that shows totals and shares regardless must
 * succeed, so they are not toothless.
 */
const K = 11;
const DAYS = 6;

function population(seed: number) {
  const rand = seededRandom(seed);
  const ours = Array.from({ length: DAYS }, () =>
    Array.from({ length: 24 }, (_, h) => (h < 6 ? 0 : rand() < 0.35 ? 1 + Math.floor(rand() * 9) : 11 + Math.floor(rand() * 40))),
  );
  const others = ours.map((row) => row.map(() => Math.floor(rand() * 200)));
  return { ours, others };
}

function publish(ours: number[][], others: number[][], gated: boolean) {
  const atoms = (r: number, c: number) => [`d${r}h${c}`];
  const out = releaseTable(
    { cells: ours, atomsOf: atoms },
    [],
    (a) => {
      const [, d, h] = /d(\d+)h(\d+)/.exec(a)!.map(Number);
      return ours[d!]![h!]!;
    },
    K,
    { rowTotalsPublic: true },
  );
  return out.table.cells.map((row, d) =>
    row.map((causeway, h) => {
      const total = institutionTotal('hospital', ours[d]![h]!, others[d]![h]!)!;
      if (gated) return { causeway, ...shareOf(causeway, total, K) };
      // The naive release: every total and share, whatever happened to the count.
      return { causeway, total: { value: total }, share: Math.round((ours[d]![h]! / total) * 1000) / 10 };
    }),
  );
}

/** Every withheld hour the attacker pins to a value 1 … k-1, with the attack that did it. */
function attack(ours: number[][], others: number[][], released: ReturnType<typeof publish>): string[] {
  const found: string[] = [];
  released.forEach((row, d) => {
    const dayCount = ours[d]!.reduce((s, v) => s + v, 0); // from the funnel
    let withheldSum = dayCount;
    const withheld: number[] = [];
    row.forEach((e, h) => {
      if (e.causeway.value !== null) {
        withheldSum -= e.causeway.value;
        return;
      }
      withheld.push(h);
      const truth = ours[d]![h]!;
      if (truth === 0) return;
      if (e.total.value !== null) {
        const fromTotal = e.total.value - others[d]![h]!;
        if (fromTotal === truth && truth < K) found.push(`total d${d}h${h}`);
        if (e.share !== null) {
          const fromShare = Math.round((e.share / 100) * e.total.value);
          if (fromShare === truth && truth < K) found.push(`share d${d}h${h}`);
        }
      }
    });
    if (withheldSum > 0 && withheldSum < K) found.push(`day less hours d${d} (${withheld.join(',')})`);
  });
  return found;
}

it.each([1, 2, 3, 4, 5])('no withheld hour comes back from totals, shares or the day count (population %i)', (seed) => {
  const { ours, others } = population(seed);
  const released = publish(ours, others, true);
  expect(attack(ours, others, released)).toEqual([]);
  // Something was withheld, so the attack had something to aim at.
  expect(released.flat().some((e) => e.causeway.value === null && e.causeway.why === 'small')).toBe(true);
});

it('the same attacks succeed on a release that shows totals and shares regardless', () => {
  const { ours, others } = population(1);
  expect(attack(ours, others, publish(ours, others, false)).length).toBeGreaterThan(0);
});
