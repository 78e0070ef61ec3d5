import { generateKeyPairSync } from 'node:crypto';
import { MemoryReplayCache, issueCredential, makeCode, signKeySet, verifyCode, verifyKeySet } from '../../domain/transit/rideCode';

const NOW = Date.UTC(2026, 11, 7);
const root = generateKeyPairSync('ed25519');
const otherRoot = generateKeyPairSync('ed25519');
const k1 = generateKeyPairSync('ed25519');
const k2 = generateKeyPairSync('ed25519');
const device = generateKeyPairSync('ed25519');
const gate = { operatorId: 'metroville', currentVersion: 3 };

const set = (version: number, operatorId = 'metroville') =>
  signKeySet(
    {
      operatorId,
      version,
      keys: [
        { keyId: 'k1', publicKey: k1.publicKey, notAfter: NOW + 3600_000 },
        { keyId: 'k2', publicKey: k2.publicKey, notBefore: NOW - 1 },
      ],
    },
    root.privateKey,
  );

describe('signed issuer key sets', () => {
  it('a gate takes a newer set and verifies codes under each of its keys', () => {
    const result = verifyKeySet(set(4), root.publicKey, gate);
    if (!result.ok) throw new Error(result.reason);
    expect(result.version).toBe(4);
    expect([...result.issuerKeys.keys()]).toEqual(['k1', 'k2']);
    for (const [keyId, key] of [
      ['k1', k1],
      ['k2', k2],
    ] as const) {
      const credential = issueCredential({
        keyId,
        issuerPrivateKey: key.privateKey,
        operatorId: 'metroville',
        pseudonym: 'p-1',
        riderCategoryId: 'adult',
        devicePublicKey: device.publicKey,
        validFrom: NOW,
        validUntil: NOW + 3600_000,
      });
      const code = makeCode({ credential, devicePrivateKey: device.privateKey, now: NOW, counter: 1 });
      const decision = verifyCode({
        code,
        operatorId: 'metroville',
        issuerKeys: result.issuerKeys,
        denyList: new Set(),
        replayCache: new MemoryReplayCache(() => NOW),
        now: NOW,
      });
      expect(decision).toMatchObject({ allow: true, keyId });
    }
  });

  it('refuses a set that is not newer, so an old set cannot bring a retired key back', () => {
    expect(verifyKeySet(set(3), root.publicKey, gate)).toEqual({ ok: false, reason: 'not_newer' });
  });

  it('refuses a set signed by another root, a tampered set, and another operator’s set', () => {
    expect(verifyKeySet(set(4), otherRoot.publicKey, gate)).toEqual({ ok: false, reason: 'bad_signature' });
    const [payload, signature] = set(4).split('.');
    const forged = Buffer.from(payload!, 'base64url').toString('utf8').replace('"version":4', '"version":9');
    expect(verifyKeySet(`${Buffer.from(forged).toString('base64url')}.${signature}`, root.publicKey, gate)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyKeySet(set(4, 'harbour-ferries'), root.publicKey, gate)).toEqual({ ok: false, reason: 'wrong_operator' });
    expect(verifyKeySet('not-a-set', root.publicKey, gate)).toEqual({ ok: false, reason: 'malformed' });
  });
});
