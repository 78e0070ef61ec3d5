import { randomUUID, type KeyObject } from 'node:crypto';
import type { AfcTap } from '../../../api/schemas/transit';
import {
  MemoryReplayCache,
  verifyCode,
  verifyDenyListDelta,
  verifyKeySet,
  type GateDecision,
  type TrustedIssuerKey,
} from '../../../domain/transit/rideCode';

/** A tap as the operator's fare collection system reports it to Causeway: the AFC tap batch's item. */
export type GateTap = AfcTap;

export interface GateOptions {
  operatorId: string;
  deviceId: string;
  /** A metro gate names its station; a bus validator its route. */
  stopId?: string;
  routeId?: string;
  /** Entry gates tap on, exit gates tap off; a bus validator often cannot tell. */
  tapType: GateTap['tapType'];
  /** The operator's root key: the only key a gate trusts without a key set. */
  rootPublicKey: KeyObject;
  clock?: () => number;
}

export type GateResult = GateDecision & { tap: GateTap | null };

/**
 * A metro gate or bus validator: it decides allow/deny from the ride code alone, with the pure
 * verifier, the issuer keys from the last signed key set it accepted and the deny list it last
 * received. It never calls Causeway while a rider waits; what it saw goes to the AFC as a tap.
 * A code too broken to name a rider (or naming another operator's) leaves no tap.
 */
export class GateSimulator {
  private issuerKeys: ReadonlyMap<string, TrustedIssuerKey> = new Map();
  private keySetVersion = 0;
  private readonly denied = new Set<string>();
  private denyListVersion = 0;
  private readonly replay: MemoryReplayCache;
  private readonly clock: () => number;

  constructor(private readonly opts: GateOptions) {
    this.clock = opts.clock ?? Date.now;
    this.replay = new MemoryReplayCache(this.clock);
  }

  /** Takes a signed issuer key set when it is genuine and newer than the one held. */
  acceptKeySet(text: string): { ok: boolean; reason?: string; version: number } {
    const r = verifyKeySet(text, this.opts.rootPublicKey, { operatorId: this.opts.operatorId, currentVersion: this.keySetVersion });
    if (!r.ok) return { ok: false, reason: r.reason, version: this.keySetVersion };
    this.issuerKeys = r.issuerKeys;
    this.keySetVersion = r.version;
    return { ok: true, version: r.version };
  }

  /** Applies a signed deny-list delta when it is genuine and continues the list held (see denyList.ts). */
  applyDenyList(text: string): { ok: boolean; reason?: string; version: number } {
    const r = verifyDenyListDelta(text, this.opts.rootPublicKey, {
      operatorId: this.opts.operatorId,
      currentVersion: this.denyListVersion,
    });
    if (!r.ok) return { ok: false, reason: r.reason, version: this.denyListVersion };
    for (const p of r.delta.add) this.denied.add(p);
    for (const p of r.delta.remove) this.denied.delete(p);
    this.denyListVersion = r.delta.version;
    return { ok: true, version: r.delta.version };
  }

  /** Whether the list this gate holds refuses the pseudonym (what an operator's console would show). */
  isDenied(pseudonym: string): boolean {
    return this.denied.has(pseudonym);
  }

  get versions(): { keySet: number; denyList: number } {
    return { keySet: this.keySetVersion, denyList: this.denyListVersion };
  }

  present(qrText: string): GateResult {
    const now = this.clock();
    const decision = verifyCode({
      code: qrText,
      operatorId: this.opts.operatorId,
      issuerKeys: this.issuerKeys,
      denyList: this.denied,
      replayCache: this.replay,
      now,
    });
    const pseudonym = decision.pseudonym;
    // Another operator's rider is not this operator's to report.
    if (!pseudonym || (!decision.allow && decision.reason === 'wrong_operator')) return { ...decision, tap: null };
    return {
      ...decision,
      tap: {
        tapId: `${this.opts.deviceId}-${randomUUID()}`,
        pseudonym,
        ...(this.opts.stopId ? { stopId: this.opts.stopId } : {}),
        ...(this.opts.routeId ? { routeId: this.opts.routeId } : {}),
        deviceId: this.opts.deviceId,
        tapType: this.opts.tapType,
        gateDecision: decision.allow ? 'allow' : 'deny',
        transactionAt: new Date(now).toISOString(),
      },
    };
  }
}
