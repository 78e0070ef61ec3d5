/**
 * The message catalogue of the service window: notices carry a kind and ids, times and amounts only,
 * and the words are rendered here (or by the partner app) in the reader's language. Amounts are minor
 * units of CNY; times are shown in the institution's zone (Asia/Shanghai for the demo's). An unknown
 * kind renders as its name, so a new kind never breaks an old reader.
 */

import { ANNOUNCEMENT_TEMPLATES, type AnnouncementTemplate } from './announcements';

export const NOTICE_LOCALES = ['zh-CN', 'en'] as const;
export type NoticeLocale = (typeof NOTICE_LOCALES)[number];

type Data = Readonly<Record<string, unknown>>;
type Render = (d: Data, fmt: Formatters) => string;

interface Formatters {
  money: (minor: unknown) => string;
  time: (ms: unknown) => string;
  num: (n: unknown) => string;
  id: (v: unknown) => string;
}

const CATALOGUE: Record<string, Record<NoticeLocale, Render>> = {
  booked: {
    'zh-CN': (d, f) => `预约成功：${f.time(d.slotStartMs)} 就诊，请按时到院签到。`,
    en: (d, f) => `Booked for ${f.time(d.slotStartMs)}. Please check in on arrival.`,
  },
  reminder: {
    'zh-CN': (d, f) => `就诊提醒：您的号在 ${f.time(d.slotStartMs)}。`,
    en: (d, f) => `Reminder: your appointment is at ${f.time(d.slotStartMs)}.`,
  },
  turn_near: {
    'zh-CN': (d, f) => `快到您了：前面还有 ${f.num(d.position)} 位，约 ${f.num(d.etaMinutes)} 分钟。`,
    en: (d, f) => `Your turn is near: ${f.num(d.position)} ahead, about ${f.num(d.etaMinutes)} minutes.`,
  },
  results_ready: {
    'zh-CN': (d, f) => `检查结果已出（${f.id(d.orderId)}），可在应用内查看。`,
    en: (d, f) => `Results are ready (${f.id(d.orderId)}); open the app to read them.`,
  },
  cancelled: {
    'zh-CN': (d, f) => `预约已取消，退款 ${f.money(d.refundMinor)}。`,
    en: (d, f) => `Appointment cancelled; ${f.money(d.refundMinor)} refunded.`,
  },
  not_seen: {
    'zh-CN': (d, f) => `今日未能就诊，挂号费 ${f.money(d.refundMinor)} 已全额退回。`,
    en: (d, f) => `You could not be seen today; the fee of ${f.money(d.refundMinor)} is refunded in full.`,
  },
  no_show: {
    'zh-CN': () => '您未按时签到，本次预约已失效。',
    en: () => 'You did not check in in time; the appointment has lapsed.',
  },
  slot_rejected: {
    'zh-CN': () => '医院未能保留该号源，请重新选择时间。',
    en: () => 'The hospital could not hold that slot; please choose another time.',
  },
  retail_receipt: {
    'zh-CN': (d, f) => `消费凭证（${f.id(d.orderRef)}）：实付 ${f.money(d.amountMinor)}，待入账积分 ${f.num(d.pointsPending)}。`,
    en: (d, f) => `Receipt ${f.id(d.orderRef)}: paid ${f.money(d.amountMinor)}; ${f.num(d.pointsPending)} points pending.`,
  },
  coupon_expiring: {
    'zh-CN': (d, f) => `您有 ${f.num(d.count)} 张优惠券将于 ${f.time(d.endsAtMs)} 到期，请尽快使用。`,
    en: (d, f) => `${f.num(d.count)} of your coupons expire on ${f.time(d.endsAtMs)}; use them before then.`,
  },
  points_expiring: {
    'zh-CN': (d, f) => `您有 ${f.num(d.points)} 积分将于 ${f.time(d.expiresAtMs)} 过期，请尽快使用。`,
    en: (d, f) => `${f.num(d.points)} of your points expire on ${f.time(d.expiresAtMs)}; spend them before then.`,
  },
  announcement: {
    'zh-CN': (d, f) => announcement(d, 'zh-CN', f),
    en: (d, f) => announcement(d, 'en', f),
  },
};

/** An institution's announcements, one entry per template (domain/notices/announcements.ts). */
const ANNOUNCEMENTS: Record<AnnouncementTemplate, Record<NoticeLocale, Render>> = {
  service_closed: {
    'zh-CN': (d, f) => `${f.time(d.startsAtMs)} 至 ${f.time(d.endsAtMs)} 暂停服务，给您带来不便，敬请谅解。`,
    en: (d, f) => `Closed from ${f.time(d.startsAtMs)} to ${f.time(d.endsAtMs)}. We apologise for the inconvenience.`,
  },
  new_department: {
    'zh-CN': (d, f) => `新科室 ${f.id(d.departmentId)} 将于 ${f.time(d.startsAtMs)} 开诊，欢迎预约。`,
    en: (d, f) => `A new department, ${f.id(d.departmentId)}, opens on ${f.time(d.startsAtMs)}; bookings are open.`,
  },
  offer: {
    'zh-CN': (d, f) => `优惠：${f.time(d.startsAtMs)} 至 ${f.time(d.endsAtMs)} 立减 ${f.money(d.amountMinor)}。`,
    en: (d, f) => `Offer: ${f.money(d.amountMinor)} off from ${f.time(d.startsAtMs)} to ${f.time(d.endsAtMs)}.`,
  },
};

const isTemplate = (v: unknown): v is AnnouncementTemplate => ANNOUNCEMENT_TEMPLATES.some((t) => t === v);

function announcement(d: Data, locale: NoticeLocale, f: Formatters): string {
  return isTemplate(d.templateKey) ? ANNOUNCEMENTS[d.templateKey][locale](d, f) : 'announcement';
}

function formatters(locale: NoticeLocale, timeZone: string): Formatters {
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY' });
  const time = new Intl.DateTimeFormat(locale, {
    timeZone,
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  return {
    money: (minor) => (typeof minor === 'number' && Number.isFinite(minor) ? money.format(minor / 100) : '—'),
    time: (ms) => (typeof ms === 'number' && Number.isFinite(ms) ? time.format(new Date(ms)) : '—'),
    num: (n) => (typeof n === 'number' && Number.isFinite(n) ? String(n) : '?'),
    id: (v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '—'),
  };
}

/** The notice in words, in `locale`; times in `timeZone`. */
export function renderNotice(kind: string, data: Data, locale: NoticeLocale, timeZone = 'Asia/Shanghai'): string {
  const entry = CATALOGUE[kind];
  return entry ? entry[locale](data, formatters(locale, timeZone)) : kind;
}

export const NOTICE_KINDS = Object.keys(CATALOGUE);
