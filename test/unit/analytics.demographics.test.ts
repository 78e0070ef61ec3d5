import { demographicsOf } from '../../domain/analytics/demographics';
import { checkCharacter } from '../../domain/residentId';
import { provinceNames } from '../../integrations/divisions/provinces';

const id = (first17: string) => first17 + checkCharacter(first17);
const today = new Date('2026-12-05T00:00:00Z');
const known = (code: string) => provinceNames().has(code);

it('derives an age band, a gender from the sequence parity and a province, and nothing else', () => {
  expect(demographicsOf(id('31011519800615123'), today, known)).toEqual({ ageBand: '45-59', gender: 'male', regionCode: '310000' });
  expect(demographicsOf(id('44010620010101002'), today, known)).toEqual({ ageBand: '18-29', gender: 'female', regionCode: '440000' });
  expect(demographicsOf(id('11010520150301005'), today, known)).toEqual({ ageBand: '0-17', gender: 'male', regionCode: '110000' });
});

it('counts birthdays exactly at the band edges', () => {
  expect(demographicsOf(id('31011519961205123'), today, known)?.ageBand).toBe('30-44'); // 30 today
  expect(demographicsOf(id('31011519961206123'), today, known)?.ageBand).toBe('18-29'); // 30 tomorrow
});

it('resolves provinces from the division data package, and says unknown for one it does not list', () => {
  expect(provinceNames().get('310000')).toBe('上海市');
  expect(provinceNames().size).toBeGreaterThanOrEqual(31);
  expect(demographicsOf(id('31011519800615123'), today, () => false)?.regionCode).toBe('unknown');
});

it('derives nothing from a malformed number', () => {
  const good = id('31011519800615123');
  expect(demographicsOf(good.slice(0, 17) + (good[17] === '1' ? '2' : '1'), today, known)).toBeNull();
  expect(demographicsOf('not a number', today, known)).toBeNull();
});
