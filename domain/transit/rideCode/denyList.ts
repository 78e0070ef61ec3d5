import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { openSignedText, signText } from './signedText';

/**
 * Signed deny-list deltas: how gates learn which pseudonyms to refuse (riders in debt) and which
 * to let through again (debt paid). Causeway numbers every change per operator; a delta carries the
 * net state of each pseudonym changed in (fromVersion, version], signed by the operator's root key
 * like the issuer key sets. A gate applies a delta only when it starts at or before the version it
 * holds and ends after it, so a replayed or reordered delta never undoes a newer one, and a gap
 * (a delta starting after what the gate holds) is refused: the gate asks again from its version.
 */

const CONTEXT = Buffer.from('causeway deny list delta v1\u0000');

export interface DenyListDelta {
  operatorId: string;
  fromVersion: number;
  version: number;
  /** Pseudonyms refused at `version`. */
  add: string[];
  /** Pseudonyms let through again at `version`. */
  remove: string[];
}

const Payload = z
  .object({
    operatorId: z.string().min(1),
    fromVersion: z.number().int().min(0),
    version: z.number().int().positive(),
    add: z.array(z.string().min(1).max(128)).max(100_000),
    remove: z.array(z.string().min(1).max(128)).max(100_000),
  })
  .refine((d) => d.version > d.fromVersion, { message: 'version must follow fromVersion' });

/** In the root-signed envelope of signedText.ts. */
export function signDenyListDelta(delta: DenyListDelta, rootPrivateKey: KeyObject): string {
  return signText(CONTEXT, Payload.parse(delta), rootPrivateKey);
}

export type DenyListResult =
  { ok: true; delta: DenyListDelta } | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_operator' | 'not_newer' | 'gap' };

export function verifyDenyListDelta(
  text: string,
  rootPublicKey: KeyObject,
  gate: { operatorId: string; currentVersion: number },
): DenyListResult {
  const opened = openSignedText(text, CONTEXT, rootPublicKey);
  if (!opened.ok) return opened;
  const parsed = Payload.safeParse(opened.json);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const delta = parsed.data;
  if (delta.operatorId !== gate.operatorId) return { ok: false, reason: 'wrong_operator' };
  if (delta.version <= gate.currentVersion) return { ok: false, reason: 'not_newer' };
  if (delta.fromVersion > gate.currentVersion) return { ok: false, reason: 'gap' };
  return { ok: true, delta };
}

/**
 * The net change of each pseudonym over a run of numbered changes (in version order): what a delta
 * from `fromVersion` carries. A pseudonym added then removed within the run ends in `remove`.
 */
export function netDenyListChanges(changes: ReadonlyArray<{ pseudonym: string; action: 'add' | 'remove' }>): {
  add: string[];
  remove: string[];
} {
  const last = new Map<string, 'add' | 'remove'>();
  for (const c of changes) last.set(c.pseudonym, c.action);
  const add: string[] = [];
  const remove: string[] = [];
  for (const [pseudonym, action] of last) (action === 'add' ? add : remove).push(pseudonym);
  return { add: add.sort(), remove: remove.sort() };
}
