import { sql } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import { rowsOf, type Executor } from '../db/connection';
import { isoMicros, keysetCondition, type KeysetBefore } from '../db/keyset';
import type { RelationHistoryEntry } from './queries';

/** What the ledger knows that the customer archive needs; archive never reads ledger tables itself. */

/** The customers among these ids that the ledger knows (any relation state). */
export async function knownContacts(ex: Executor, corpId: string, externalUserIds: string[]): Promise<Set<string>> {
  if (externalUserIds.length === 0) return new Set();
  const rows = rowsOf<{ external_user_id: string }>(await ex.execute(sql`
    select external_user_id from external_contacts
    where corp_id = ${corpId} and external_user_id = any(${textArray([...new Set(externalUserIds)])})`));
  return new Set(rows.map((r) => r.external_user_id));
}

/** Display names of customers (absent or empty name → not in the map). */
export async function contactNames(ex: Executor, corpId: string, externalUserIds: string[]): Promise<Map<string, string>> {
  if (externalUserIds.length === 0) return new Map();
  const rows = rowsOf<{ external_user_id: string; name: string }>(await ex.execute(sql`
    select external_user_id, name from external_contacts
    where corp_id = ${corpId} and external_user_id = any(${textArray([...new Set(externalUserIds)])}) and name <> ''`));
  return new Map(rows.map((r) => [r.external_user_id, r.name]));
}

/** A relation history entry as the timeline pages it: the time as exact text (for keyset cursors) instead of a Date. */
export type RelationHistoryItem = Omit<RelationHistoryEntry, 'at'> & {
  /** ISO with microseconds (exact, for keyset cursors). */
  atText: string;
};

/** A customer's relation history (every rep, every cause), newest first, keyset-paginated. */
export async function relationHistoryPage(
  ex: Executor,
  corpId: string,
  externalUserId: string,
  opts: { before?: KeysetBefore; limit: number },
): Promise<RelationHistoryItem[]> {
  const rows = rowsOf<{ id: string; user_id: string; change: string; from_status: string | null; to_status: string | null; cause: string; at_text: string; detail: unknown }>(
    await ex.execute(sql`
      select id, user_id, change, from_status, to_status, cause, ${isoMicros(sql.raw('at'))} as at_text, detail
      from relation_history
      where corp_id = ${corpId} and external_user_id = ${externalUserId} and ${keysetCondition(sql.raw('at'), sql.raw('id'), opts.before)}
      order by at desc, id desc
      limit ${opts.limit}`),
  );
  return rows.map((r) => ({
    id: Number(r.id), userId: r.user_id, change: r.change, fromStatus: r.from_status, toStatus: r.to_status, cause: r.cause,
    atText: r.at_text, detail: r.detail,
  }));
}
