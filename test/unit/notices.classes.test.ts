import { isMutable, noticeClass, ESSENTIAL_NOTICE_KINDS, MARKETING_NOTICE_KINDS } from '../../domain/notices/classes';
import { NOTICE_KINDS, renderNotice } from '../../domain/notices/catalogue';

describe('noticeClass', () => {
  it('classes every kind a journey writes as essential: none of them can be muted', () => {
    for (const kind of [
      'booked',
      'reminder',
      'turn_near',
      'results_ready',
      'cancelled',
      'visit_failed',
      'not_seen',
      'no_show',
      'slot_rejected',
    ]) {
      expect(noticeClass(kind)).toBe('essential');
      expect(isMutable(kind)).toBe(false);
    }
  });

  it("classes an announcement and a funder's coupon reminder as marketing, the only mutable kinds", () => {
    for (const kind of ['announcement', 'coupon_expiring', 'points_expiring']) {
      expect(noticeClass(kind)).toBe('marketing');
      expect(isMutable(kind)).toBe(true);
    }
    expect(MARKETING_NOTICE_KINDS).toEqual(['announcement', 'coupon_expiring', 'points_expiring']);
  });

  it('treats a kind nobody classified (a future transit charge or debt) as essential, so it is never muted by accident', () => {
    for (const kind of ['day_charged', 'debt_opened', 'Announcement', 'announcement ', '']) expect(noticeClass(kind)).toBe('essential');
  });

  it('classes every kind in the message catalogue, and no kind is both', () => {
    const essential = new Set<string>(ESSENTIAL_NOTICE_KINDS);
    for (const kind of MARKETING_NOTICE_KINDS) expect(essential.has(kind)).toBe(false);
    for (const kind of NOTICE_KINDS) expect(['essential', 'marketing']).toContain(noticeClass(kind));
    const marketing = new Set<string>(MARKETING_NOTICE_KINDS);
    for (const kind of NOTICE_KINDS.filter((k) => !marketing.has(k))) expect(essential.has(kind)).toBe(true);
  });
});

describe('announcement words', () => {
  const starts = Date.UTC(2026, 11, 24, 1); // 09:00 in Shanghai
  const ends = Date.UTC(2026, 11, 26, 10); // 18:00
  it('renders each template in both languages from ids, times and amounts', () => {
    expect(renderNotice('announcement', { templateKey: 'service_closed', startsAtMs: starts, endsAtMs: ends }, 'en')).toBe(
      'Closed from Dec 24, 09:00 to Dec 26, 18:00. We apologise for the inconvenience.',
    );
    expect(renderNotice('announcement', { templateKey: 'offer', amountMinor: 500, startsAtMs: starts, endsAtMs: ends }, 'en')).toBe(
      'Offer: CN¥5.00 off from Dec 24, 09:00 to Dec 26, 18:00.',
    );
    expect(renderNotice('announcement', { templateKey: 'new_department', departmentId: 'DERM', startsAtMs: starts }, 'zh-CN')).toContain(
      'DERM',
    );
  });

  it('names an unknown template rather than failing', () => {
    expect(renderNotice('announcement', { templateKey: 'free_text' }, 'en')).toBe('announcement');
    expect(renderNotice('announcement', {}, 'zh-CN')).toBe('announcement');
  });
});
