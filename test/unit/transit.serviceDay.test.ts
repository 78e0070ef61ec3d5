import { transitServiceDayEnd, transitServiceDayOf } from '../../domain/transit/serviceDay';

/** Service days start at the operator's boundary (04:30 by default), in its zone. */
describe('transit service day', () => {
  it('puts a ride before 04:30 local time on the evening before', () => {
    // 2026-12-07 04:29 and 04:30 in Shanghai (UTC+8).
    expect(transitServiceDayOf(Date.parse('2026-12-06T20:29:59Z'), 'Asia/Shanghai')).toBe('2026-12-06');
    expect(transitServiceDayOf(Date.parse('2026-12-06T20:30:00Z'), 'Asia/Shanghai')).toBe('2026-12-07');
    // 00:10 on 1 January belongs to New Year's Eve.
    expect(transitServiceDayOf(Date.parse('2026-12-31T16:10:00Z'), 'Asia/Shanghai')).toBe('2026-12-31');
  });

  it('follows an operator boundary other than the default', () => {
    expect(transitServiceDayOf(Date.parse('2026-12-06T20:29:59Z'), 'Asia/Shanghai', '03:00')).toBe('2026-12-07');
    expect(transitServiceDayOf(Date.parse('2026-12-06T18:59:59Z'), 'Asia/Shanghai', '03:00')).toBe('2026-12-06');
  });

  it('ends a day at the boundary of the next, following the clocks across a DST change', () => {
    expect(new Date(transitServiceDayEnd('2026-12-06', 'Asia/Shanghai')).toISOString()).toBe('2026-12-06T20:30:00.000Z');
    // London: clocks go forward on 2026-03-29 at 01:00 GMT, so 04:30 that morning is 03:30 UTC.
    expect(new Date(transitServiceDayEnd('2026-03-28', 'Europe/London')).toISOString()).toBe('2026-03-29T03:30:00.000Z');
    expect(new Date(transitServiceDayEnd('2026-03-27', 'Europe/London')).toISOString()).toBe('2026-03-28T04:30:00.000Z');
  });
});
