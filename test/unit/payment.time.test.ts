import { parsePlatformTime, platformDate, toPlatformTime } from '../../integrations/payment/alipay/time';

describe('platform (Beijing, UTC+8) wall-clock time', () => {
  it.each([
    ['2024-05-13T09:49:20.000Z', '2024-05-13 17:49:20'],
    ['2024-05-13T16:00:00.000Z', '2024-05-14 00:00:00'], // crosses midnight in Beijing
    ['2023-12-31T15:59:59.000Z', '2023-12-31 23:59:59'],
    ['2024-02-28T20:30:00.000Z', '2024-02-29 04:30:00'], // leap day
  ])('%s ⇄ %s', (iso, wall) => {
    expect(toPlatformTime(iso)).toBe(wall);
    expect(toPlatformTime(new Date(iso))).toBe(wall);
    expect(parsePlatformTime(wall)).toBe(iso);
  });

  it('drops sub-second precision when formatting and keeps milliseconds when parsing', () => {
    expect(toPlatformTime('2024-05-13T09:49:20.987Z')).toBe('2024-05-13 17:49:20');
    expect(parsePlatformTime('2015-04-28 15:45:57.320')).toBe('2015-04-28T07:45:57.320Z');
  });

  it.each([
    '2024-02-30 10:00:00',
    '2024-13-01 00:00:00',
    '2024-05-13T17:49:20',
    '2024-05-13 17:49',
    ' 2024-05-13 17:49:20',
    '',
    '2024-05-13 24:00:00',
  ])('rejects %j', (text) => expect(parsePlatformTime(text)).toBeUndefined());

  it('names the Beijing service day of an instant', () => {
    expect(platformDate('2025-03-10T15:59:59Z')).toBe('2025-03-10');
    expect(platformDate('2025-03-10T16:00:00Z')).toBe('2025-03-11');
  });

  it('refuses an invalid instant', () => {
    expect(() => toPlatformTime('not a date')).toThrow('invalid instant');
  });
});
