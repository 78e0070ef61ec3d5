import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { netDenyListChanges, signDenyListDelta, verifyDenyListDelta } from '../../domain/transit/rideCode';

const root = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const gate = { operatorId: 'metroville', currentVersion: 5 };
const delta = (fromVersion: number, version: number, operatorId = 'metroville') =>
  signDenyListDelta({ operatorId, fromVersion, version, add: ['p-a'], remove: ['p-b'] }, root.privateKey);

describe('signed deny-list deltas', () => {
  it('a gate takes a delta that continues its list, whatever older version it starts from', () => {
    expect(verifyDenyListDelta(delta(5, 7), root.publicKey, gate)).toEqual({
      ok: true,
      delta: { operatorId: 'metroville', fromVersion: 5, version: 7, add: ['p-a'], remove: ['p-b'] },
    });
    expect(verifyDenyListDelta(delta(0, 6), root.publicKey, gate).ok).toBe(true);
  });

  it('refuses a gap, an old delta, another operator, another key and any changed byte', () => {
    expect(verifyDenyListDelta(delta(6, 7), root.publicKey, gate)).toEqual({ ok: false, reason: 'gap' });
    expect(verifyDenyListDelta(delta(3, 5), root.publicKey, gate)).toEqual({ ok: false, reason: 'not_newer' });
    expect(verifyDenyListDelta(delta(5, 6, 'elsewhere'), root.publicKey, gate)).toEqual({ ok: false, reason: 'wrong_operator' });
    expect(verifyDenyListDelta(delta(5, 6), other.publicKey, gate)).toEqual({ ok: false, reason: 'bad_signature' });
    const text = delta(5, 6);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), fc.constantFrom('A', 'b', '-', '.'), (i, ch) => {
        fc.pre(text[i] !== ch);
        const r = verifyDenyListDelta(text.slice(0, i) + ch + text.slice(i + 1), root.publicKey, gate);
        expect(r.ok).toBe(false);
      }),
    );
  });

  it('nets a run of changes: the last action per pseudonym wins', () => {
    expect(
      netDenyListChanges([
        { pseudonym: 'p-2', action: 'add' },
        { pseudonym: 'p-1', action: 'add' },
        { pseudonym: 'p-2', action: 'remove' },
        { pseudonym: 'p-3', action: 'remove' },
      ]),
    ).toEqual({ add: ['p-1'], remove: ['p-2', 'p-3'] });
  });

  it('property: applying the net of any run equals replaying the run', () => {
    const change = fc.record({
      pseudonym: fc.constantFrom('p-1', 'p-2', 'p-3', 'p-4'),
      action: fc.constantFrom('add' as const, 'remove' as const),
    });
    fc.assert(
      fc.property(fc.array(change), fc.array(change), (before, run) => {
        const apply = (set: Set<string>, c: { pseudonym: string; action: 'add' | 'remove' }): void => {
          if (c.action === 'add') set.add(c.pseudonym);
          else set.delete(c.pseudonym);
        };
        const replay = new Set<string>();
        for (const c of [...before, ...run]) apply(replay, c);
        const netted = new Set<string>();
        for (const c of before) apply(netted, c);
        const net = netDenyListChanges(run);
        for (const p of net.add) netted.add(p);
        for (const p of net.remove) netted.delete(p);
        expect([...netted].sort()).toEqual([...replay].sort());
      }),
    );
  });
});
