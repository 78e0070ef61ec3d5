import {
  AuditLogRow,
  IdempotencyKeyRow,
  InboxMessageRow,
  InstitutionRow,
  NotificationRow,
  PartnerRow,
  RequestNonceRow,
  UserRow,
} from './core';
import { DepartmentRow, DoctorRow, SlotRow, VisitResultRow, VisitRow } from './hospital';
import { LedgerEntryRow, PaymentRow, ReconciliationReportRow } from './payments';

export * from './core';
export * from './hospital';
export * from './payments';

export const ENTITIES = [
  PartnerRow,
  InstitutionRow,
  UserRow,
  IdempotencyKeyRow,
  RequestNonceRow,
  InboxMessageRow,
  AuditLogRow,
  NotificationRow,
  PaymentRow,
  LedgerEntryRow,
  ReconciliationReportRow,
  DepartmentRow,
  DoctorRow,
  SlotRow,
  VisitRow,
  VisitResultRow,
];
