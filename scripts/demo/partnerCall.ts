import type { z } from 'zod';

/** A call of the partner API as the demo's app makes it, for one user; the answer is parsed with `schema`. */
export type PartnerCall = <T>(schema: z.ZodType<T>, method: string, path: string, body?: object) => Promise<T>;

export function partnerCall(o: { apiUrl: string; partnerApiKey: string; userId: string }): PartnerCall {
  const headers = { authorization: `Bearer ${o.partnerApiKey}`, 'content-type': 'application/json', 'x-causeway-user': o.userId };
  return async (schema, method, path, body) => {
    const res = await fetch(`${o.apiUrl}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return schema.parse(JSON.parse(text));
  };
}
