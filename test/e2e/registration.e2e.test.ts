import { randomUUID } from 'node:crypto';
import { hashApiKey } from '../../api/auth/middleware';
import { recentAudit } from '../../db/repositories/audit';
import { workflowIds } from '../../domain/ids';
import { createTestIdNumber } from '../helpers/factories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

/**
 * Issue 8, item 3: registering with someone else's ID number must never hand out their account,
 * must not tell whether the number is registered, and a rejected record can be verified again.
 */
let p: TestPlatform;
let otherPartner: { id: string; apiKey: string };
const REFUSED_NAME = 'Not The Owner';

beforeAll(async () => {
  p = await startTestPlatform({ identityOutcomes: { mismatchNames: [REFUSED_NAME] } });
  otherPartner = { id: `partner-${randomUUID().slice(0, 8)}`, apiKey: `pk_${randomUUID()}` };
  await p.services.db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [
    otherPartner.id,
    'Other partner',
    hashApiKey(otherPartner.apiKey),
  ]);
});
afterAll(async () => {
  await p?.stop();
});

interface Answer {
  status: number;
  body: { userId?: string; identityStatus?: string; type?: string; title?: string; detail?: string; code?: string; status?: number };
}

async function register(body: object, apiKey = p.partner.apiKey): Promise<Answer> {
  const res = await fetch(`${p.api.url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function settle(userId: string): Promise<string> {
  return p.services.temporal.workflow.getHandle(workflowIds.identity(userId)).result() as Promise<string>;
}

async function verifiedUser(): Promise<{ userId: string; legalName: string; idNumber: string; phone: string }> {
  const person = { legalName: 'Chen Jing', idNumber: createTestIdNumber(), phone: '13811112222' };
  const reg = await register(person);
  expect(reg.status).toBe(202);
  const userId = reg.body.userId ?? '';
  expect(await settle(userId)).toBe('verified');
  return { userId, ...person };
}

/** What a refusal says, without the per-request `instance`. */
const shape = (a: Answer) => ({ status: a.status, type: a.body.type, title: a.body.title, detail: a.body.detail, code: a.body.code });

describe('registration with an existing ID number', () => {
  it('never returns the existing user when the name or phone differs', async () => {
    const owner = await verifiedUser();
    const otherName = await register({ legalName: 'Mallory Attacker', idNumber: owner.idNumber, phone: owner.phone });
    const otherPhone = await register({ legalName: owner.legalName, idNumber: owner.idNumber, phone: '13999990000' });
    for (const refused of [otherName, otherPhone]) {
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('identity_rejected');
      expect(JSON.stringify(refused.body)).not.toContain(owner.userId);
    }
    // The same person with the same details gets their own account back.
    const again = await register({ legalName: owner.legalName, idNumber: owner.idNumber, phone: owner.phone });
    expect(again).toMatchObject({ status: 200, body: { userId: owner.userId, identityStatus: 'verified' } });
  });

  it('answers a registered number with the same problem as an unregistered one the provider refuses', async () => {
    const owner = await verifiedUser();
    const registered = await register({ legalName: 'Someone Else', idNumber: owner.idNumber, phone: owner.phone });
    const unregistered = await register({ legalName: REFUSED_NAME, idNumber: createTestIdNumber(), phone: owner.phone });
    const registeredRefusedByProvider = await register({ legalName: REFUSED_NAME, idNumber: owner.idNumber, phone: owner.phone });
    expect(shape(registered)).toEqual(shape(unregistered));
    expect(shape(registeredRefusedByProvider)).toEqual(shape(unregistered));
    expect(shape(unregistered)).toMatchObject({ status: 422, code: 'identity_rejected' });
  });

  it("gives another partner its own record: never the first partner's user, and nothing that says the number is known", async () => {
    const owner = await verifiedUser();
    const elsewhere = await register({ legalName: owner.legalName, idNumber: owner.idNumber, phone: '13700001111' }, otherPartner.apiKey);
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.userId).not.toBe(owner.userId);
    expect(elsewhere.body.identityStatus).toBe('pending');
    // A wrong name there is refused exactly like a wrong name for a number nobody registered.
    const wrong = await register({ legalName: REFUSED_NAME, idNumber: owner.idNumber, phone: '13700001111' }, otherPartner.apiKey);
    const fresh = await register({ legalName: REFUSED_NAME, idNumber: createTestIdNumber(), phone: '13700001111' }, otherPartner.apiKey);
    expect(shape(wrong)).toEqual(shape(fresh));
    // And the first partner's user id means nothing to the other partner.
    const me = await fetch(`${p.api.url}/v1/users/me`, {
      headers: { authorization: `Bearer ${otherPartner.apiKey}`, 'x-causeway-user': owner.userId },
    });
    expect(me.status).toBe(401);
  });

  it('verifies a rejected record again on a fresh registration with correct data, under a new user id', async () => {
    const idNumber = createTestIdNumber();
    // The provider is down at registration, so the wrong name is only refused later, by the workflow.
    p.identitySim.setDown(true);
    const first = await register({ legalName: REFUSED_NAME, idNumber, phone: '13600002222' });
    expect(first.status).toBe(202);
    p.identitySim.setDown(false);
    const rejectedId = first.body.userId ?? '';
    expect(await settle(rejectedId)).toBe('rejected');

    const second = await register({ legalName: 'Correct Name', idNumber, phone: '13600003333' });
    expect(second.status).toBe(202);
    const userId = second.body.userId ?? '';
    expect(userId).not.toBe(rejectedId);
    expect(await settle(userId)).toBe('verified');
    // Whoever held the rejected id does not hold the verified account.
    const old = await fetch(`${p.api.url}/v1/users/me`, {
      headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': rejectedId },
    });
    expect(old.status).toBe(401);
    const audit = await recentAudit(p.services.db, { action: 'user.register.restarted', limit: 20 });
    expect(audit.length).toBeGreaterThan(0);
  }, 90_000);

  it('writes refused registrations to the audit log, without personal data', async () => {
    const owner = await verifiedUser();
    const before = (await recentAudit(p.services.db, { action: 'user.register.refused', limit: 1000 })).length;
    const phone = '13522223333';
    const refused = await register({ legalName: 'Audit Probe', idNumber: owner.idNumber, phone });
    expect(refused.status).toBe(422);
    const entries = await recentAudit(p.services.db, { action: 'user.register.refused', limit: 1000 });
    expect(entries.length).toBe(before + 1);
    const entry = entries[0];
    expect(entry).toMatchObject({ actor: `partner:${p.partner.id}`, details: { reason: 'details_differ', existingStatus: 'verified' } });
    const text = JSON.stringify(entry);
    for (const pii of [owner.idNumber, 'Audit Probe', phone, owner.legalName]) expect(text).not.toContain(pii);
  });
});
