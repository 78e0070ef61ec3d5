import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256Hex } from '../../domain/hash';
import { MERCHANT_NO_MAX, merchantOrderNo, outTradeNoFor, refundRequestNoFor } from '../../domain/ids';
import { hisControlId } from '../../integrations/hospital/gateway/controlId';

const nodeSha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Hex (pure JS, usable in workflow code)', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('equals node:crypto for any string, block boundaries and non-ASCII included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => sha256Hex(text) === nodeSha(text)),
      { numRuns: 500 },
    );
    for (const n of [55, 56, 63, 64, 65, 119, 120]) expect(sha256Hex('x'.repeat(n))).toBe(nodeSha('x'.repeat(n)));
  });

  it('leaves the HIS control ids as they were (same digest as the node:crypto version)', () => {
    const digest = nodeSha('B123\u0000hold:S1');
    expect(hisControlId('B123', 'hold:S1')).toBe(`CD${digest.slice(0, 18).toUpperCase()}`);
  });
});

describe('merchant order numbers', () => {
  const shape = /^[A-Za-z0-9_]{1,64}$/;

  it('stay within 64 platform-safe characters whatever the order id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 2000 }), (journey, orderId) => {
        const no = merchantOrderNo(journey, 'o', orderId);
        return shape.test(no) && no.length <= MERCHANT_NO_MAX;
      }),
    );
  });

  it('do not collide for ids that differ only in punctuation (the old derivation did)', () => {
    expect(outTradeNoFor('h1_B1', 'o_A-1')).toBe(outTradeNoFor('h1_B1', 'o_A_1')); // the defect, kept for old histories
    expect(merchantOrderNo('h1_B1', 'o', 'A-1')).not.toBe(merchantOrderNo('h1_B1', 'o', 'A_1'));
    expect(merchantOrderNo('k', 'o', 'A_r2')).not.toBe(merchantOrderNo('k', 'o', 'A', 'r2'));
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        (a, b) => a === b || merchantOrderNo('k', 'o', a) !== merchantOrderNo('k', 'o', b),
      ),
    );
  });

  it('are deterministic, so a retry or replay derives the same number', () => {
    expect(merchantOrderNo('h1_B1', 'reg')).toBe(merchantOrderNo('h1_B1', 'reg'));
  });

  it('legacy outTradeNoFor no longer throws on a long id; it falls back to the bounded hash', () => {
    const long = 'X'.repeat(500);
    expect(() => outTradeNoFor('h1_B1', `o_${long}`)).not.toThrow();
    expect(outTradeNoFor('h1_B1', `o_${long}`)).toMatch(shape);
    expect(outTradeNoFor('h1_B1', 'reg')).toBe('h1_B1_reg'); // unchanged where it fitted
  });

  it('refund request numbers stay unchanged when they fit and bounded, distinct when they do not', () => {
    expect(refundRequestNoFor('h1_B1_reg', 'cancel')).toBe('h1_B1_reg_R_cancel');
    const base = 'Y'.repeat(60);
    const a = refundRequestNoFor(base, 'cancel');
    const b = refundRequestNoFor(base, 'late');
    expect(a).toMatch(shape);
    expect(a).not.toBe(b);
  });
});
