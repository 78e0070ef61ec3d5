import type { NoticeRow } from '../../db/queries/userInbox';
import { renderNotice, type NoticeLocale } from '../../domain/notices/catalogue';

/** A notice as partner apps see it (the list and the stream alike), with its words when a locale was asked for. */
export function noticeView(n: NoticeRow, locale: NoticeLocale | undefined) {
  return {
    noticeId: n.id,
    institutionId: n.institution_id,
    journeyId: n.journey_id,
    kind: n.kind,
    data: n.data,
    createdAt: n.created_at.toISOString(),
    readAt: n.read_at?.toISOString() ?? null,
    ...(locale ? { text: renderNotice(n.kind, n.data, locale) } : {}),
  };
}
