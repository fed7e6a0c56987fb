import { sql, type SQL } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import type { Scope } from '../db/scope';

/**
 * The ledger's data as SQL fragments, for capabilities that need it inside
 * ONE statement of their own (the recompute over a million customers, segment
 * compilation, campaign planning, warnings): the rows never pass through
 * process memory, and only the ledger spells its tables. Derived tables are
 * plain selects the planner pulls up into the caller's query, so composing
 * them plans exactly as if the tables were written inline.
 */

// ---------------------------------------------------------------- contacts

/** The corp's customers as a derived table: (corp_id, external_user_id, name, connected) — every customer the ledger knows. */
const contacts = (corpId: string): SQL => sql`(select corp_id, external_user_id, name, connected from external_contacts where corp_id = ${corpId})`;

/**
 * The customers (alias `c`, correlate on `c.external_user_id`) for which
 * `condition` holds, as a select of `external_user_id`; `connectedOnly`
 * keeps those with a live relation (kept on the contact row: no probe per customer).
 */
function customersWhere(corpId: string, condition: SQL, opts: { connectedOnly: boolean }): SQL {
  const where = [sql`c.corp_id = ${corpId}`, condition];
  if (opts.connectedOnly) where.push(sql`c.connected`);
  return sql`select c.external_user_id from external_contacts c where ${sql.join(where, sql` and `)}`;
}

// ---------------------------------------------------------------- relations

/** The rep in charge of a customer: the live relation (active or awaiting handover) added last, as a scalar subquery (null when none). */
const ownerOf = (corpId: string, customer: SQL): SQL => sql`(
  select r.user_id from relations r
  where r.corp_id = ${corpId} and r.external_user_id = ${customer} and r.status in ('active', 'awaiting_handover')
  order by r.added_at desc nulls last, r.id desc limit 1)`;

/**
 * Predicates on one relation (alias `r`), for `hasRelation`. Dates are SQL
 * (the caller's clock and cutoffs); values are bound parameters.
 */
const relation = {
  active: sql`r.status = 'active'`,
  ownedBy: (userIds: string[]): SQL => sql`r.user_id = any(${textArray(userIds)})`,
  /** Came through one of these contact-way states. */
  cameThrough: (states: string[]): SQL => sql`r.state = any(${textArray(states)})`,
  addedSince: (cutoff: SQL): SQL => sql`r.added_at >= ${cutoff}`,
  addedBefore: (cutoff: SQL): SQL => sql`r.added_at < ${cutoff}`,
  /** Carries one of these corp tags. */
  taggedAny: (corpId: string, tagIds: string[]): SQL => sql`exists (
        select 1 from relation_tags t where t.corp_id = ${corpId} and t.relation_id = r.id and t.tag_id = any(${textArray(tagIds)}))`,
  /** Its rep is in one of these departments (`departments`: an int[] expression, e.g. from `departmentsWithChildren`). */
  repInDepartments: (corpId: string, departments: SQL): SQL => sql`exists (
      select 1 from employees e where e.corp_id = ${corpId} and e.user_id = r.user_id and e.department_ids && ${departments})`,
};

/** Whether the customer has a relation satisfying every predicate (of `relation`), as an EXISTS the per-customer index answers. */
function hasRelation(corpId: string, customer: SQL, ...where: SQL[]): SQL {
  const conds = where.length ? sql` and ${sql.join(where, sql` and `)}` : sql``;
  return sql`exists (select 1 from relations r where r.corp_id = ${corpId} and r.external_user_id = ${customer}${conds})`;
}

/**
 * A customer's active relations (user_id, external_user_id) among `customers`
 * (a select of external_user_id) that carry the tag (`has`) or lack it.
 */
function activeRelationsByTag(corpId: string, customers: SQL, tagId: string, has: boolean): SQL {
  const tagged = sql`exists (select 1 from relation_tags t where t.corp_id = ${corpId} and t.relation_id = r.id and t.tag_id = ${tagId})`;
  return sql`
      select r.user_id, r.external_user_id
      from relations r
      where r.corp_id = ${corpId} and r.status = 'active' and r.external_user_id in (${customers})
        and ${has ? tagged : sql`not ${tagged}`}`;
}

/**
 * Per customer with relations: (external_user_id, first_added, last_added, live) —
 * when the first and the last relation came (added, else the status change),
 * and whether one is live (active or awaiting handover).
 */
const relationSpans = (corpId: string): SQL => sql`(select external_user_id,
                      min(coalesce(added_at, status_changed_at)) as first_added,
                      max(coalesce(added_at, status_changed_at)) as last_added,
                      bool_or(status in ('active', 'awaiting_handover')) as live
               from relations where corp_id = ${corpId}
               group by external_user_id)`;

/** Customers who deleted their rep in (since, until]: (id, corp_id, external_user_id, user_id, at), one row per history entry. */
const removalsByCustomer = (corpId: string, since: SQL, until: SQL): SQL => sql`(
    select h.id, h.corp_id, h.external_user_id, h.user_id, h.at from relation_history h
    where h.corp_id = ${corpId} and h.to_status = 'removed_by_customer' and h.at > ${since} and h.at <= ${until})`;

// ---------------------------------------------------------------- data scope

/**
 * Whether the customer (an external_user_id expression) is in the scope: one
 * of the scope's employees has or had a relation with them (any status, so
 * the history they took part in stays theirs to read). `true` for the whole corp.
 */
function contactInScope(scope: Scope, customer: SQL): SQL {
  if (scope.userIds === null) return sql`true`;
  return sql`exists (select 1 from relations rs where rs.corp_id = ${scope.corpId} and rs.external_user_id = ${customer}
      and ${scope.employee(sql.raw('rs.user_id'))})`;
}

/** Whether a customer group is in the scope, given its owner column: the owner is one of the scope's employees. */
const groupInScope = (scope: Scope, ownerUserId: SQL): SQL => scope.employee(ownerUserId);

// ---------------------------------------------------------------- departments and groups

/** These departments and every department below them, as an int[] expression. */
const departmentsWithChildren = (corpId: string, ids: SQL): SQL => sql`array(with recursive d(id) as (
          select unnest(${ids})
          union
          select dep.id from departments dep join d on dep.parent_id = d.id where dep.corp_id = ${corpId}
        ) select id from d)`;

/** Whether the customer is an active member of a live group (active or owner departed), optionally one of `chatIds`. */
function inLiveGroup(corpId: string, customer: SQL, chatIds?: string[]): SQL {
  const chats = chatIds ? sql` and gm.chat_id = any(${textArray(chatIds)})` : sql``;
  return sql`exists (select 1 from group_members gm join customer_groups cg on cg.corp_id = gm.corp_id and cg.chat_id = gm.chat_id
      where gm.corp_id = ${corpId} and gm.member_id = ${customer} and gm.type = 2 and gm.status = 'active'
        and cg.status in ('active', 'owner_departed')${chats})`;
}

// ---------------------------------------------------------------- campaign senders

export interface SenderPreference {
  /** Among a customer's active relations: the most recently added (default) or the earliest. */
  added: 'latest' | 'earliest';
  /** An extra leading preference, larger first (e.g. the last interaction with this rep): given the relation's columns. */
  first?: (r: { userId: SQL; externalUserId: SQL }) => SQL;
}

/**
 * Each customer of `customers` (a select of `external_user_id`) once, with
 * the one rep who sends to them: an active relation picked by `prefer`.
 * Customers without an active relation drop out. Returns (recipient_id, sender).
 */
function customerSenders(corpId: string, customers: SQL, prefer: SenderPreference): SQL {
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

/** Live customer groups (owner an active employee) with their owner as sender: (recipient_id, sender). */
function groupSenders(corpId: string, sel: GroupSelection): SQL {
  const owners = sel.owners?.length ? sql`and g.owner_user_id = any(${textArray(sel.owners)})` : sql``;
  const chats = sel.chatIds?.length ? sql`and g.chat_id = any(${textArray(sel.chatIds)})` : sql``;
  return sql`
    select g.chat_id as recipient_id, g.owner_user_id as sender
    from customer_groups g
    join employees e on e.corp_id = g.corp_id and e.user_id = g.owner_user_id and e.status = 'active'
    where g.corp_id = ${corpId} and g.status = 'active' ${owners} ${chats}`;
}

/** The display name of a customer or group id, as a scalar subquery over `id` (for samples). */
function recipientName(corpId: string, id: SQL): SQL {
  return sql`coalesce(
    (select c.name from external_contacts c where c.corp_id = ${corpId} and c.external_user_id = ${id}),
    (select g.name from customer_groups g where g.corp_id = ${corpId} and g.chat_id = ${id}), '')`;
}

/** The ledger tables an audience statement (senders, segment rule) leans on, for callers that keep planner statistics fresh. */
const audienceTables: readonly string[] = ['relations', 'external_contacts', 'employees', 'customer_groups', 'relation_tags'];

/** The ledger's SQL fragments, by subject. */
export const ledgerSql = {
  audienceTables,
  contacts,
  customersWhere,
  ownerOf,
  relation,
  hasRelation,
  activeRelationsByTag,
  relationSpans,
  removalsByCustomer,
  departmentsWithChildren,
  contactInScope,
  groupInScope,
  inLiveGroup,
  customerSenders,
  groupSenders,
  recipientName,
} as const;
