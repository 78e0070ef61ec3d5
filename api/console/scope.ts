/**
 * Who may see an institution's pages in the console. Pure, so the rule is tested on its own:
 * institution staff see their own institution; a district's staff also see the merchants that belong
 * to the district; nobody sees anything else, and operators see operator pages, not institutions' data.
 */
export type ConsoleRole = 'institution_staff' | 'operator';

export interface ConsoleAccount {
  role: ConsoleRole;
  /** Null for operators. */
  institutionId: string | null;
}

export interface InstitutionRef {
  id: string;
  kind: string;
  /** For a merchant: the district it belongs to (institutions.settings.retail.districtId). */
  districtId: string | null;
}

export function maySeeInstitution(account: ConsoleAccount, target: InstitutionRef): boolean {
  if (account.role !== 'institution_staff' || !account.institutionId) return false;
  if (target.id === account.institutionId) return true;
  return target.kind === 'merchant' && target.districtId !== null && target.districtId === account.institutionId;
}

export function mayUseOperatorPages(account: ConsoleAccount): boolean {
  return account.role === 'operator';
}
