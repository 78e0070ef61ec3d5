import type { FareModel, NetworkFareRules } from './model';
import type { Tap } from './taps';

/**
 * Pairs a rider-day's canonical taps into journeys. Declared tap types are a hint, not the truth:
 * a metro journey is the tap-on and the next tap in that network within the longest plausible
 * journey, whatever that tap calls itself, unless the taps around it say the rider forgot a tap.
 */

export type JourneyKind =
  /** Tap-on and tap-off (metro) or a tap-on alone on a network that needs no tap-off (bus). */
  | 'complete'
  /** Tap-on without tap-off; priced by auto-completion or the maximum fare. */
  | 'missing_tap_off'
  /** Tap-off without a tap-on; priced with the maximum fare. */
  | 'missing_tap_on';

export interface Journey {
  kind: JourneyKind;
  networkId: string;
  on?: Tap;
  off?: Tap;
}

export interface IgnoredTap {
  tap: Tap;
  reason: 'unknown_network' | 'tap_off_not_required';
}

export interface PairedDay {
  journeys: Journey[];
  ignored: IgnoredTap[];
}

export function networkOf(model: FareModel, tap: Tap): string | undefined {
  if (tap.routeId !== undefined) return model.routeNetworks[tap.routeId];
  return model.stopNetworks[tap.stopId];
}

export function networkRulesOf(model: FareModel, networkId: string): NetworkFareRules {
  return (
    model.networkRules.find((r) => r.networkId === networkId) ?? {
      // A network the extension does not mention behaves like GTFS-Fares v2 alone: priced at tap-on.
      networkId,
      tapOffRequired: false,
      maxJourneySeconds: 0,
    }
  );
}

export function pairTaps(model: FareModel, taps: readonly Tap[]): PairedDay {
  const journeys: Journey[] = [];
  const ignored: IgnoredTap[] = [];
  // Taps of tap-off networks are paired within their own network, so a bus tap between a metro
  // tap-on and tap-off does not break the metro journey.
  const gated = new Map<string, Tap[]>();
  for (const tap of taps) {
    const networkId = networkOf(model, tap);
    if (networkId === undefined) {
      ignored.push({ tap, reason: 'unknown_network' });
      continue;
    }
    if (networkRulesOf(model, networkId).tapOffRequired) {
      const list = gated.get(networkId) ?? [];
      list.push(tap);
      gated.set(networkId, list);
    } else if (tap.tapType === 'on') {
      journeys.push({ kind: 'complete', networkId, on: tap });
    } else {
      ignored.push({ tap, reason: 'tap_off_not_required' });
    }
  }
  for (const [networkId, list] of gated) journeys.push(...pairGated(networkId, networkRulesOf(model, networkId).maxJourneySeconds, list));
  journeys.sort((a, b) => startOf(a) - startOf(b) || (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  return { journeys, ignored };
}

function pairGated(networkId: string, maxJourneySeconds: number, taps: Tap[]): Journey[] {
  const out: Journey[] = [];
  const within = (a: Tap, b: Tap | undefined) => b !== undefined && b.at - a.at <= maxJourneySeconds * 1000;
  let open: Tap | undefined;
  for (let i = 0; i < taps.length; i++) {
    const tap = taps[i]!;
    const next = taps[i + 1];
    if (open) {
      if (!within(open, tap)) {
        out.push({ kind: 'missing_tap_off', networkId, on: open });
        open = undefined;
      } else if (tap.tapType === 'off' || !(next?.tapType === 'off' && within(tap, next))) {
        // A declared tap-off closes the journey; so does a "tap-on" that no tap-off follows: its type is wrong.
        out.push({ kind: 'complete', networkId, on: open, off: tap });
        open = undefined;
        continue;
      } else {
        // A tap-on followed by its own tap-off: the open journey's tap-off was forgotten.
        out.push({ kind: 'missing_tap_off', networkId, on: open });
        open = undefined;
      }
    }
    if (tap.tapType === 'on' || (next?.tapType === 'off' && within(tap, next))) {
      // A declared tap-off followed by another tap-off is a tap-on with the wrong type.
      open = tap;
    } else {
      out.push({ kind: 'missing_tap_on', networkId, off: tap });
    }
  }
  if (open) out.push({ kind: 'missing_tap_off', networkId, on: open });
  return out;
}

export function startOf(j: Journey): number {
  return (j.on ?? j.off)!.at;
}

export function endOf(j: Journey): number {
  return (j.off ?? j.on)!.at;
}

function idOf(j: Journey): string {
  return (j.on ?? j.off)!.tapId;
}
