import fc from 'fast-check';
import { NOTICE_KINDS, NOTICE_LOCALES, renderNotice } from '../../domain/notices/catalogue';

describe('renderNotice', () => {
  it('renders a booking in both languages, in the institution zone', () => {
    const slot = Date.UTC(2026, 11, 6, 1, 30); // 09:30 in Shanghai
    expect(renderNotice('booked', { slotStartMs: slot }, 'en')).toBe('Booked for Dec 6, 09:30. Please check in on arrival.');
    expect(renderNotice('booked', { slotStartMs: slot }, 'zh-CN')).toContain('09:30');
  });

  it('renders amounts from minor units and positions as numbers', () => {
    expect(renderNotice('cancelled', { refundMinor: 2500 }, 'en')).toBe('Appointment cancelled; CN¥25.00 refunded.');
    expect(renderNotice('turn_near', { position: 2, etaMinutes: 12 }, 'en')).toBe('Your turn is near: 2 ahead, about 12 minutes.');
  });

  it('names an unknown kind rather than failing, and never throws on odd data', () => {
    expect(renderNotice('day_charged', {}, 'en')).toBe('day_charged');
    fc.assert(
      fc.property(
        fc.constantFrom(...NOTICE_KINDS),
        fc.constantFrom(...NOTICE_LOCALES),
        fc.dictionary(fc.string(), fc.anything()),
        (kind, locale, data) => {
          expect(typeof renderNotice(kind, data, locale)).toBe('string');
        },
      ),
    );
  });
});
