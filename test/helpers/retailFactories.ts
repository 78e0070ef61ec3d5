import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { insertVerifiedUsers } from '../../bench/lib/seed';
import { createCampaign, type CampaignRow, type NewCampaign } from '../../db/repositories/retailCampaigns';
import { PiiCipher } from '../../platform/pii';
import { TEST_KEYS } from './platform';

export const testPii = () => new PiiCipher({ keys: { t1: TEST_KEYS.pii }, activeKeyId: 't1', hmacKey: TEST_KEYS.piiHmac });

/** A merchant (or district) institution, signed with `secret`; its id is fresh. */
export async function createTestMerchant(
  db: DataSource,
  pii: PiiCipher,
  opts: { kind?: 'merchant' | 'district'; secret?: string; settings?: Record<string, unknown> } = {},
): Promise<string> {
  const id = `${opts.kind === 'district' ? 'd' : 'm'}${randomUUID().slice(0, 8)}`;
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, $2, $3, 'Asia/Shanghai', $4, $5)`,
    [
      id,
      opts.kind ?? 'merchant',
      `Test ${opts.kind ?? 'merchant'}`,
      pii.encrypt(opts.secret ?? 'merchant-secret'),
      JSON.stringify(opts.settings ?? {}),
    ],
  );
  return id;
}

/** Verified users of a new partner (real rows; their PII is synthetic). */
export async function createTestShoppers(db: DataSource, pii: PiiCipher, count: number): Promise<string[]> {
  const partnerId = `rp-${randomUUID().slice(0, 8)}`;
  await db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [partnerId, 'Retail test', randomUUID()]);
  return insertVerifiedUsers(db, pii, partnerId, count, randomUUID().slice(0, 6));
}

export function testCampaign(funderId: string, merchantIds: string[], over: Partial<NewCampaign> = {}): NewCampaign {
  return {
    funderId,
    name: 'Autumn coupon',
    value: { kind: 'fixed', value: 500, maxDiscountMinor: null, minSpendMinor: 2_000, categories: [] },
    merchantIds,
    belowMinimum: 'claw_back',
    validFrom: new Date(Date.now() - 3_600_000),
    validUntil: new Date(Date.now() + 30 * 86_400_000),
    timeZone: 'Asia/Shanghai',
    budget: { moneyMinor: 100_000, count: 1_000, dailyMoneyMinor: null, perUser: 1 },
    ...over,
  };
}

export async function createTestCampaign(db: DataSource, c: NewCampaign): Promise<CampaignRow> {
  return createCampaign(db, c);
}
