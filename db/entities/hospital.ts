import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'departments' })
export class DepartmentRow {
  @PrimaryColumn({ name: 'institution_id', type: 'text' }) institutionId!: string;
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) name!: string;
}

@Entity({ name: 'doctors' })
export class DoctorRow {
  @PrimaryColumn({ name: 'institution_id', type: 'text' }) institutionId!: string;
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'department_id', type: 'text' }) departmentId!: string;
  /** A doctor's public display name (not patient data). */
  @Column({ name: 'display_name', type: 'text' }) displayName!: string;
  @Column({ type: 'text', default: '' }) title!: string;
}

/**
 * A bookable slot, mirrored from the HIS schedule. Holding is one conditional UPDATE, so under a
 * registration rush no slot is held twice and losers learn it without waiting on the HIS.
 */
@Entity({ name: 'slots' })
@Index(['institutionId', 'doctorId', 'startsAt'])
export class SlotRow {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'institution_id', type: 'text' }) institutionId!: string;
  @Column({ name: 'department_id', type: 'text' }) departmentId!: string;
  @Column({ name: 'doctor_id', type: 'text' }) doctorId!: string;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt!: Date;
  @Column({ name: 'duration_min', type: 'int' }) durationMin!: number;
  @Column({ name: 'fee_minor', type: 'bigint' }) feeMinor!: string;
  @Column({ type: 'char', length: 3 }) currency!: string;
  /** Slots are released to patients at this instant (the rush). */
  @Column({ name: 'opens_at', type: 'timestamptz' }) opensAt!: Date;
  @Column({ type: 'text' }) status!: 'free' | 'held' | 'booked';
  @Index({ unique: true, where: 'booking_ref IS NOT NULL' })
  @Column({ name: 'booking_ref', type: 'text', nullable: true })
  bookingRef!: string | null;
  @Column({ name: 'held_until', type: 'timestamptz', nullable: true }) heldUntil!: Date | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** One booking = one hospital-visit workflow. The row is what outlives the workflow. */
@Entity({ name: 'visits' })
@Index(['userId', 'createdAt'])
export class VisitRow {
  @PrimaryColumn({ name: 'booking_ref', type: 'text' }) bookingRef!: string;
  @Column({ name: 'institution_id', type: 'text' }) institutionId!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ name: 'partner_id', type: 'text' }) partnerId!: string;
  @Column({ name: 'slot_id', type: 'text' }) slotId!: string;
  @Column({ name: 'doctor_id', type: 'text' }) doctorId!: string;
  @Column({ name: 'workflow_id', type: 'text' }) workflowId!: string;
  @Column({ type: 'text' }) stage!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** Lab results, encrypted; readable only by the visit's owner through the API. */
@Entity({ name: 'visit_results' })
export class VisitResultRow {
  @PrimaryColumn({ name: 'booking_ref', type: 'text' }) bookingRef!: string;
  @PrimaryColumn({ name: 'order_id', type: 'text' }) orderId!: string;
  @Column({ name: 'results_enc', type: 'text' }) resultsEnc!: string;
  @Column({ name: 'abnormal', type: 'boolean', default: false }) abnormal!: boolean;
  /** preliminary | final | corrected (domain/hospital/resultStatus.ts); null on rows from before it was kept. */
  @Column({ name: 'result_status', type: 'text', nullable: true }) resultStatus!: string | null;
  @Column({ name: 'status_rank', type: 'smallint', default: 2 }) statusRank!: number;
  /** The inbox message that carried this version; null on rows from before it was kept. */
  @Column({ name: 'inbox_id', type: 'bigint', nullable: true }) inboxId!: string | null;
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
}
