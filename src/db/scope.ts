import { sql, type SQL } from 'drizzle-orm';

/**
 * Whose rows a query may touch. Today that is one corp; the roles issue adds
 * the actor and its data scope (departments, owners) here, so every query
 * that goes through a Scope picks those predicates up in one place.
 */
export interface Scope {
  readonly corpId: string;
  /** `<table>.corp_id = <corp>` (unqualified `corp_id` without a table or alias). */
  corp(table?: string): SQL;
}

export function corpScope(corpId: string): Scope {
  return {
    corpId,
    corp: (table?: string) => (table ? sql`${sql.identifier(table)}.corp_id = ${corpId}` : sql`corp_id = ${corpId}`),
  };
}
