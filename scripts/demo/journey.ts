import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { DevKeys } from './devKeys';
import type { DemoSimulators } from './simulators';

const UserView = z.object({ userId: z.string(), identityStatus: z.string(), legalName: z.string(), idNumber: z.string() });

/** A valid GB 11643 number for a demo person (check character computed, not a real person). */
export const DEMO_ID_NUMBER = '11010519491231002X';

/**
 * Drives one journey through the public HTTP API, as a partner app would, and says what to look at.
 */
export async function runDemoJourney(opts: {
  apiUrl: string;
  keys: DevKeys;
  sims: DemoSimulators;
  uiUrl: string;
  say: (m: string) => void;
}): Promise<{ userId: string; verified: boolean }> {
  const { apiUrl, keys, say } = opts;
  const headers = { authorization: `Bearer ${keys.partnerApiKey}`, 'content-type': 'application/json' };
  const res = await fetch(`${apiUrl}/v1/users`, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': 'demo-user-1' },
    body: JSON.stringify({ legalName: 'Demo Patient', idNumber: DEMO_ID_NUMBER, phone: '13800138000' }),
  });
  if (res.status >= 400) throw new Error(`register user: ${res.status} ${await res.text()}`);
  const user = UserView.parse(await res.json());
  say(`demo user registered: ${user.userId} (${user.legalName}, ${user.idNumber}) — identity ${user.identityStatus}`);
  for (let i = 0; i < 20; i++) {
    const me = UserView.parse(
      await (await fetch(`${apiUrl}/v1/users/me`, { headers: { ...headers, 'x-causeway-user': user.userId } })).json(),
    );
    if (me.identityStatus !== 'pending') {
      say(`identity ${me.identityStatus}; see workflow identity/${user.userId} in ${opts.uiUrl}`);
      return { userId: user.userId, verified: me.identityStatus === 'verified' };
    }
    await sleep(500);
  }
  say('identity still pending (the provider may be slow); the workflow keeps retrying');
  return { userId: user.userId, verified: false };
}
