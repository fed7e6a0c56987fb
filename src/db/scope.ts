import { sql, type SQL } from 'drizzle-orm';
import { textArray } from './bulk';

/**
 * Whose rows a query may touch: one corp, and within it the employees whose
 * customers, groups and work the caller may see (a rep: themself; a manager:
 * everyone in the departments they lead or were granted, with
 * sub-departments; an admin or a worker: the whole corp). Every query on a
 * business table takes a Scope, so the roles' predicates live here and in
 * the ledger's scope fragments (`ledgerSql.contactInScope`, `groupInScope`),
 * nowhere else.
 */
export interface Scope {
  readonly corpId: string;
  /** The employees (userids) this scope covers; null = the whole corp. */
  readonly userIds: readonly string[] | null;
  /** `<table>.corp_id = <corp>` (unqualified `corp_id` without a table or alias). */
  corp(table?: string): SQL;
  /** `<column> = any(<userIds>)`, or `true` for the whole corp: `column` is an employee userid expression. */
  employee(column: SQL): SQL;
  /** Whether one employee is covered (for a row already read, or an id from the request). */
  coversEmployee(userId: string | null | undefined): boolean;
}

const corpPredicate = (corpId: string) => (table?: string) =>
  table ? sql`${sql.identifier(table)}.corp_id = ${corpId}` : sql`corp_id = ${corpId}`;

/** The whole corp: admins, workers, jobs. */
export function corpScope(corpId: string): Scope {
  return {
    corpId,
    userIds: null,
    corp: corpPredicate(corpId),
    employee: () => sql`true`,
    coversEmployee: () => true,
  };
}

/** Only what these employees own or took part in (an empty list sees nothing). */
export function employeesScope(corpId: string, userIds: readonly string[]): Scope {
  const ids = [...new Set(userIds)].sort();
  const set = new Set(ids);
  return {
    corpId,
    userIds: ids,
    corp: corpPredicate(corpId),
    employee: (column: SQL) => (ids.length === 0 ? sql`false` : sql`${column} = any(${textArray(ids)})`),
    coversEmployee: (userId) => !!userId && set.has(userId),
  };
}

/** Whether the scope is the whole corp (no per-employee filter). */
export const isWholeCorp = (scope: Scope): boolean => scope.userIds === null;
