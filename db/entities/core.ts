import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A partner app. Its API key is stored only as a SHA-256 hash. */
@Entity({ name: 'partners' })
export class PartnerRow {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) name!: string;
  @Index({ unique: true }) @Column({ name: 'api_key_hash', type: 'text' }) apiKeyHash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** A hospital, transit operator or merchant. Its HMAC secret is encrypted at rest. */
@Entity({ name: 'institutions' })
export class InstitutionRow {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) kind!: 'hospital' | 'transit' | 'merchant';
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'time_zone', type: 'text' }) timeZone!: string;
  @Column({ name: 'hmac_secret_enc', type: 'text' }) hmacSecretEnc!: string;
  /** Where Causeway sends HL7 to this institution (hospitals only). */
  @Column({ name: 'mllp_host', type: 'text', nullable: true }) mllpHost!: string | null;
  @Column({ name: 'mllp_port', type: 'int', nullable: true }) mllpPort!: number | null;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) settings!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** A real-name user. PII only as ciphertext (with its key id) plus keyed hashes for lookup. */
@Entity({ name: 'users' })
@Index(['partnerId', 'idNumberHash'], { unique: true })
export class UserRow {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'partner_id', type: 'text' }) partnerId!: string;
  @Column({ name: 'id_number_hash', type: 'text' }) idNumberHash!: string;
  @Column({ name: 'id_number_enc', type: 'text' }) idNumberEnc!: string;
  @Column({ name: 'legal_name_enc', type: 'text' }) legalNameEnc!: string;
  /** Keyed hash of the legal name as registered (null for rows from before it existed). */
  @Column({ name: 'legal_name_hash', type: 'text', nullable: true }) legalNameHash!: string | null;
  @Column({ name: 'phone_enc', type: 'text' }) phoneEnc!: string;
  @Column({ name: 'phone_hash', type: 'text' }) phoneHash!: string;
  /** Hashed reference safe for Temporal search attributes and logs. */
  @Index({ unique: true }) @Column({ name: 'user_ref', type: 'text' }) userRef!: string;
  @Column({ name: 'identity_status', type: 'text' }) identityStatus!: 'pending' | 'verified' | 'rejected' | 'unverified';
  @Column({ name: 'identity_reason', type: 'text', nullable: true }) identityReason!: string | null;
  @Column({ name: 'birth_year', type: 'int', nullable: true }) birthYear!: number | null;
  @Column({ type: 'text', nullable: true }) sex!: 'M' | 'F' | null;
  @Column({ name: 'province_code', type: 'text', nullable: true }) provinceCode!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true }) verifiedAt!: Date | null;
}

/** Same Idempotency-Key + same body → same stored answer; different body → 409. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyRow {
  @PrimaryColumn({ type: 'text' }) principal!: string;
  @PrimaryColumn({ type: 'text' }) key!: string;
  @Column({ name: 'request_hash', type: 'text' }) requestHash!: string;
  @Column({ name: 'response_status', type: 'int', nullable: true }) responseStatus!: number | null;
  @Column({ name: 'response_body', type: 'jsonb', nullable: true }) responseBody!: unknown;
  /** While the first request runs: after this instant a retry with the same request takes the key over. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** Nonces of signed institution requests, kept for the replay window. */
@Entity({ name: 'request_nonces' })
export class RequestNonceRow {
  @PrimaryColumn({ name: 'institution_id', type: 'text' }) institutionId!: string;
  @PrimaryColumn({ type: 'text' }) nonce!: string;
  @CreateDateColumn({ name: 'seen_at', type: 'timestamptz' }) seenAt!: Date;
}

/**
 * Every inbound message (HL7, payment notification, webhook) lands here before it is acknowledged.
 * The unique key makes a redelivery harmless; failed rows wait for an operator to reprocess them.
 */
@Entity({ name: 'inbox_messages' })
@Index(['channel', 'sender', 'messageId'], { unique: true })
@Index('IDX_inbox_messages_institution_message', ['channel', 'institutionId', 'messageId'], {
  unique: true,
  where: '"institution_id" IS NOT NULL',
})
export class InboxMessageRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) channel!: 'hl7' | 'payment_notification' | 'webhook';
  @Column({ type: 'text' }) sender!: string;
  @Column({ name: 'message_id', type: 'text' }) messageId!: string;
  /** HL7: the institution the transport authenticated (not what MSH-4 claims). Null for other channels. */
  @Column({ name: 'institution_id', type: 'text', nullable: true }) institutionId!: string | null;
  @Column({ name: 'message_type', type: 'text', nullable: true }) messageType!: string | null;
  /** Correlation key (booking ref, out trade no) so messages for one journey apply in order. */
  @Index() @Column({ type: 'text', nullable: true }) correlation!: string | null;
  /** Encrypted: HL7 and notifications carry personal data. */
  @Column({ name: 'body_enc', type: 'text' }) bodyEnc!: string;
  @Column({ type: 'text' }) status!: 'received' | 'applied' | 'failed';
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true }) appliedAt!: Date | null;
}

@Entity({ name: 'audit_log' })
export class AuditLogRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text' }) action!: string;
  @Column({ type: 'text' }) subject!: string;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) details!: Record<string, unknown>;
  @CreateDateColumn({ type: 'timestamptz' }) at!: Date;
}

/** The user's service-window inbox: notices from journeys. No PII: templates are filled by the partner app. */
@Entity({ name: 'notifications' })
@Index(['journeyId', 'kind', 'key'], { unique: true })
export class NotificationRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' }) id!: string;
  @Index() @Column({ name: 'user_ref', type: 'text' }) userRef!: string;
  @Column({ name: 'journey_id', type: 'text' }) journeyId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text', default: '' }) key!: string;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) data!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
