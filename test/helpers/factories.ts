import { randomUUID } from 'node:crypto';
import { checkCharacter } from '../../domain/residentId';
import type { CollectPaymentInput } from '../../workflows/payment/types';

/** A fresh valid resident ID number (random birth date and sequence, correct check character). */
export function createTestIdNumber(): string {
  const year = 1960 + Math.floor(Math.random() * 40);
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0');
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  const base = `440106${year}${month}${day}${seq}`;
  return base + checkCharacter(base);
}

/** A payment saga input for a fresh order: `prefix` keeps each test file's merchant order numbers apart. */
export function createTestPaymentInput(opts: { amountMinor: number; deadlineInMs: number; prefix: string }): CollectPaymentInput {
  const ref = randomUUID().replace(/-/g, '').slice(0, 20);
  return {
    version: 1,
    outTradeNo: `${opts.prefix}_${ref}`,
    journeyId: `test/${ref}`,
    step: 'registration',
    institutionId: 'test-hospital',
    userRef: 'u_test',
    amountMinor: opts.amountMinor,
    currency: 'CNY',
    subject: 'Registration fee',
    deadlineMs: Date.now() + opts.deadlineInMs,
  };
}
