import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createMerchantOnboardingActivities } from '../../activities/merchantOnboarding';
import { readMerchantApplication } from '../../db/queries/merchantApplications';
import { collectCredentials, insertApplication } from '../../db/repositories/merchantApplications';
import type { RegistryAnswer } from '../../integrations/registry';
import { createTestIdNumber } from '../helpers/factories';
import { openTestDb } from '../helpers/db';
import { testPii } from '../helpers/retailFactories';

/** The onboarding activities against PostgreSQL, with in-process counterparts: retried, they change nothing. */
let db: DataSource;
const pii = testPii();
const answers = new Map<string, RegistryAnswer>();
let identityCalls = 0;

beforeAll(async () => {
  db = await openTestDb(8);
});
afterAll(async () => {
  await db?.destroy();
});

const activities = () =>
  createMerchantOnboardingActivities({
    db,
    secrets: pii,
    registry: { lookup: (uscc) => Promise.resolve(answers.get(uscc) ?? { status: 'not_found' }) },
    identity: {
      verify: () => {
        identityCalls++;
        return Promise.resolve('match');
      },
    },
  });

async function newApplication(over: { uscc?: string; repName?: string; districtId?: string } = {}): Promise<string> {
  const token = `mat_${randomUUID()}`;
  const stored = await insertApplication(db, {
    id: randomUUID(),
    requestId: `int-${randomUUID()}`,
    requestHash: randomUUID(),
    submittedBy: 'operator:test',
    uscc: over.uscc ?? '91350100M000100Y43',
    repNameEnc: pii.encrypt(over.repName ?? '张三丰'),
    repIdNumberEnc: pii.encrypt(createTestIdNumber()),
    settlementAccountEnc: pii.encrypt('6222020200112233445'),
    districtId: over.districtId ?? null,
    storeName: 'Int store',
    timeZone: 'Asia/Shanghai',
    tokenHash: randomUUID(),
    tokenEnc: pii.encrypt(token),
  });
  return stored.id;
}

const secretOf = async (applicationId: string): Promise<string> =>
  (
    await db.query<Array<{ hmac_secret_enc: string }>>('SELECT hmac_secret_enc FROM merchant_applications WHERE id = $1', [applicationId])
  )[0]?.hmac_secret_enc ?? '';

it('issues credentials and opens the store once, however often each step is retried', async () => {
  const a = activities();
  const applicationId = await newApplication();
  const first = await a.issueMerchantCredentials({ applicationId });
  const secret = await secretOf(applicationId);
  expect(await a.issueMerchantCredentials({ applicationId })).toEqual(first);
  const after = await secretOf(applicationId);
  expect(pii.decrypt(after)).toBe(pii.decrypt(secret));

  const opened = await Promise.all([a.activateMerchantStore({ applicationId }), a.activateMerchantStore({ applicationId })]);
  expect(opened).toEqual([first, first]);
  const institutions = await db.query<Array<{ kind: string; hmac_secret_enc: string }>>(
    'SELECT kind, hmac_secret_enc FROM institutions WHERE id = $1',
    [first.merchantId],
  );
  expect(institutions).toHaveLength(1);
  expect(institutions[0]?.kind).toBe('merchant');
  expect(pii.decrypt(institutions[0]?.hmac_secret_enc ?? '')).toBe(pii.decrypt(secret));

  // A late status write (a retried activity after the end) cannot move an active application.
  await a.recordApplicationStatus({ applicationId, status: 'rejected', failed: [{ check: 'district', reason: 'x' }] });
  expect((await readMerchantApplication(db, applicationId))?.view).toMatchObject({ status: 'active', failedChecks: [] });

  // The secret is handed over once, even to concurrent callers.
  const collected = await Promise.all(Array.from({ length: 5 }, () => collectCredentials(db, applicationId)));
  const got = collected.filter((c) => c !== undefined);
  expect(got).toHaveLength(1);
  expect(pii.decrypt(got[0]?.secretEnc ?? '')).toBe(pii.decrypt(secret));
});

it('answers each check by name with a reason code, never with the data it compared', async () => {
  const a = activities();
  answers.set('91110000600037341L', { status: 'found', legalRepresentative: '张三峰' });
  answers.set('91310000MA1FL4B24G', { status: 'revoked', legalRepresentative: '张三丰' });
  const close = await newApplication({ uscc: '91110000600037341L' });
  const revoked = await newApplication({ uscc: '91310000MA1FL4B24G', districtId: 'no-such-district' });
  const typo = await newApplication({ uscc: '91350100M000100Y44' });
  expect(await a.checkRegistry({ applicationId: close })).toEqual({ check: 'registry', outcome: 'review', reason: 'name_close' });
  expect(await a.checkRegistry({ applicationId: revoked })).toEqual({ check: 'registry', outcome: 'fail', reason: 'revoked' });
  expect(await a.checkDistrict({ applicationId: revoked })).toEqual({ check: 'district', outcome: 'fail', reason: 'unknown_district' });
  expect(await a.checkDistrict({ applicationId: close })).toEqual({ check: 'district', outcome: 'pass', reason: null });
  expect(await a.checkUsccFormat({ applicationId: typo })).toEqual({ check: 'uscc_format', outcome: 'fail', reason: 'check_character' });
  const before = identityCalls;
  expect(await a.checkLegalRepresentative({ applicationId: close })).toEqual({
    check: 'legal_representative',
    outcome: 'pass',
    reason: null,
  });
  expect(identityCalls).toBe(before + 1);
});
