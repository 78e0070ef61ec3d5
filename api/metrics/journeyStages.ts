import { TERMINAL_VISIT_STAGES, VISIT_STAGES } from '../../workflows/hospital/visit/stages';
import type { RetailOrderStage } from '../../workflows/retail/order/types';
import { RIDER_DAY_STAGES } from '../../workflows/transit/riderDay/types';

/**
 * The label values the business metrics may carry: each vertical's stages as its journey names them,
 * and which of them a journey never leaves. Anything else read from the database is reported as
 * `other`, so a label can only ever hold one of these words (never a ref, an id or a name).
 */
export const VERTICALS = ['hospital', 'transit', 'retail'] as const;
export type MetricVertical = (typeof VERTICALS)[number];

const RETAIL_STAGES = ['pricing', 'paying', 'paid', 'closed', 'refused', 'payment_failed'] as const satisfies readonly RetailOrderStage[];

export const STAGES: Record<MetricVertical, readonly string[]> = {
  hospital: VISIT_STAGES,
  transit: RIDER_DAY_STAGES,
  retail: RETAIL_STAGES,
};

/** `in_debt` is left by paying and `paid` by the refund window's end: neither is finished. */
const FINISHED: Record<MetricVertical, ReadonlySet<string>> = {
  hospital: TERMINAL_VISIT_STAGES,
  transit: new Set(['settled', 'nothing_due']),
  retail: new Set(['closed', 'refused', 'payment_failed']),
};

export const OTHER = 'other';

export function isFinished(vertical: MetricVertical, stage: string): boolean {
  return FINISHED[vertical].has(stage);
}

/** `value` when it is one of `allowed`, else `other`. */
export function knownLabel(value: string | null | undefined, allowed: readonly string[]): string {
  return value !== null && value !== undefined && allowed.includes(value) ? value : OTHER;
}

export function isVertical(v: string): v is MetricVertical {
  return (VERTICALS as readonly string[]).includes(v);
}
