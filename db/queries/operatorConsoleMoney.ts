import type { DataSource } from 'typeorm';
import { z } from 'zod';

/**
 * The operator console's money pages: reconciliation mismatches (reconciliation_reports), the
 * transit deny list (transit_deny_list_changes and open debts) and retail campaign budgets.
 */
const Line = z.object({ outTradeNo: z.string(), kind: z.enum(['payment', 'refund']), ref: z.string(), amountMinor: z.number() });
const Mismatch = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('missing_in_bill'), line: Line }),
  z.object({ kind: z.literal('missing_in_ledger'), line: Line }),
  z.object({ kind: z.literal('amount_differs'), ledger: Line, bill: Line }),
]);
export type Mismatch = z.infer<typeof Mismatch>;

const ReportRow = z.object({
  bill_date: z.string(),
  ledger_count: z.number().int(),
  bill_count: z.number().int(),
  mismatches: z.array(Mismatch),
  checked_at: z.date(),
});

export interface ReconciliationMismatches {
  date: string;
  ledgerCount: number;
  billCount: number;
  checkedAt: Date;
  mismatches: Mismatch[];
}

/** Billing days whose reconciliation found mismatches, newest first. */
export async function reconciliationMismatches(db: DataSource, days: number): Promise<ReconciliationMismatches[]> {
  const rows = z.array(ReportRow).parse(
    await db.query(
      `SELECT to_char(bill_date, 'YYYY-MM-DD') AS bill_date, ledger_count, bill_count, mismatches, checked_at
         FROM reconciliation_reports WHERE jsonb_array_length(mismatches) > 0 ORDER BY bill_date DESC LIMIT $1`,
      [days],
    ),
  );
  return rows.map((r) => ({
    date: r.bill_date,
    ledgerCount: r.ledger_count,
    billCount: r.bill_count,
    checkedAt: r.checked_at,
    mismatches: r.mismatches,
  }));
}

const DenyRow = z.object({
  operator_id: z.string(),
  pseudonym: z.string(),
  rider_ref: z.string(),
  version: z.coerce.number().int(),
  listed_at: z.date(),
  owed_minor: z.coerce.number().int().nullable(),
  currency: z.string().nullable(),
});

export interface DenyListEntry {
  operatorId: string;
  pseudonym: string;
  riderRef: string;
  /** The deny-list version that added it. */
  version: number;
  listedAt: Date;
  owedMinor: number | null;
  currency: string | null;
}

/** Pseudonyms on each operator's deny list now (their latest change is an add), with the rider's open debt. */
export async function denyList(db: DataSource, limit: number): Promise<DenyListEntry[]> {
  const rows = z.array(DenyRow).parse(
    await db.query(
      `SELECT l.operator_id, l.pseudonym, l.rider_ref, l.version, l.created_at AS listed_at,
              d.owed_minor, d.currency
         FROM (SELECT DISTINCT ON (operator_id, pseudonym) operator_id, pseudonym, action, rider_ref, version, created_at
                 FROM transit_deny_list_changes ORDER BY operator_id, pseudonym, version DESC) l
         LEFT JOIN LATERAL (SELECT sum(amount_minor) AS owed_minor, min(currency) AS currency FROM transit_debts
                             WHERE operator_id = l.operator_id AND rider_ref = l.rider_ref AND status = 'open') d ON true
        WHERE l.action = 'add' ORDER BY l.operator_id, l.created_at DESC LIMIT $1`,
      [limit],
    ),
  );
  return rows.map((r) => ({
    operatorId: r.operator_id,
    pseudonym: r.pseudonym,
    riderRef: r.rider_ref,
    version: r.version,
    listedAt: r.listed_at,
    owedMinor: r.owed_minor,
    currency: r.currency,
  }));
}

const CampaignRow = z.object({
  id: z.string(),
  name: z.string(),
  funder_id: z.string(),
  funder_name: z.string().nullable(),
  status: z.string(),
  valid_until: z.date(),
  budget_money_minor: z.coerce.number().int(),
  reserved_minor: z.coerce.number().int(),
  committed_minor: z.coerce.number().int(),
  budget_count: z.number().int(),
  issued_count: z.number().int(),
  budget_daily_minor: z.coerce.number().int().nullable(),
});

export interface CampaignBudget {
  id: string;
  name: string;
  funderId: string;
  funderName: string | null;
  status: string;
  validUntil: Date;
  budgetMinor: number;
  reservedMinor: number;
  committedMinor: number;
  budgetCount: number;
  issuedCount: number;
  dailyBudgetMinor: number | null;
}

/** Retail campaigns and where their budgets stand, newest first. Amounts in CNY minor units (campaigns have no other currency). */
export async function campaignBudgets(db: DataSource, limit: number): Promise<CampaignBudget[]> {
  const rows = z.array(CampaignRow).parse(
    await db.query(
      `SELECT c.id::text, c.name, c.funder_id, i.name AS funder_name, c.status, c.valid_until, c.budget_money_minor, c.reserved_minor,
              c.committed_minor, c.budget_count, c.issued_count, c.budget_daily_minor
         FROM retail_campaigns c LEFT JOIN institutions i ON i.id = c.funder_id ORDER BY c.created_at DESC LIMIT $1`,
      [limit],
    ),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    funderId: r.funder_id,
    funderName: r.funder_name,
    status: r.status,
    validUntil: r.valid_until,
    budgetMinor: r.budget_money_minor,
    reservedMinor: r.reserved_minor,
    committedMinor: r.committed_minor,
    budgetCount: r.budget_count,
    issuedCount: r.issued_count,
    dailyBudgetMinor: r.budget_daily_minor,
  }));
}
