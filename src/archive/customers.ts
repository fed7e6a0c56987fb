import type { Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { knownContacts } from '../ledger';
import { notFound } from '../lib/errors';

/**
 * The archive keeps records only for customers the ledger knows, and reads or
 * writes them only for customers in the scope: unknown and out of scope alike
 * → not_found (no existence oracle).
 */
export async function assertCustomer(ex: Executor, scope: Scope, externalUserId: string): Promise<void> {
  if (!(await knownContacts(ex, scope, [externalUserId])).has(externalUserId)) throw notFound(`customer ${externalUserId}`);
}

/**
 * The author a record is written in the name of must be one of the scope's
 * employees (a rep writes as themself; a manager for their departments): out
 * of scope → not_found, like an out-of-scope customer.
 */
export function assertAuthorInScope(scope: Scope, userId: string): void {
  if (!scope.coversEmployee(userId)) throw notFound(`employee ${userId}`);
}
