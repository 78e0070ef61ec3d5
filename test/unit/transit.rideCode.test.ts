import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  MemoryReplayCache,
  decodeCredential,
  fromQrText,
  issueCredential,
  makeCode,
  toQrText,
  verifyCode,
  type TrustedIssuerKey,
  type VerifyCodeInput,
} from '../../domain/transit/rideCode';

const NOW = Date.UTC(2026, 11, 7, 0, 0, 0);
const issuer1 = generateKeyPairSync('ed25519');
const issuer2 = generateKeyPairSync('ed25519');
const device = generateKeyPairSync('ed25519');
const otherDevice = generateKeyPairSync('ed25519');

const trusted = new Map<string, TrustedIssuerKey>([
  ['k1', { publicKey: issuer1.publicKey }],
  ['k2', { publicKey: issuer2.publicKey }],
]);

function credential(over: Partial<Parameters<typeof issueCredential>[0]> = {}): Buffer {
  return issueCredential({
    keyId: 'k1',
    issuerPrivateKey: issuer1.privateKey,
    operatorId: 'metroville',
    pseudonym: 'p-7f3a9c',
    riderCategoryId: 'adult',
    devicePublicKey: device.publicKey,
    validFrom: NOW - 3600_000,
    validUntil: NOW + 20 * 3600_000,
    ...over,
  });
}

function code(over: Partial<Parameters<typeof makeCode>[0]> = {}): Buffer {
  return makeCode({ credential: credential(), devicePrivateKey: device.privateKey, now: NOW, counter: 1, ...over });
}

function gate(c: Buffer | string, over: Partial<VerifyCodeInput> = {}) {
  return verifyCode({
    code: c,
    operatorId: 'metroville',
    issuerKeys: trusted,
    denyList: new Set<string>(),
    replayCache: new MemoryReplayCache(() => NOW),
    now: NOW,
    ...over,
  });
}

describe('ride codes at the gate', () => {
  it('lets a fresh code through, as bytes and as QR text', () => {
    const c = code();
    expect(gate(c)).toEqual({ allow: true, pseudonym: 'p-7f3a9c', riderCategoryId: 'adult', counter: 1, keyId: 'k1' });
    expect(gate(toQrText(c))).toMatchObject({ allow: true });
    // Small enough for a QR code scanned at a gate (version 10 holds 213 bytes of binary at level M).
    expect(c.length).toBeLessThan(213);
  });

  it('refuses a code with any byte changed', () => {
    const c = code();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: c.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, mask) => {
        const tampered = Buffer.from(c);
        tampered[position] = tampered[position]! ^ mask;
        expect(gate(tampered).allow).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a code with the lowest bit flipped in each byte, every position', () => {
    const c = code();
    for (let position = 0; position < c.length; position++) {
      const tampered = Buffer.from(c);
      tampered[position] = tampered[position]! ^ 1;
      expect([position, gate(tampered).allow]).toEqual([position, false]);
    }
  });

  it('refuses a code cut short or with bytes appended, and non-canonical QR text', () => {
    const c = code();
    expect(gate(c.subarray(0, c.length - 1))).toEqual({ allow: false, reason: 'malformed' });
    expect(gate(Buffer.concat([c, Buffer.from([0])]))).toEqual({ allow: false, reason: 'malformed' });
    expect(gate(`${toQrText(c)}=`)).toEqual({ allow: false, reason: 'malformed' });
    expect(() => fromQrText('AB')).toThrow('not canonical');
  });

  it('refuses an expired code, and one from the future beyond the clock skew', () => {
    const c = code();
    expect(gate(c, { now: NOW + 60_000 + 30_000 })).toMatchObject({ allow: true });
    expect(gate(c, { now: NOW + 60_000 + 30_001 })).toMatchObject({ allow: false, reason: 'code_expired' });
    expect(gate(c, { now: NOW - 30_001 })).toMatchObject({ allow: false, reason: 'code_from_the_future' });
    expect(gate(c, { now: NOW + 90_001, skewSeconds: 5 })).toMatchObject({ allow: false, reason: 'code_expired' });
  });

  it('refuses a code whose credential has expired or is not yet valid', () => {
    const expired = makeCode({
      credential: credential({ validFrom: NOW - 25 * 3600_000, validUntil: NOW - 2 * 3600_000 }),
      devicePrivateKey: device.privateKey,
      now: NOW,
      counter: 1,
    });
    expect(gate(expired)).toMatchObject({ allow: false, reason: 'credential_expired' });
    const early = makeCode({
      credential: credential({ validFrom: NOW + 3600_000, validUntil: NOW + 2 * 3600_000 }),
      devicePrivateKey: device.privateKey,
      now: NOW,
      counter: 1,
    });
    expect(gate(early)).toMatchObject({ allow: false, reason: 'credential_not_yet_valid' });
  });

  it('refuses to issue a credential valid for more than 24 hours', () => {
    expect(() => credential({ validFrom: NOW, validUntil: NOW + 24 * 3600_000 + 1000 })).toThrow('at most 24 h');
    expect(() => credential({ validFrom: NOW, validUntil: NOW })).toThrow('at most 24 h');
    expect(decodeCredential(credential({ validFrom: NOW, validUntil: NOW + 24 * 3600_000 }))).toMatchObject({ pseudonym: 'p-7f3a9c' });
  });

  it('refuses a replayed counter, and a clone shown to a second gate sharing the cache', () => {
    const cache = new MemoryReplayCache(() => NOW);
    const c = code({ counter: 42 });
    expect(gate(c, { replayCache: cache })).toMatchObject({ allow: true });
    expect(gate(c, { replayCache: cache })).toEqual({ allow: false, reason: 'replayed', pseudonym: 'p-7f3a9c' });
    // The next code of the same phone is fine.
    expect(gate(code({ counter: 43 }), { replayCache: cache })).toMatchObject({ allow: true, counter: 43 });
  });

  it('does not let a forged code burn a rider counter', () => {
    const cache = new MemoryReplayCache(() => NOW);
    const forged = makeCode({ credential: credential(), devicePrivateKey: otherDevice.privateKey, now: NOW, counter: 7 });
    expect(gate(forged, { replayCache: cache })).toMatchObject({ allow: false, reason: 'bad_device_signature' });
    expect(gate(code({ counter: 7 }), { replayCache: cache })).toMatchObject({ allow: true });
  });

  it('refuses an unknown issuer key id, and a key id paired with another key’s signature', () => {
    expect(gate(code(), { issuerKeys: new Map([['k2', trusted.get('k2')!]]) })).toEqual({ allow: false, reason: 'unknown_key' });
    const mislabelled = makeCode({
      credential: credential({ keyId: 'k1', issuerPrivateKey: issuer2.privateKey }),
      devicePrivateKey: device.privateKey,
      now: NOW,
      counter: 1,
    });
    expect(gate(mislabelled)).toEqual({ allow: false, reason: 'bad_issuer_signature' });
  });

  it('accepts codes under two issuer keys at once, and honours a key’s period in force', () => {
    const underK2 = makeCode({
      credential: credential({ keyId: 'k2', issuerPrivateKey: issuer2.privateKey }),
      devicePrivateKey: device.privateKey,
      now: NOW,
      counter: 1,
    });
    expect(gate(code())).toMatchObject({ allow: true, keyId: 'k1' });
    expect(gate(underK2)).toMatchObject({ allow: true, keyId: 'k2' });
    const retired = new Map([['k1', { publicKey: issuer1.publicKey, notAfter: NOW - 1 }]]);
    expect(gate(code(), { issuerKeys: retired })).toEqual({ allow: false, reason: 'key_not_in_force' });
  });

  it('refuses a rider on the deny list', () => {
    expect(gate(code(), { denyList: new Set(['p-7f3a9c']) })).toEqual({ allow: false, reason: 'denied', pseudonym: 'p-7f3a9c' });
  });

  it('refuses a code from another operator', () => {
    expect(gate(code(), { operatorId: 'harbour-ferries' })).toEqual({ allow: false, reason: 'wrong_operator', pseudonym: 'p-7f3a9c' });
  });

  it('refuses a code signed by a device other than the certified one', () => {
    expect(gate(code({ devicePrivateKey: otherDevice.privateKey }))).toMatchObject({ allow: false, reason: 'bad_device_signature' });
  });

  it('refuses a code the app made valid for longer than the gate accepts', () => {
    expect(gate(code({ validitySeconds: 121 }))).toMatchObject({ allow: false, reason: 'code_validity_too_long' });
    expect(gate(code({ validitySeconds: 120 }))).toMatchObject({ allow: true });
  });
});
