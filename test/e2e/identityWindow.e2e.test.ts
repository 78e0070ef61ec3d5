import { workflowIds } from '../../domain/ids';
import { createTestIdNumber as newIdNumber } from '../helpers/factories';
import { recordHistory } from '../helpers/histories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

/**
 * The identity provider stays down for the whole verification window (a few seconds here, a day by
 * default): the registration ends in a named state with a reason, not `pending` with nothing running.
 */
let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform({ env: { IDENTITY_VERIFY_WINDOW_MS: '4000' } });
});
afterAll(async () => {
  await p?.stop();
});

async function call(
  method: string,
  path: string,
  body?: object,
  userId?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${p.partner.apiKey}`,
      'content-type': 'application/json',
      ...(userId ? { 'x-causeway-user': userId } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('identity verification window', () => {
  it('marks the user unverified, with a reason, when the provider is down for the whole window; a later verification still succeeds', async () => {
    p.identitySim.setDown(true);
    const reg = await call('POST', '/v1/users', { legalName: 'Sun Qi', idNumber: newIdNumber(), phone: '13500000000' });
    expect(reg.status).toBe(202);
    const userId = String(reg.body.userId);
    const handle = p.services.temporal.workflow.getHandle(workflowIds.identity(userId));
    expect(await handle.result()).toBe('unverified');
    expect(p.identitySim.calls).toBeGreaterThan(0);
    expect((await call('GET', '/v1/users/me', undefined, userId)).body).toMatchObject({ identityStatus: 'unverified' });
    const [row] = await p.services.db.query('SELECT identity_status, identity_reason FROM users WHERE id = $1', [userId]);
    expect(row).toEqual({ identity_status: 'unverified', identity_reason: expect.stringContaining('register again') });
    await recordHistory(handle, 'unverified-provider-down');

    // The provider is back: verifying again (a new run for the same user) decides the user.
    p.identitySim.setDown(false);
    const again = await p.services.temporal.workflow.execute('verifyIdentity', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.identity(userId),
      args: [{ version: 1, userId }],
    });
    expect(again).toBe('verified');
    expect((await call('GET', '/v1/users/me', undefined, userId)).body).toMatchObject({ identityStatus: 'verified' });
  }, 60_000);
});
