import type { Executor } from '../db/connection';
import { knownContacts } from '../ledger';
import { notFound } from '../lib/errors';

/** The archive keeps records only for customers the ledger knows: unknown → not_found. */
export async function assertCustomer(ex: Executor, corpId: string, externalUserId: string): Promise<void> {
  if (!(await knownContacts(ex, corpId, [externalUserId])).has(externalUserId)) throw notFound(`customer ${externalUserId}`);
}
