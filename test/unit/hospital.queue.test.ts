import fc from 'fast-check';
import { DomainError, ErrorCode } from '../../domain/errors';
import { DEFAULT_QUEUE_CONFIG, DoctorQueue } from '../../domain/hospital/queue';

const MIN = 60_000;
const T0 = Date.parse('2024-03-02T00:00:00Z');
/** The DomainError code `fn` throws, or what it threw otherwise. */
function thrownCode(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : err;
  }
  return undefined;
}

const config = { ...DEFAULT_QUEUE_CONFIG, priorConsultationMinutes: 10, ewmaAlpha: 0.5, nearPosition: 1, nearMinutes: 15, returnAfter: 2 };

function queueOf(refs: string[]): DoctorQueue {
  const q = new DoctorQueue(config);
  refs.forEach((ref, i) => q.join(ref, T0 + i * 1_000, T0 + i * 1_000));
  return q;
}

describe('joining', () => {
  it('lines patients up in arrival order and reports position and ETA', () => {
    const q = queueOf(['a', 'b', 'c']);
    expect(q.summary().waiting).toEqual(['a', 'b', 'c']);
    expect(q.positionOf('c', T0)).toEqual({ status: 'waiting', position: 3, etaMinutes: 20, near: false });
    expect(q.positionOf('a', T0)).toEqual({ status: 'waiting', position: 1, etaMinutes: 0, near: true });
  });

  it('a repeated join changes nothing and says so', () => {
    const q = queueOf(['a', 'b']);
    const again = q.join('a', T0 + 60_000, T0 + 60_000);
    expect(again).toEqual({ duplicate: true, position: { status: 'waiting', position: 1, etaMinutes: 0, near: true } });
    expect(q.summary().waiting).toEqual(['a', 'b']);
    q.callNext(T0);
    expect(q.join('a', T0, T0)).toEqual({ duplicate: true, position: { status: 'called', calledAtMs: T0 } });
  });

  it('a late-reported check-in is seated by its arrival time, but not ahead of someone already told "near"', () => {
    const q = queueOf(['a', 'b', 'c']);
    expect(q.dueNotices(T0).map((n) => n.bookingRef)).toEqual(['a', 'b']); // c (20 min) is not near
    q.join('early', T0 - 10_000, T0 + 5_000);
    expect(q.summary().waiting).toEqual(['a', 'b', 'early', 'c']);
  });

  it('refuses a booking that has left', () => {
    const q = queueOf(['a']);
    q.leave('a');
    expect(thrownCode(() => q.join('a', T0, T0))).toBe(ErrorCode.InvalidState);
    expect(() => q.assertCanJoin('a')).toThrow(DomainError);
    // A cancellation that overtakes its own check-in still keeps the booking out.
    q.leave('ghost');
    expect(() => q.join('ghost', T0, T0)).toThrow(DomainError);
  });
});

describe('calling', () => {
  it('calls in order, observes the finished consultation, and returns null when nobody waits', () => {
    const q = queueOf(['a', 'b']);
    expect(q.callNext(T0)).toEqual({ bookingRef: 'a', calledAtMs: T0, finishedRef: null, waiting: 1, repeated: false });
    const second = q.callNext(T0 + 6 * MIN);
    expect(second).toMatchObject({ bookingRef: 'b', finishedRef: 'a', waiting: 0 });
    expect(q.state.stats).toEqual({ avgMs: 8 * MIN, samples: 1 });
    expect(q.positionOf('a', T0)).toEqual({ status: 'served' });
    expect(q.callNext(T0 + 10 * MIN)).toMatchObject({ bookingRef: null, finishedRef: 'b', waiting: 0 });
    expect(q.summary()).toMatchObject({ current: null, served: 2, observedConsultations: 2 });
  });

  it('a repeated callId calls nobody new', () => {
    const q = queueOf(['a', 'b', 'c']);
    const first = q.callNext(T0, 'click-1');
    const again = q.callNext(T0 + 1_000, 'click-1');
    expect(again).toMatchObject({ bookingRef: first.bookingRef, calledAtMs: T0, repeated: true });
    expect(q.summary()).toMatchObject({ current: 'a', waiting: ['b', 'c'] });
    expect(q.callNext(T0 + 2_000, 'click-2').bookingRef).toBe('b');
  });

  it('a named call (the HIS chose the patient) ends the consultation in progress, observes it, and calls that patient', () => {
    const q = queueOf(['a', 'b', 'c']);
    q.callNext(T0, 'MSG-1', 'a');
    const second = q.callNext(T0 + 6 * MIN, 'MSG-2', 'c');
    expect(second).toEqual({ bookingRef: 'c', calledAtMs: T0 + 6 * MIN, finishedRef: 'a', waiting: 1, repeated: false });
    expect(q.state.stats).toEqual({ avgMs: 8 * MIN, samples: 1 });
    expect(q.summary()).toMatchObject({ current: 'c', waiting: ['b'], served: 1 });
  });

  it('a redelivered named call changes nothing, whether or not its call id is still the last one', () => {
    const q = queueOf(['a', 'b']);
    const first = q.callNext(T0, 'MSG-1', 'a');
    expect(q.callNext(T0 + MIN, 'MSG-1', 'a')).toMatchObject({ bookingRef: 'a', calledAtMs: T0, repeated: true });
    expect(q.callNext(T0 + MIN, 'MSG-9', 'a')).toMatchObject({ bookingRef: 'a', calledAtMs: first.calledAtMs, repeated: true });
    q.callNext(T0 + 5 * MIN, 'MSG-2', 'b');
    expect(q.callNext(T0 + 6 * MIN, 'MSG-1', 'a')).toMatchObject({ bookingRef: null, finishedRef: null, repeated: true });
    expect(q.summary()).toMatchObject({ current: 'b', served: 1, observedConsultations: 1 });
  });

  it('a named call reaches a skipped patient, and one whose check-in has not reached the queue yet', () => {
    const q = queueOf(['a', 'b']);
    q.callNext(T0);
    q.skip('a', T0 + MIN);
    expect(q.callNext(T0 + 2 * MIN, undefined, 'a')).toMatchObject({ bookingRef: 'a', finishedRef: null });
    expect(q.summary()).toMatchObject({ current: 'a', skipped: [], waiting: ['b'] });
    expect(q.callNext(T0 + 9 * MIN, undefined, 'late')).toMatchObject({ bookingRef: 'late', finishedRef: 'a' });
    expect(q.join('late', T0, T0 + 9 * MIN)).toEqual({ duplicate: true, position: { status: 'called', calledAtMs: T0 + 9 * MIN } });
  });

  it('the ETA counts down with the consultation in progress', () => {
    const q = queueOf(['a', 'b', 'c']);
    q.callNext(T0);
    expect(q.positionOf('b', T0 + 4 * MIN)).toMatchObject({ position: 1, etaMinutes: 6 });
    expect(q.positionOf('c', T0 + 4 * MIN)).toMatchObject({ position: 2, etaMinutes: 16, near: false });
  });
});

describe('skip and return', () => {
  it('a skipped patient is set aside without observing a consultation, and returns behind the next two', () => {
    const q = queueOf(['a', 'b', 'c', 'd', 'e']);
    q.callNext(T0);
    expect(q.skip('b', T0)).toBe(false); // not the one called
    expect(q.skip('a', T0 + 30_000)).toBe(true);
    expect(q.summary()).toMatchObject({ current: null, skipped: ['a'] });
    expect(q.positionOf('a', T0)).toEqual({ status: 'skipped' });
    q.callNext(T0 + MIN);
    expect(q.state.stats.samples).toBe(0);
    expect(q.returnSkipped('a', T0 + 2 * MIN)).toBe(true);
    expect(q.summary().waiting).toEqual(['c', 'd', 'a', 'e']);
    expect(q.returnSkipped('a', T0 + 2 * MIN)).toBe(false);
  });

  it('later returners queue behind earlier ones; with few waiting a returner goes to the end', () => {
    const q = queueOf(['a', 'b', 'c', 'd', 'e', 'f']);
    q.callNext(T0);
    q.skip('a', T0);
    q.callNext(T0);
    q.skip('b', T0);
    q.returnSkipped('a', T0 + MIN);
    q.returnSkipped('b', T0 + MIN);
    expect(q.summary().waiting).toEqual(['c', 'd', 'a', 'b', 'e', 'f']);
    const small = queueOf(['x', 'y']);
    small.callNext(T0);
    small.skip('x', T0);
    small.returnSkipped('x', T0 + MIN);
    expect(small.summary().waiting).toEqual(['y', 'x']);
  });

  it('a late check-in report does not jump ahead of a returner', () => {
    const q = queueOf(['a', 'b', 'c']);
    q.callNext(T0);
    q.skip('a', T0);
    q.returnSkipped('a', T0 + 5 * MIN);
    q.join('late', T0 + 10, T0 + 6 * MIN);
    expect(q.summary().waiting).toEqual(['b', 'c', 'a', 'late']);
  });
});

describe('leaving', () => {
  it('removes the booking from wherever it is; the called patient leaving observes nothing', () => {
    const q = queueOf(['a', 'b', 'c']);
    q.callNext(T0);
    expect(q.leave('b')).toBe(true);
    expect(q.leave('a')).toBe(true);
    expect(q.leave('a')).toBe(false);
    expect(q.summary()).toMatchObject({ current: null, waiting: ['c'], left: 2 });
    q.callNext(T0 + 5 * MIN);
    expect(q.state.stats.samples).toBe(0);
    q.callNext(T0 + 9 * MIN);
    expect(q.leave('c')).toBe(false); // served: history is not rewritten
    expect(q.positionOf('c', T0)).toEqual({ status: 'served' });
  });
});

describe('"your turn is near" notices', () => {
  it('go out once, by position or by ETA, and again after a return', () => {
    const q = queueOf(['a', 'b', 'c', 'd']);
    expect(q.dueNotices(T0)).toEqual([
      { kind: 'turnNear', bookingRef: 'a', position: 1, etaMinutes: 0 },
      { kind: 'turnNear', bookingRef: 'b', position: 2, etaMinutes: 10 },
    ]);
    expect(q.dueNotices(T0)).toEqual([]);
    q.callNext(T0);
    // c: 10 + 10 = 20 min now; near (≤ 15) once 5 minutes of a's consultation have passed.
    expect(q.dueNotices(T0)).toEqual([]);
    expect(q.msUntilNextNotice(T0)).toBe(5 * MIN);
    expect(q.dueNotices(T0 + 5 * MIN)).toEqual([{ kind: 'turnNear', bookingRef: 'c', position: 2, etaMinutes: 15 }]);
    // a was told and called, then skipped; back behind two others it is not near, but will be again.
    q.skip('a', T0 + 6 * MIN);
    q.returnSkipped('a', T0 + 7 * MIN);
    expect(q.summary().waiting).toEqual(['b', 'c', 'a', 'd']);
    expect(q.dueNotices(T0 + 7 * MIN)).toEqual([]);
    q.callNext(T0 + 8 * MIN);
    expect(q.dueNotices(T0 + 12 * MIN)).toEqual([]);
    expect(q.dueNotices(T0 + 13 * MIN)).toEqual([{ kind: 'turnNear', bookingRef: 'a', position: 2, etaMinutes: 15 }]);
  });
});

describe('state', () => {
  it('survives a serialisation round trip (continue-as-new) with the same behaviour', () => {
    const q = queueOf(['a', 'b', 'c', 'd']);
    q.callNext(T0);
    q.callNext(T0 + 7 * MIN);
    q.skip('b', T0 + 7 * MIN);
    q.leave('d');
    q.dueNotices(T0 + 7 * MIN);
    const carried = JSON.parse(JSON.stringify(q.state)) as typeof q.state;
    expect(carried).toEqual(q.state); // plain data: nothing lost on the way through a workflow payload
    const copy = new DoctorQueue(config, carried);
    expect(copy.summary()).toEqual(q.summary());
    expect(copy.positionOf('c', T0 + 8 * MIN)).toEqual(q.positionOf('c', T0 + 8 * MIN));
    expect(copy.callNext(T0 + 9 * MIN)).toEqual(q.callNext(T0 + 9 * MIN));
  });

  it('under any sequence of operations, every booking is in at most one place and positions are 1..n', () => {
    const refs = ['a', 'b', 'c', 'd', 'e', 'f'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('join' as const), ref: fc.constantFrom(...refs), arrival: fc.integer({ min: 0, max: 100_000 }) }),
      fc.record({ kind: fc.constant('call' as const) }),
      fc.record({ kind: fc.constantFrom('skip' as const, 'return' as const, 'leave' as const), ref: fc.constantFrom(...refs) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new DoctorQueue(config);
        let now = T0;
        for (const o of ops) {
          now += 30_000;
          if (o.kind === 'join') {
            try {
              q.join(o.ref, T0 + o.arrival, now);
            } catch {
              /* left: refused */
            }
          } else if (o.kind === 'call') q.callNext(now);
          else if (o.kind === 'skip') q.skip(o.ref, now);
          else if (o.kind === 'return') q.returnSkipped(o.ref, now);
          else q.leave(o.ref);
          q.dueNotices(now);
        }
        const s = q.state;
        const placed = [...s.waiting.map((e) => e.ref), ...s.skipped.map((e) => e.ref), ...(s.current ? [s.current.ref] : [])];
        expect(new Set(placed).size).toBe(placed.length);
        for (const ref of placed) expect(s.closed[ref]).toBeUndefined();
        s.waiting.forEach((e, i) => expect(q.positionOf(e.ref, now)).toMatchObject({ status: 'waiting', position: i + 1 }));
      }),
    );
  });
});
