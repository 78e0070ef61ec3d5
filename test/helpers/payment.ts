import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/errors';
import {
  startNotificationReceiver,
  startPaymentHarness,
  type NotificationReceiver,
  type PaymentHarness,
} from '../../integrations/payment/simulator';

/**
 * One payment simulator (behind the real SDK) and one notification receiver for a test file,
 * started before its tests and stopped after; `use` hands them to the file's variables.
 */
export function withPaymentHarness(
  options: Parameters<typeof startPaymentHarness>[0],
  use: (h: PaymentHarness, receiver: NotificationReceiver) => void,
): void {
  let h: PaymentHarness | undefined;
  let receiver: NotificationReceiver | undefined;
  beforeAll(async () => {
    h = await startPaymentHarness(options);
    receiver = await startNotificationReceiver();
    use(h, receiver);
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.stop();
  });
}

/** A fresh merchant order number with a recognisable prefix. */
export const tradeRef = (prefix: string): string => `${prefix}${randomUUID().replaceAll('-', '').slice(0, 20)}`;

/** The DomainError a call failed with; fails the test if it succeeded or failed otherwise. */
export async function rejection(p: Promise<unknown> | (() => unknown)): Promise<DomainError> {
  const err: unknown =
    typeof p === 'function'
      ? await Promise.resolve()
          .then(p)
          .then(
            () => undefined,
            (e: unknown) => e,
          )
      : await p.then(
          () => undefined,
          (e: unknown) => e,
        );
  if (!(err instanceof DomainError)) throw new Error(`expected DomainError, got ${String(err)}`);
  return err;
}
