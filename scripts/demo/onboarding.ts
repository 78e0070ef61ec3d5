import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { usccCheckCharacter } from '../../domain/retail/uscc';
import { checkCharacter } from '../../domain/residentId';
import type { RegistrySimulator } from '../../integrations/registry';

const Applied = z.object({ applicationId: z.string(), applicationToken: z.string() });
const Status = z.object({
  status: z.string(),
  merchantId: z.string().nullable().optional(),
  failedChecks: z.array(z.object({ check: z.string(), reason: z.string() })).default([]),
});
const Credentials = z.object({ merchantId: z.string(), hmacSecret: z.string() });

export interface DemoOnboardingOptions {
  apiUrl: string;
  operatorToken: string;
  registry: RegistrySimulator;
  districtId: string;
  uiUrl: string;
  say: (m: string) => void;
}

/**
 * A noodle bar joins the district through `merchant-onboarding/<application-id>`: the operator files
 * its application, the workflow checks the credit code offline and at the registry (the simulator knows
 * it from this step), the legal representative at the identity provider and the district, then issues
 * the till's credentials, which the merchant collects once with its application token.
 */
export async function onboardDemoMerchant(o: DemoOnboardingOptions): Promise<{ merchantId: string; secret: string }> {
  const call = async <T>(schema: z.ZodType<T>, method: string, path: string, token: string, body?: object): Promise<T> => {
    const res = await fetch(`${o.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return schema.parse(JSON.parse(text));
  };
  // A fresh, well-formed credit code per start: "91" (a company), Shanghai's division, nine random digits.
  const first17 = `91310115${Array.from(randomBytes(9), (b) => String(b % 10)).join('')}`;
  const uscc = first17 + usccCheckCharacter(first17);
  const idFirst17 = '31011519800615123';
  const representative = { name: 'Ma Lan', idNumber: idFirst17 + checkCharacter(idFirst17) };
  o.registry.register(uscc, { status: 'found', legalRepresentative: representative.name });

  const applied = await call(Applied, 'POST', '/v1/operator/merchant-applications', o.operatorToken, {
    requestId: `demo-${Date.now().toString(36)}`,
    uscc,
    legalRepresentative: representative,
    settlementAccount: '6222020200112233445',
    districtId: o.districtId,
    storeName: 'Lanzhou Noodle Bar',
    timeZone: 'Asia/Shanghai',
  });
  o.say(
    `retail: a noodle bar applies to join the district (credit code ${uscc}); follow merchant-onboarding/${applied.applicationId} in ${o.uiUrl}`,
  );
  const end = Date.now() + 60_000;
  for (;;) {
    const s = await call(Status, 'GET', `/v1/merchant-applications/${applied.applicationId}`, applied.applicationToken);
    if (s.status === 'active') break;
    if (['rejected', 'expired', 'review'].includes(s.status) || Date.now() > end)
      throw new Error(`the demo merchant's application ended ${s.status} ${JSON.stringify(s.failedChecks)}`);
    await sleep(300);
  }
  const creds = await call(Credentials, 'GET', `/v1/merchant-applications/${applied.applicationId}/credentials`, applied.applicationToken);
  o.say(
    `retail: checks passed (code, registry, legal representative, district); store ${creds.merchantId} open, till credentials collected once`,
  );
  return { merchantId: creds.merchantId, secret: creds.hmacSecret };
}
