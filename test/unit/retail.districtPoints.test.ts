import fc from 'fast-check';
import { districtMoves, districtPointsFor, type DistrictMove } from '../../domain/retail/districtPoints';

const apply = (state: { pending: number; available: number; released: boolean }, moves: DistrictMove[]) => {
  for (const m of moves) {
    state.pending += m.pendingDelta;
    if (m.kind === 'release') {
      state.available += m.availableDelta;
      state.released = true;
    }
  }
  return state;
};

describe('district points', () => {
  it('earns whole points on the net amount at the district rate, none at rate 0 or nothing paid', () => {
    expect(districtPointsFor(2_650, 2)).toBe(53);
    expect(districtPointsFor(2_699, 1)).toBe(26);
    expect(districtPointsFor(0, 5)).toBe(0);
    expect(districtPointsFor(-10, 5)).toBe(0);
    expect(districtPointsFor(10_000, 0)).toBe(0);
  });

  it('follows the order: pending while open, down with refunds, all available once closed, then never again', () => {
    const s = { pending: 0, available: 0, released: false };
    apply(s, districtMoves({ netMinor: 3_000, closed: false, pointsPerMajor: 1 }, s));
    expect(s).toEqual({ pending: 30, available: 0, released: false });
    apply(s, districtMoves({ netMinor: 1_000, closed: false, pointsPerMajor: 1 }, s));
    expect(s).toEqual({ pending: 10, available: 0, released: false });
    apply(s, districtMoves({ netMinor: 1_000, closed: true, pointsPerMajor: 1 }, s));
    expect(s).toEqual({ pending: 0, available: 10, released: true });
    expect(districtMoves({ netMinor: 5_000, closed: true, pointsPerMajor: 1 }, s)).toEqual([]);
  });

  it('for any sequence of net figures (refunds only lower it), ends with exactly the last figure available and nothing pending', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 10 }),
        (paid, refunds, rate) => {
          const s = { pending: 0, available: 0, released: false };
          let net = paid;
          apply(s, districtMoves({ netMinor: net, closed: false, pointsPerMajor: rate }, s));
          for (const r of refunds) {
            net = Math.max(0, net - r);
            apply(s, districtMoves({ netMinor: net, closed: false, pointsPerMajor: rate }, s));
            expect(s.pending).toBe(districtPointsFor(net, rate));
          }
          // The close may be written twice (a retry): the second changes nothing.
          apply(s, districtMoves({ netMinor: net, closed: true, pointsPerMajor: rate }, s));
          apply(s, districtMoves({ netMinor: net, closed: true, pointsPerMajor: rate }, s));
          expect(s.pending).toBe(0);
          expect(s.available).toBe(districtPointsFor(net, rate));
        },
      ),
    );
  });
});
