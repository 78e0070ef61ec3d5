import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Current state of one payment order; the ledger below is the history. */
@Entity({ name: 'payments' })
export class PaymentRow {
  /** Merchant order number, derived from journey + step so a retry can never create a second charge. */
  @PrimaryColumn({ name: 'out_trade_no', type: 'text' }) outTradeNo!: string;
  @Index() @Column({ name: 'journey_id', type: 'text' }) journeyId!: string;
  @Column({ type: 'text' }) step!: string;
  @Column({ name: 'institution_id', type: 'text' }) institutionId!: string;
  @Column({ name: 'user_ref', type: 'text' }) userRef!: string;
  @Column({ name: 'amount_minor', type: 'bigint' }) amountMinor!: string;
  @Column({ type: 'char', length: 3 }) currency!: string;
  @Column({ name: 'refunded_minor', type: 'bigint', default: 0 }) refundedMinor!: string;
  @Column({ type: 'text' }) status!: 'created' | 'paid' | 'closed' | 'refunded' | 'partially_refunded';
  @Column({ name: 'trade_no', type: 'text', nullable: true }) tradeNo!: string | null;
  @Column({ name: 'qr_code', type: 'text', nullable: true }) qrCode!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/**
 * Append-only: one row per state change. The unique (out_trade_no, kind, ref) makes recording the
 * same event twice (a redelivered notification, a retried activity) a no-op.
 */
@Entity({ name: 'ledger_entries' })
@Index(['outTradeNo', 'kind', 'ref'], { unique: true })
export class LedgerEntryRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ name: 'out_trade_no', type: 'text' }) outTradeNo!: string;
  @Column({ type: 'text' }) kind!: 'created' | 'paid' | 'closed' | 'refunded';
  /** Distinguishes repeatable kinds (the refund request number); '' otherwise. */
  @Column({ type: 'text', default: '' }) ref!: string;
  /** Signed: payments positive, refunds negative, so SUM() is the money held. */
  @Column({ name: 'amount_minor', type: 'bigint' }) amountMinor!: string;
  @Column({ type: 'char', length: 3 }) currency!: string;
  @Column({ name: 'provider_ref', type: 'text', nullable: true }) providerRef!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) at!: Date;
}

@Entity({ name: 'reconciliation_reports' })
export class ReconciliationReportRow {
  @PrimaryColumn({ name: 'bill_date', type: 'date' }) billDate!: string;
  @Column({ type: 'jsonb' }) mismatches!: unknown[];
  @Column({ name: 'ledger_count', type: 'int' }) ledgerCount!: number;
  @Column({ name: 'bill_count', type: 'int' }) billCount!: number;
  @UpdateDateColumn({ name: 'checked_at', type: 'timestamptz' }) checkedAt!: Date;
}
