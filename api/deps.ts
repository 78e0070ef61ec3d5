import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { ChangeFeed } from '../db/changeFeed';
import type { IdentityProvider } from '../integrations/identity/provider';
import type { PaymentProvider } from '../integrations/payment/provider';
import type { Env } from '../platform/config';
import type { PiiCipher } from '../platform/pii';
import type { PartnerLimits } from './http/limits';

/** Everything the HTTP layer needs, built once by the entry point (or a test) and passed in. */
export interface ApiDeps {
  config: Env;
  logger: Logger;
  db: DataSource;
  temporal: Client;
  metrics: Registry;
  pii: PiiCipher;
  payments: PaymentProvider;
  codec: PayloadCodec;
  identity: IdentityProvider;
  limits: PartnerLimits;
  /** Read-model change notifications, fanned out to this process's event streams. */
  changes: ChangeFeed;
  now?: () => number;
  /** Where the payment platform reaches this API (notify URLs); set once the server listens. */
  publicBaseUrl?: string;
}
