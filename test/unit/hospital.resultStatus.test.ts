import fc from 'fast-check';
import { resultStageOf, supersedes, type ResultStage, type ResultVersion } from '../../domain/hospital/resultStatus';

const obs = (...statuses: string[]) => statuses.map((status) => ({ status }));

describe('resultStageOf', () => {
  it.each<[string | undefined, string[], ResultStage]>([
    ['F', ['P'], 'final'], // OBR-25 decides when sent
    ['C', ['F'], 'corrected'],
    ['P', ['F'], 'preliminary'],
    ['R', [], 'preliminary'],
    ['X', ['F'], 'preliminary'],
    [' f ', [], 'final'],
    [undefined, ['F', 'F'], 'final'],
    [undefined, ['F', 'U'], 'final'],
    [undefined, ['F', 'P'], 'preliminary'],
    [undefined, ['F', 'C'], 'corrected'],
    [undefined, ['c'], 'corrected'],
    [undefined, [], 'preliminary'],
    ['', ['F'], 'final'],
  ])('OBR-25 %p with OBX-11 %p is %p', (resultStatus, statuses, stage) => {
    expect(resultStageOf({ ...(resultStatus === undefined ? {} : { resultStatus }), observations: obs(...statuses) })).toBe(stage);
  });
});

describe('supersedes', () => {
  const v = (stage: ResultStage, inboxId: number): ResultVersion => ({ stage, inboxId: String(inboxId) });

  it.each<[ResultVersion, ResultVersion | undefined, boolean]>([
    [v('preliminary', 1), undefined, true],
    [v('final', 2), v('preliminary', 1), true],
    [v('preliminary', 3), v('final', 2), false], // a late preliminary never hides the final report
    [v('preliminary', 3), v('corrected', 2), false],
    [v('final', 3), v('corrected', 2), false],
    [v('corrected', 3), v('final', 2), true],
    [v('corrected', 1), v('final', 2), true], // a correction wins even if reprocessed from an older row
    [v('final', 5), v('final', 4), true], // among equals, the later message
    [v('final', 4), v('final', 5), false],
    [v('final', 4), v('final', 4), true], // a redelivery writes the same again
  ])('%p over %p: %p', (incoming, stored, expected) => {
    expect(supersedes(incoming, stored)).toBe(expected);
  });

  const version = fc.record({
    stage: fc.constantFrom<ResultStage>('preliminary', 'final', 'corrected'),
    inboxId: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
  });

  it('ends on the same version whatever order the versions arrive in', () => {
    fc.assert(
      fc.property(fc.array(version, { minLength: 1, maxLength: 12 }), fc.infiniteStream(fc.nat()), (versions, picks) => {
        const apply = (order: ResultVersion[]) =>
          order.reduce<ResultVersion | undefined>((stored, next) => (supersedes(next, stored) ? next : stored), undefined);
        const shuffled = [...versions];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (picks.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as ResultVersion, shuffled[i] as ResultVersion];
        }
        const a = apply(versions);
        const b = apply(shuffled);
        expect(a && { stage: a.stage, inboxId: a.inboxId }).toEqual(b && { stage: b.stage, inboxId: b.inboxId });
      }),
    );
  });

  it('never lets a preliminary replace a final or corrected version', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const incoming = { ...a, stage: 'preliminary' as const };
        const stored = { ...b, stage: b.stage === 'preliminary' ? ('final' as const) : b.stage };
        expect(supersedes(incoming, stored)).toBe(false);
      }),
    );
  });
});
