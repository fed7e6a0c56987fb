import { sql, type SQL } from 'drizzle-orm';
import { textArray } from '../db/bulk';

/**
 * What campaigns need from the ledger, as SQL to compose into their one
 * set-based planning statement (a million customers never pass through
 * process memory); campaigns never name ledger tables themselves.
 * Both selects return (recipient_id, sender).
 */

export interface SenderPreference {
  /** Among a customer's active relations: the most recently added (default) or the earliest. */
  added: 'latest' | 'earliest';
  /** An extra leading preference, larger first (e.g. the last interaction with this rep): given the relation's columns. */
  first?: (r: { userId: SQL; externalUserId: SQL }) => SQL;
}

/**
 * Each customer of `customers` (a select of `external_user_id`) once, with
 * the one rep who sends to them: an active relation picked by `prefer`.
 * Customers without an active relation drop out.
 */
export function customerSenders(corpId: string, customers: SQL, prefer: SenderPreference): SQL {
  const added = prefer.added === 'earliest' ? sql`r.added_at asc nulls last, r.id asc` : sql`r.added_at desc nulls last, r.id desc`;
  const first = prefer.first ? sql`${prefer.first({ userId: sql.raw('r.user_id'), externalUserId: sql.raw('r.external_user_id') })} desc nulls last, ` : sql``;
  return sql`
    select distinct on (r.external_user_id) r.external_user_id as recipient_id, r.user_id as sender
    from relations r
    where r.corp_id = ${corpId} and r.status = 'active' and r.external_user_id in (${customers})
    order by r.external_user_id, ${first}${added}`;
}

export interface GroupSelection {
  /** Only groups owned by these reps. */
  owners?: string[];
  /** Only these groups. */
  chatIds?: string[];
}

/** Live customer groups (owner an active employee) with their owner as sender. */
export function groupSenders(corpId: string, sel: GroupSelection): SQL {
  const owners = sel.owners?.length ? sql`and g.owner_user_id = any(${textArray(sel.owners)})` : sql``;
  const chats = sel.chatIds?.length ? sql`and g.chat_id = any(${textArray(sel.chatIds)})` : sql``;
  return sql`
    select g.chat_id as recipient_id, g.owner_user_id as sender
    from customer_groups g
    join employees e on e.corp_id = g.corp_id and e.user_id = g.owner_user_id and e.status = 'active'
    where g.corp_id = ${corpId} and g.status = 'active' ${owners} ${chats}`;
}

/** The display name of a customer or group id, as a scalar subquery over `id` (for samples). */
export function recipientNameSql(corpId: string, id: SQL): SQL {
  return sql`coalesce(
    (select c.name from external_contacts c where c.corp_id = ${corpId} and c.external_user_id = ${id}),
    (select g.name from customer_groups g where g.corp_id = ${corpId} and g.chat_id = ${id}), '')`;
}
