import { z } from 'zod';
import { ANNOUNCEMENT_TEMPLATES } from '../../domain/notices/announcements';

const NOTICE_ID = /^\d{1,18}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export const NoticeStreamQuery = z
  .object({
    /** Only notices after this id (the newest the app has); the Last-Event-ID header, when present, wins. */
    after: z.string().regex(NOTICE_ID, 'a notice id').optional(),
    locale: z.enum(['zh-CN', 'en']).optional(),
  })
  .strict();

export const InstitutionIdParam = z.object({ institutionId: z.string().regex(ID, 'letters, digits, _ and - (1-64)') });

export const MuteView = z.object({ institutionId: z.string(), mutedAt: z.string() }).meta({ id: 'Mute' });
export const Unmuted = z.object({ institutionId: z.string(), muted: z.literal(false) }).meta({ id: 'Unmuted' });
export const MutesView = z.object({ mutes: z.array(MuteView) }).meta({ id: 'Mutes' });

const at = z.iso.datetime({ offset: true });
const window = { startsAt: at, endsAt: at };
const laterEnd = (d: { startsAt: string; endsAt: string }) => Date.parse(d.endsAt) > Date.parse(d.startsAt);

/**
 * An announcement names a template of the message catalogue and fills it with ids, times and amounts:
 * no field takes free text, so nothing personal can be sent through it.
 */
const announcementId = z.string().regex(ID, 'letters, digits, _ and - (1-64)');

export const AnnouncementRequest = z
  .discriminatedUnion('templateKey', [
    z
      .object({
        announcementId,
        templateKey: z.literal('service_closed'),
        data: z
          .object(window)
          .strict()
          .refine(laterEnd, { message: 'endsAt after startsAt', path: ['endsAt'] }),
      })
      .strict(),
    z
      .object({
        announcementId,
        templateKey: z.literal('new_department'),
        data: z.object({ departmentId: z.string().regex(ID, 'a department id'), startsAt: at }).strict(),
      })
      .strict(),
    z
      .object({
        announcementId,
        templateKey: z.literal('offer'),
        data: z
          .object({ ...window, amountMinor: z.number().int().min(1).max(100_000_000) })
          .strict()
          .refine(laterEnd, { message: 'endsAt after startsAt', path: ['endsAt'] }),
      })
      .strict(),
  ])
  .meta({ id: 'AnnouncementRequest' });
export type AnnouncementRequest = z.infer<typeof AnnouncementRequest>;

export const AnnouncementResult = z
  .object({
    announcementId: z.string(),
    templateKey: z.enum(ANNOUNCEMENT_TEMPLATES),
    /** Users the notice was written to (those with a journey at the institution who have not muted it). */
    recipients: z.number().int(),
    /** True when this announcement id was sent before: nothing was sent again. */
    replayed: z.boolean(),
  })
  .meta({ id: 'AnnouncementResult' });
