import type { Request } from 'express';
import { reprocessInboxMessage, type InboundDispatch } from '../../integrations/hospital/inbound';
import type { ReprocessResult } from '../../integrations/hospital/inbound/types';
import type { ApiDeps } from '../deps';
import { audited } from '../http/operatorAudit';
import { institutionTimeZone } from './dispatch';

/**
 * An operator's replay of one stored inbound message, audited: the one code path behind
 * `POST /v1/operator/inbox/:id/reprocess` and the console's replay button. The request must carry
 * an operator principal (the bearer token's, or the console account's).
 */
export type InboxReplay = (req: Request, id: string) => Promise<ReprocessResult>;

export function inboxReplay(deps: Pick<ApiDeps, 'db' | 'pii' | 'logger'>, dispatch: InboundDispatch): InboxReplay {
  // Reprocessing reads timestamps without an offset in the hospital's own zone, as the intake did.
  const timeZoneOf = institutionTimeZone(deps.db);
  return (req, id) =>
    audited(
      deps.db,
      req,
      'inbox.replay',
      `inbox:${id}`,
      () => reprocessInboxMessage(deps.db, deps.pii, dispatch, id, { logger: deps.logger, timeZoneOf }),
      (x) => ({ status: x.status, attempts: x.attempts }),
    );
}
