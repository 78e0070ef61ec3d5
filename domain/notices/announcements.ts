/**
 * What an institution may announce to its users: a closed list of templates whose words live in the
 * message catalogue, filled with ids, times and amounts only. No free text is accepted, so nothing
 * personal (or anything else unreviewed) can reach a user's inbox through an announcement.
 */
export const ANNOUNCEMENT_TEMPLATES = ['service_closed', 'new_department', 'offer'] as const;
export type AnnouncementTemplate = (typeof ANNOUNCEMENT_TEMPLATES)[number];

/** The journey id an announcement's notices are filed under; its second part is the institution, like every journey's. */
export function announcementJourneyId(institutionId: string, announcementId: string): string {
  return `announcement/${institutionId}/${announcementId}`;
}
