import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { checkSender, normaliseAddress, type SenderInstitution } from '../../domain/hospital/senderPolicy';
import type { InboundMeta, SenderCheck } from '../../integrations/hospital/inbound';

const Settings = z.object({ mllpAllowedSources: z.array(z.string()).default([]) }).loose();

/**
 * The MLLP listener's sender check over the institutions table: the hospital's registered sources
 * are `settings.mllpAllowedSources` plus the addresses of its MLLP host (the HIS usually sends from
 * the machine we send to). Looked up at most once a minute per hospital.
 */
export function createSenderCheck(db: Pick<DataSource, 'query'>, opts: { cacheMs?: number; now?: () => number } = {}): SenderCheck {
  const cacheMs = opts.cacheMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; institution: SenderInstitution | undefined }>();

  async function addressesOf(host: string | null): Promise<string[]> {
    if (!host) return [];
    if (isIP(host)) return [host];
    return (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  }

  type Row = { id: string; kind: string; mllp_host: string | null; settings: unknown };
  const toInstitution = async (row: Row): Promise<SenderInstitution> => ({
    id: row.id,
    kind: row.kind,
    allowedAddresses: [
      ...Settings.catch({ mllpAllowedSources: [] }).parse(row.settings ?? {}).mllpAllowedSources,
      ...(await addressesOf(row.mllp_host)),
    ],
  });

  async function institutionOf(id: string): Promise<SenderInstitution | undefined> {
    const hit = cache.get(id);
    if (hit && now() - hit.at < cacheMs) return hit.institution;
    const rows: Row[] = await db.query('SELECT id, kind, mllp_host, settings FROM institutions WHERE id = $1', [id]);
    const institution = rows[0] && (await toInstitution(rows[0]));
    cache.set(id, { at: now(), institution });
    return institution;
  }

  /**
   * The hospital a connection comes from, for a message whose MSH-4 cannot be read: only when the
   * connection proves exactly one. Hospitals behind one NAT address share it, and picking one of
   * them would file another hospital's message (and its control id) under it.
   */
  async function hospitalAt(meta: InboundMeta): Promise<{ id: string } | { reason: string }> {
    const claimed = meta.authenticatedInstitution ?? meta.peerCertificateCn;
    if (claimed) return { id: claimed };
    const rows: Array<{ id: string }> = await db.query("SELECT id FROM institutions WHERE kind = 'hospital' ORDER BY id");
    const from = normaliseAddress(meta.remoteAddress);
    const matches: string[] = [];
    for (const { id } of rows) {
      // Through the same cache as named senders: no DNS lookup per hospital per unreadable message.
      if ((await institutionOf(id))?.allowedAddresses.some((a) => normaliseAddress(a) === from)) matches.push(id);
    }
    const [only] = matches;
    if (only !== undefined && matches.length === 1) return { id: only };
    return {
      reason:
        matches.length === 0
          ? 'MSH-4 (sending facility) is unreadable and the source is not a registered hospital'
          : 'MSH-4 (sending facility) is unreadable and the source address is registered for several hospitals',
    };
  }

  return async (facility, meta) => {
    // Unreadable MSH-4 from the one hospital a connection proves is still that hospital's message: it
    // is stored (failed) for reprocessing like any malformed one. Otherwise it is refused, not stored.
    if (facility) return checkSender(facility, await institutionOf(facility), meta);
    const at = await hospitalAt(meta);
    if ('reason' in at) return { ok: false, reason: at.reason };
    return checkSender(at.id, await institutionOf(at.id), meta);
  };
}

/**
 * The MLLP listener's accept-time gate: a connection is read only when its source address is
 * registered for some hospital. The set is reloaded at most every `cacheMs`, and on a miss at most
 * once per `missRefreshMs`, so a newly registered hospital is admitted at once while an unknown
 * peer reconnecting in a loop costs one query a second, not one per connection.
 */
export function createSourceAllowList(
  db: Pick<DataSource, 'query'>,
  opts: { cacheMs?: number; missRefreshMs?: number; now?: () => number } = {},
): (remoteAddress: string) => Promise<boolean> {
  const cacheMs = opts.cacheMs ?? 30_000;
  const missRefreshMs = opts.missRefreshMs ?? 1_000;
  const now = opts.now ?? Date.now;
  let loaded: { at: number; addresses: Set<string> } | undefined;
  let loading: Promise<Set<string>> | undefined;

  async function load(): Promise<Set<string>> {
    const rows: Array<{ mllp_host: string | null; settings: unknown }> = await db.query(
      "SELECT mllp_host, settings FROM institutions WHERE kind = 'hospital'",
    );
    const addresses = new Set<string>();
    for (const row of rows) {
      for (const a of Settings.catch({ mllpAllowedSources: [] }).parse(row.settings ?? {}).mllpAllowedSources) {
        addresses.add(normaliseAddress(a));
      }
      if (row.mllp_host && isIP(row.mllp_host)) addresses.add(normaliseAddress(row.mllp_host));
      else if (row.mllp_host)
        for (const a of await lookup(row.mllp_host, { all: true }).catch(() => [])) addresses.add(normaliseAddress(a.address));
    }
    loaded = { at: now(), addresses };
    return addresses;
  }

  // Concurrent connections share one reload.
  const reload = (): Promise<Set<string>> => (loading ??= load().finally(() => (loading = undefined)));

  return async (remoteAddress) => {
    const from = normaliseAddress(remoteAddress);
    const age = loaded === undefined ? Number.POSITIVE_INFINITY : now() - loaded.at;
    if (loaded !== undefined && age < cacheMs && loaded.addresses.has(from)) return true;
    if (loaded !== undefined && age < missRefreshMs) return loaded.addresses.has(from);
    return (await reload()).has(from);
  };
}
