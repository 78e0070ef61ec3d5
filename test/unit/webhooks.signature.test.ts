import fc from 'fast-check';
import { signatureHeader, signPayload, verifySignature } from '../../domain/webhooks/signature';

const NOW = 1_800_000_000;

describe('webhook signatures', () => {
  it('verifies with any live secret, so a receiver can rotate at its own pace', () => {
    const body = '{"id":"evt_1"}';
    const header = signatureHeader(['new', 'old'], NOW, body);
    expect(header).toBe(`t=${NOW},v1=${signPayload('new', NOW, body)},v1=${signPayload('old', NOW, body)}`);
    expect(verifySignature(header, body, ['old'], NOW)).toEqual({ ok: true, timestampSeconds: NOW });
    expect(verifySignature(header, body, ['new'], NOW + 300)).toEqual({ ok: true, timestampSeconds: NOW });
    expect(verifySignature(header, body, ['other'], NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a timestamp outside the tolerance either way, and a body that changed', () => {
    const body = '{"amount":100}';
    const header = signatureHeader(['s'], NOW, body);
    expect(verifySignature(header, body, ['s'], NOW + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, body, ['s'], NOW - 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, '{"amount":1000}', ['s'], NOW)).toEqual({ ok: false, reason: 'mismatch' });
    // A signature moved to another timestamp no longer matches: the timestamp is inside the MAC.
    const moved = header.replace(`t=${NOW}`, `t=${NOW + 10}`);
    expect(verifySignature(moved, body, ['s'], NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('answers malformed (never throws) for hostile headers', () => {
    for (const h of [undefined, '', 't=', 'v1=abc', `t=${NOW}`, 'garbage', `t=${NOW},v1=${'z'.repeat(64)}`, 'x'.repeat(5_000)]) {
      expect(verifySignature(h, 'b', ['s'], NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 100 }), (header, body) => {
        const r = verifySignature(header, body, ['s'], NOW);
        return r.ok === false;
      }),
    );
  });

  it('round-trips any body and secret set (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 2 }),
        fc.integer({ min: 0, max: 999_999_999_999 }),
        (body, secrets, t) => {
          const r = verifySignature(signatureHeader(secrets, t, body), body, [secrets.at(-1)!], t);
          return r.ok && r.timestampSeconds === t;
        },
      ),
    );
  });
});
