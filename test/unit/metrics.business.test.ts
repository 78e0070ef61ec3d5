import { Registry } from 'prom-client';
import { registerBusinessMetrics, tally } from '../../api/metrics/business';
import type { FigureRow } from '../../db/queries/businessMetrics';

/** The business series' pure parts: label values mapped onto fixed lists, the cached read, stale figures on failure. */
const row = (r: Partial<FigureRow> & Pick<FigureRow, 'metric'>): FigureRow => ({ vertical: '', label: '', n: 0, amount: 0, ...r });

describe('tally', () => {
  it('maps stages, outcomes and statuses it does not know onto `other`, never onto what the database held', () => {
    const f = tally([
      row({ metric: 'journeys', vertical: 'hospital', label: 'closed', n: 3 }),
      row({ metric: 'journeys', vertical: 'hospital', label: 'U-1234-some-user', n: 2 }),
      row({ metric: 'journeys', vertical: 'h0spital-x', label: 'closed', n: 9 }),
      row({ metric: 'payments', vertical: 'retail', label: 'paid', n: 4, amount: 400 }),
      row({ metric: 'payments', vertical: 'merchant-42', label: 'ORDER-7', n: 1, amount: 5 }),
      row({ metric: 'hl7_inbox', label: 'received', n: 2, amount: 12.5 }),
    ]);
    expect(f.journeys.get('hospital|closed')).toBe(3);
    expect(f.journeys.get('hospital|other')).toBe(2);
    expect(f.started.get('hospital')).toBe(5);
    expect(f.finished.get('hospital|closed')).toBe(3);
    expect(f.finished.has('hospital|other')).toBe(false);
    expect(f.payments.get('retail|paid')).toBe(4);
    expect(f.paymentsAmount.get('other|other')).toBe(5);
    expect(f.inboxOldest.get('received')).toBe(12.5);
    const labels = [f.journeys, f.started, f.finished, f.payments].flatMap((m) => [...m.keys()].flatMap((k) => k.split('|')));
    for (const l of labels) expect(l).toMatch(/^[a-z_]+$/);
    expect(labels.join(' ')).not.toMatch(/U-1234|h0spital|merchant-42|ORDER-7/);
  });

  it('has every known series at 0 before anything happened', () => {
    const f = tally([]);
    expect(f.journeys.get('transit|in_debt')).toBe(0);
    expect(f.finished.get('retail|payment_failed')).toBe(0);
    expect(f.finished.has('retail|paid')).toBe(false);
    expect(f.payments.get('hospital|pending')).toBe(0);
    expect(f.mismatches.get('amount_differs')).toBe(0);
    expect(f.webhooks.get('failed')).toBe(0);
  });
});

describe('registerBusinessMetrics', () => {
  it('reads once per cache period however many scrapes, and serves the last figures, marked stale, when a read fails', async () => {
    const registry = new Registry();
    let clock = 0;
    let reads = 0;
    let fail = false;
    registerBusinessMetrics(registry, {
      cacheMs: 1_000,
      now: () => clock,
      read: async () => {
        reads += 1;
        if (fail) throw new Error('database gone');
        return [row({ metric: 'refunds', vertical: 'transit', n: reads, amount: 100 * reads })];
      },
    });
    const first = await Promise.all([registry.metrics(), registry.metrics()]);
    expect(reads).toBe(1);
    expect(first[0]).toContain('causeway_refunds{vertical="transit"} 1');
    expect(first[0]).toContain('causeway_business_metrics_up 1');
    clock = 999;
    await registry.metrics();
    expect(reads).toBe(1);
    clock = 1_000;
    expect(await registry.metrics()).toContain('causeway_refunds_amount_minor{vertical="transit"} 200');
    expect(reads).toBe(2);
    fail = true;
    clock = 5_000;
    const stale = await registry.metrics();
    expect(reads).toBe(3);
    expect(stale).toContain('causeway_refunds{vertical="transit"} 2');
    expect(stale).toContain('causeway_business_metrics_up 0');
  });

  it('observes the HL7 processing delay in its histogram', async () => {
    const registry = new Registry();
    const m = registerBusinessMetrics(registry, { cacheMs: 0, read: async () => [] });
    m.hl7Applied(0.02);
    m.hl7Applied(3);
    const text = await registry.metrics();
    expect(text).toContain('causeway_hl7_inbox_processing_delay_seconds_bucket{le="0.025"} 1');
    expect(text).toContain('causeway_hl7_inbox_processing_delay_seconds_bucket{le="5"} 2');
    expect(text).toContain('causeway_hl7_inbox_processing_delay_seconds_count 2');
  });
});
