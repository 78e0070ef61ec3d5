import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { HisGateway } from '../integrations/hospital/gateway/types';
import type { IdentityProvider } from '../integrations/identity/provider';
import type { PaymentProvider } from '../integrations/payment/provider';
import type { CompanyRegistry } from '../integrations/registry/provider';
import { createBookingReaperActivities } from './bookingReaper';
import { createHospitalActivities } from './hospital';
import { createIdentityActivities } from './identity';
import { createMerchantOnboardingActivities } from './merchantOnboarding';
import { createNotifier } from './notifications';
import { createPaymentActivities } from './payment';
import { createReconciliationActivities } from './reconciliation';
import { createRetailActivities } from './retail';
import { createRetailMembershipActivities } from './retailMembership';
import { createTransitActivities } from './transit';
import { createTransitEnrolmentActivities } from './transitEnrolment';
import { createTransitSettlementActivities } from './transitSettlement';

export interface ActivityDeps {
  db: DataSource;
  payments: PaymentProvider;
  identity: IdentityProvider;
  registry: CompanyRegistry;
  secrets: { encrypt(plaintext: string): string; decrypt(ciphertext: string): string };
  /** Where the payment platform posts its notifications (the API's public URL). */
  notifyUrl: string;
  his: (institutionId: string) => Promise<HisGateway>;
  temporal: Client;
  taskQueue: string;
}

/** Every activity the worker registers, built over injected adapters (tests swap adapters, not modules). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPaymentActivities({ db: deps.db, payments: deps.payments, notifyUrl: deps.notifyUrl }),
    ...createIdentityActivities({ db: deps.db, identity: deps.identity, secrets: deps.secrets }),
    ...createReconciliationActivities({ db: deps.db, payments: deps.payments }),
    ...createBookingReaperActivities({ db: deps.db, temporal: deps.temporal }),
    ...createTransitActivities({ db: deps.db }),
    ...createTransitSettlementActivities({ db: deps.db, payments: deps.payments, notifyUrl: deps.notifyUrl }),
    ...createTransitEnrolmentActivities({ db: deps.db, payments: deps.payments }),
    ...createMerchantOnboardingActivities({ db: deps.db, registry: deps.registry, identity: deps.identity, secrets: deps.secrets }),
    ...createRetailActivities({ db: deps.db, payments: deps.payments, notifier: createNotifier(deps.db) }),
    ...createRetailMembershipActivities({ db: deps.db }),
    ...createHospitalActivities({
      db: deps.db,
      his: deps.his,
      notifier: createNotifier(deps.db),
      temporal: deps.temporal,
      taskQueue: deps.taskQueue,
    }),
  };
}
export type Activities = ReturnType<typeof createActivities>;
