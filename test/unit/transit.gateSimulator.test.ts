import { generateKeyPairSync } from 'node:crypto';
import { issueCredential, makeCode, signDenyListDelta, signKeySet, toQrText } from '../../domain/transit/rideCode';
import { GateSimulator } from '../../integrations/transit/simulator';

/** The gate simulator: offline decisions with the pure verifier, key sets and deny lists by version. */
const NOW = Date.UTC(2026, 11, 7, 1, 0, 0);
const root = generateKeyPairSync('ed25519');
const issuer = generateKeyPairSync('ed25519');
const device = generateKeyPairSync('ed25519');

const deny = (fromVersion: number, version: number, add: string[], remove: string[]) =>
  signDenyListDelta({ operatorId: 'metroville', fromVersion, version, add, remove }, root.privateKey);
const keySet = (version: number, operatorId = 'metroville') =>
  signKeySet({ operatorId, version, keys: [{ keyId: 'k1', publicKey: issuer.publicKey }] }, root.privateKey);

function qr(counter: number, operatorId = 'metroville', pseudonym = 'p-1'): string {
  const credential = issueCredential({
    keyId: 'k1',
    issuerPrivateKey: issuer.privateKey,
    operatorId,
    pseudonym,
    riderCategoryId: 'adult',
    devicePublicKey: device.publicKey,
    validFrom: NOW - 3600_000,
    validUntil: NOW + 3600_000,
  });
  return toQrText(makeCode({ credential, devicePrivateKey: device.privateKey, now: NOW, counter }));
}

function gate(deviceId = 'G1'): GateSimulator {
  const g = new GateSimulator({
    operatorId: 'metroville',
    deviceId,
    stopId: 'central',
    tapType: 'on',
    rootPublicKey: root.publicKey,
    clock: () => NOW,
  });
  expect(g.acceptKeySet(keySet(1))).toEqual({ ok: true, version: 1 });
  return g;
}

describe('gate simulator', () => {
  it('lets a valid code through and reports an allow tap with the pseudonym only', () => {
    const r = gate().present(qr(1));
    expect(r.allow).toBe(true);
    expect(r.tap).toMatchObject({
      pseudonym: 'p-1',
      stopId: 'central',
      deviceId: 'G1',
      tapType: 'on',
      gateDecision: 'allow',
      transactionAt: new Date(NOW).toISOString(),
    });
    expect(r.tap?.tapId).toMatch(/^G1-/);
  });

  it('refuses the same code twice at one gate, and reports the refusal', () => {
    const g = gate();
    expect(g.present(qr(2)).allow).toBe(true);
    const again = g.present(qr(2));
    expect(again).toMatchObject({ allow: false, reason: 'replayed', tap: { gateDecision: 'deny' } });
  });

  it('applies deny-list deltas in version order: denied, then cleared; an old delta changes nothing', () => {
    const g = gate();
    const v1 = deny(0, 1, ['p-1'], []);
    expect(g.applyDenyList(v1)).toEqual({ ok: true, version: 1 });
    expect(g.present(qr(3))).toMatchObject({ allow: false, reason: 'denied', tap: { gateDecision: 'deny', pseudonym: 'p-1' } });
    expect(g.applyDenyList(deny(3, 4, [], ['p-1']))).toMatchObject({ ok: false, reason: 'gap', version: 1 });
    expect(g.applyDenyList(deny(1, 2, [], ['p-1']))).toEqual({ ok: true, version: 2 });
    expect(g.applyDenyList(v1)).toMatchObject({ ok: false, reason: 'not_newer' });
    const forged = signDenyListDelta({ operatorId: 'metroville', fromVersion: 2, version: 3, add: ['p-1'], remove: [] }, issuer.privateKey);
    expect(g.applyDenyList(forged)).toMatchObject({ ok: false, reason: 'bad_signature', version: 2 });
    expect(g.present(qr(4)).allow).toBe(true);
    expect(g.versions).toEqual({ keySet: 1, denyList: 2 });
  });

  it('takes only newer key sets of its own operator signed by its root', () => {
    const g = gate();
    expect(g.acceptKeySet(keySet(1))).toMatchObject({ ok: false, reason: 'not_newer' });
    expect(g.acceptKeySet(keySet(2, 'elsewhere'))).toMatchObject({ ok: false, reason: 'wrong_operator' });
    const forged = signKeySet(
      { operatorId: 'metroville', version: 3, keys: [{ keyId: 'k1', publicKey: issuer.publicKey }] },
      issuer.privateKey,
    );
    expect(g.acceptKeySet(forged)).toMatchObject({ ok: false, reason: 'bad_signature', version: 1 });
    expect(g.acceptKeySet(keySet(2))).toEqual({ ok: true, version: 2 });
  });

  it('knows no issuer before its first key set, and leaves no tap for codes that name nobody of its own', () => {
    const fresh = new GateSimulator({
      operatorId: 'metroville',
      deviceId: 'G0',
      stopId: 'central',
      tapType: 'on',
      rootPublicKey: root.publicKey,
      clock: () => NOW,
    });
    expect(fresh.present(qr(5))).toMatchObject({ allow: false, reason: 'unknown_key', tap: null });
    const g = gate();
    expect(g.present('not a ride code')).toMatchObject({ allow: false, reason: 'malformed', tap: null });
    expect(g.present(qr(6, 'elsewhere', 'p-x'))).toMatchObject({ allow: false, reason: 'wrong_operator', tap: null });
  });
});
