import { DomainError, ErrorCode } from '../../../domain/errors';

/**
 * The platform speaks Beijing wall-clock time ("2024-05-13 17:49:20", UTC+8, no DST) in every
 * request, response, notification and bill. We keep UTC ISO strings inside Causeway and convert
 * only here. Shared by the adapter and the simulator; the unit tests pin fixed values so a bug
 * cannot hide by being mirrored on both sides.
 */
const OFFSET_MS = 8 * 60 * 60 * 1000;
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?$/;

/** Date or ISO instant → "yyyy-MM-dd HH:mm:ss" in Beijing time. */
export function toPlatformTime(instant: Date | string): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (Number.isNaN(ms)) throw new DomainError(ErrorCode.ValidationFailed, 'invalid instant');
  const iso = new Date(ms + OFFSET_MS).toISOString(); // shifted so the UTC fields read as Beijing
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/**
 * "yyyy-MM-dd HH:mm:ss" Beijing time → ISO-8601 UTC; undefined for malformed input. Refund
 * notifications carry milliseconds ("… 15:45:57.320"), so those are accepted too.
 */
export function parsePlatformTime(text: string): string | undefined {
  const m = WALL_CLOCK.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m.map((part) => Number(part ?? 0));
  const utc = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0, ms ?? 0);
  const date = new Date(utc - OFFSET_MS);
  // Reject calendar overflow such as 2024-02-31, which Date.UTC would silently roll over.
  if (toPlatformTime(date) !== text.slice(0, 19)) return undefined;
  return date.toISOString();
}

/** The platform's service day ("yyyy-MM-dd", Beijing) that an instant falls on. */
export function platformDate(instant: Date | string): string {
  return toPlatformTime(instant).slice(0, 10);
}
