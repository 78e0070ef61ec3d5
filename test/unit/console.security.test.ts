import fc from 'fast-check';
import { originAllowed, tokensMatch } from '../../api/console/csrf';
import { maySeeInstitution, mayUseOperatorPages, type ConsoleAccount, type InstitutionRef } from '../../api/console/scope';
import { hashPassword, verifyPassword } from '../../platform/passwords';

/** The console's pure security parts: password hashing, the CSRF checks and the scoping rule. */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

describe('passwords (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('correct horse battery', CHEAP);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    await expect(verifyPassword('correct horse battery', h)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', h)).resolves.toBe(false);
    await expect(verifyPassword('', h)).resolves.toBe(false);
  });

  it('salts every hash, and the default cost is what OWASP recommends', async () => {
    const [a, b] = await Promise.all([hashPassword('same password!', CHEAP), hashPassword('same password!', CHEAP)]);
    expect(a).not.toBe(b);
    const real = await hashPassword('same password!');
    expect(real.split('$').slice(1, 4)).toEqual(['32768', '8', '3']);
    await expect(verifyPassword('same password!', real)).resolves.toBe(true);
  });

  it('treats Unicode forms of one password alike (NFKC)', async () => {
    const h = await hashPassword('caf\u00e9 au lait!', CHEAP);
    await expect(verifyPassword('cafe\u0301 au lait!', h)).resolves.toBe(true);
  });

  it('matches nothing against a malformed or absurd stored hash', async () => {
    const good = await hashPassword('x'.repeat(12), CHEAP);
    for (const bad of [
      '',
      'plain',
      good.replace('scrypt', 'bcrypt'),
      good.replace('$1024$', '$1000$'),
      good.replace('$1024$', `$${2 ** 24}$`),
    ])
      await expect(verifyPassword('x'.repeat(12), bad)).resolves.toBe(false);
  });
});

describe('CSRF token and Origin', () => {
  it('accepts only the exact token', () => {
    expect(tokensMatch('abc123', 'abc123')).toBe(true);
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.string(), (a, b) => tokensMatch(a, b) === (a === b)));
    expect(tokensMatch('abc', undefined)).toBe(false);
    expect(tokensMatch('abc', ['abc'])).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });

  it('accepts an Origin that names the host the request was sent to, and nothing else', () => {
    expect(originAllowed('http://localhost:8080', 'localhost:8080')).toBe(true);
    expect(originAllowed('https://console.example', 'console.example')).toBe(true);
    expect(originAllowed('http://LOCALHOST:8080', 'localhost:8080')).toBe(true);
    for (const [origin, host] of [
      [undefined, 'localhost:8080'],
      ['null', 'localhost:8080'],
      ['http://evil.example', 'localhost:8080'],
      ['http://localhost:8081', 'localhost:8080'],
      ['http://localhost:8080.evil.example', 'localhost:8080'],
      ['http://user@localhost:8080', 'localhost:8080'],
      ['http://localhost:8080/path', 'localhost:8080'],
      ['ftp://localhost:8080', 'localhost:8080'],
      ['http://localhost:8080', undefined],
    ] as const)
      expect(originAllowed(origin, host)).toBe(false);
  });
});

describe('who sees which institution', () => {
  const hospital: InstitutionRef = { id: 'h1', kind: 'hospital', districtId: null };
  const district: InstitutionRef = { id: 'd1', kind: 'district', districtId: null };
  const inDistrict: InstitutionRef = { id: 'm1', kind: 'merchant', districtId: 'd1' };
  const elsewhere: InstitutionRef = { id: 'm2', kind: 'merchant', districtId: 'd2' };
  const alone: InstitutionRef = { id: 'm3', kind: 'merchant', districtId: null };
  const staff = (id: string): ConsoleAccount => ({ role: 'institution_staff', institutionId: id });

  it('lets staff see their own institution only; a district also its own merchants', () => {
    expect(maySeeInstitution(staff('h1'), hospital)).toBe(true);
    expect(maySeeInstitution(staff('h1'), inDistrict)).toBe(false);
    expect(maySeeInstitution(staff('m1'), inDistrict)).toBe(true);
    expect(maySeeInstitution(staff('m1'), elsewhere)).toBe(false);
    expect(maySeeInstitution(staff('m1'), district)).toBe(false);
    expect(maySeeInstitution(staff('d1'), district)).toBe(true);
    expect(maySeeInstitution(staff('d1'), inDistrict)).toBe(true);
    expect(maySeeInstitution(staff('d1'), elsewhere)).toBe(false);
    expect(maySeeInstitution(staff('d1'), alone)).toBe(false);
    // A hospital whose id is a district's does not make its staff a district's.
    expect(maySeeInstitution(staff('d1'), { id: 'x', kind: 'hospital', districtId: 'd1' })).toBe(false);
  });

  it('gives operators the operator pages and no institution’s data; staff never the operator pages', () => {
    const operator: ConsoleAccount = { role: 'operator', institutionId: null };
    for (const i of [hospital, district, inDistrict]) expect(maySeeInstitution(operator, i)).toBe(false);
    expect(mayUseOperatorPages(operator)).toBe(true);
    expect(mayUseOperatorPages(staff('h1'))).toBe(false);
  });

  it('never lets staff see an institution that is neither theirs nor in their district', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-c]{1,2}$/),
        fc.stringMatching(/^[a-c]{1,2}$/),
        fc.constantFrom('hospital', 'transit', 'merchant', 'district'),
        fc.option(fc.stringMatching(/^[a-c]{1,2}$/)),
        (mine, id, kind, districtId) => {
          const seen = maySeeInstitution(staff(mine), { id, kind, districtId });
          expect(seen).toBe(id === mine || (kind === 'merchant' && districtId === mine));
        },
      ),
    );
  });
});
