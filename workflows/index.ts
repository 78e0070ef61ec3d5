// The workflow barrel the worker bundles. Only deterministic code is reachable from here.
export { collectPayment } from './payment/collect';
export { latePaymentRefund } from './payment/lateRefund';
export { verifyIdentity } from './identity/verify';
export { dailyReconciliation } from './reconciliation/daily';
export { doctorQueue } from './hospital/queue/workflow';
export { hospitalVisit } from './hospital/visit/workflow';
export { reapOrphanBookingsWorkflow } from './hospital/reaper';
export { sweepAbandonedVisits } from './hospital/sweep/workflow';
export { transitRiderDay } from './transit/riderDay/workflow';
export { retailOrder } from './retail/order/workflow';
export { merchantOnboarding } from './retail/onboarding/workflow';
export { retailMembershipSweep } from './retail/membership/workflow';
