import { and, asc, desc, eq, exists, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { ledgerSql } from '../sql';
import { customerGroups, externalContacts, groupMembers, relationHistory, relations, relationTags, tagGroups, tags, type RelationStatus } from '../schema';
import { groupByKey, HISTORY_LIMIT, ilikeContains, page, tagOrder, type Page } from './common';
import type { RelationHistoryEntry } from './relations';

export interface ContactFilter {
  /** Customers with a relation to this rep. */
  owner?: string;
  /** Relation status: of the owner's relation when `owner` is given, else of any relation. */
  status?: RelationStatus;
  /** Corp tag id on a relation (the same relation as owner/status when those are given). */
  tag?: string;
  /** Case-insensitive substring of the customer's name. */
  q?: string;
  /** Keyset cursor: only external_user_id greater than this. */
  after?: string;
  limit: number;
}

export interface ContactOwner {
  userId: string;
  status: RelationStatus;
  addedAt: Date | null;
  remark: string | null;
  state: string | null;
}

export interface TagRef {
  tagId: string;
  name: string;
  groupName: string | null;
}

export interface ContactSummary {
  externalUserId: string;
  name: string;
  type: number | null;
  corpName: string | null;
  connected: boolean;
  /** Every relation of the customer, whatever its status. */
  owners: ContactOwner[];
  /** Distinct live tags over all the customer's relations. */
  tags: TagRef[];
}

/**
 * Customers ordered by external_user_id, keyset-paginated. The owner, status
 * and tag conditions must hold on one and the same relation, so "owner=a&tag=t"
 * means customers whom rep a tagged t. Owners and tags of the page are read in
 * one query each. Only customers in the scope: the scope test is one more
 * condition of the same keyset scan (an EXISTS per customer on the relations'
 * per-customer index), so a page still reads about `limit` rows past the cursor.
 * A customer in scope is shown whole (every owner and tag).
 */
export async function listContacts(ex: Executor, scope: Scope, f: ContactFilter): Promise<Page<ContactSummary>> {
  const corpId = scope.corpId;
  const c = externalContacts;
  const conds: SQL[] = [eq(c.corpId, corpId), ledgerSql.contactInScope(scope, sql`${c.externalUserId}`)];
  if (f.after !== undefined) conds.push(gt(c.externalUserId, f.after));
  if (f.q) conds.push(ilikeContains(c.name, f.q));
  if (f.owner !== undefined || f.status || f.tag !== undefined) {
    const rel: SQL[] = [eq(relations.corpId, corpId), eq(relations.externalUserId, c.externalUserId)];
    if (f.owner !== undefined) rel.push(eq(relations.userId, f.owner));
    if (f.status) rel.push(eq(relations.status, f.status));
    if (f.tag !== undefined) {
      rel.push(exists(ex.select({ one: sql`1` }).from(relationTags).where(and(
        eq(relationTags.corpId, corpId), eq(relationTags.relationId, relations.id), eq(relationTags.tagId, f.tag),
      ))));
    }
    conds.push(exists(ex.select({ one: sql`1` }).from(relations).where(and(...rel))));
  }
  const { rows, hasMore } = await page(
    ex
      .select({
        externalUserId: c.externalUserId, name: c.name, type: c.type, corpName: c.corpName, connected: c.connected,
      })
      .from(c)
      .where(and(...conds))
      .orderBy(asc(c.externalUserId))
      .limit(f.limit + 1),
    f.limit,
  );
  const ids = rows.map((r) => r.externalUserId);
  const [owners, tagRows] = await Promise.all([ownersOf(ex, corpId, ids), customerTagsOf(ex, corpId, ids)]);
  return {
    hasMore,
    rows: rows.map((r) => ({ ...r, owners: owners.get(r.externalUserId) ?? [], tags: tagRows.get(r.externalUserId) ?? [] })),
  };
}

async function ownersOf(ex: Executor, corpId: string, ids: string[]): Promise<Map<string, ContactOwner[]>> {
  if (ids.length === 0) return new Map();
  const rows = await ex
    .select({
      key: relations.externalUserId, userId: relations.userId, status: relations.status,
      addedAt: relations.addedAt, remark: relations.remark, state: relations.state,
    })
    .from(relations)
    .where(and(eq(relations.corpId, corpId), inArray(relations.externalUserId, ids)))
    .orderBy(asc(relations.externalUserId), sql`${relations.addedAt} asc nulls last`, asc(relations.userId));
  return groupByKey(rows);
}

async function customerTagsOf(ex: Executor, corpId: string, ids: string[]): Promise<Map<string, TagRef[]>> {
  if (ids.length === 0) return new Map();
  const rows = await ex
    .selectDistinct({
      key: relations.externalUserId, tagId: tags.tagId, name: tags.name, groupName: tagGroups.name,
      groupOrder: tagGroups.sortOrder, tagOrder: tags.sortOrder,
    })
    .from(relations)
    .innerJoin(relationTags, and(eq(relationTags.corpId, corpId), eq(relationTags.relationId, relations.id)))
    .innerJoin(tags, and(eq(tags.corpId, corpId), eq(tags.tagId, relationTags.tagId), isNull(tags.deletedAt)))
    .leftJoin(tagGroups, and(eq(tagGroups.corpId, corpId), eq(tagGroups.groupId, tags.groupId)))
    .where(and(eq(relations.corpId, corpId), inArray(relations.externalUserId, ids)))
    .orderBy(asc(relations.externalUserId), ...tagOrder);
  return groupByKey(rows.map(({ groupOrder: _g, tagOrder: _t, ...r }) => r));
}

export interface ContactProfile {
  externalUserId: string;
  name: string;
  type: number | null;
  gender: number | null;
  corpName: string | null;
  corpFullName: string | null;
  position: string | null;
  connected: boolean;
  firstSeenAt: Date;
  disconnectedAt: Date | null;
}

export interface ContactRelation {
  id: number;
  userId: string;
  status: RelationStatus;
  remark: string | null;
  description: string | null;
  addWay: number | null;
  state: string | null;
  operUserId: string | null;
  addedAt: Date | null;
  statusChangedAt: Date;
  tags: TagRef[];
}

export interface ContactGroupMembership {
  chatId: string;
  name: string;
  status: string;
  memberStatus: string;
}

export interface ContactDetail {
  profile: ContactProfile;
  relations: ContactRelation[];
  /** Newest first, at most HISTORY_LIMIT. */
  history: RelationHistoryEntry[];
  groups: ContactGroupMembership[];
}

/** A customer in the scope, whole; undefined when unknown or out of scope (the route answers 404 for both). */
export async function getContact(ex: Executor, scope: Scope, externalUserId: string): Promise<ContactDetail | undefined> {
  const corpId = scope.corpId;
  const c = externalContacts;
  const [profile] = await ex
    .select({
      externalUserId: c.externalUserId, name: c.name, type: c.type, gender: c.gender, corpName: c.corpName,
      corpFullName: c.corpFullName, position: c.position, connected: c.connected, firstSeenAt: c.firstSeenAt,
      disconnectedAt: c.disconnectedAt,
    })
    .from(c)
    .where(and(eq(c.corpId, corpId), eq(c.externalUserId, externalUserId), ledgerSql.contactInScope(scope, sql`${c.externalUserId}`)));
  if (!profile) return undefined;

  const [rels, relTags, history, groups] = await Promise.all([
    ex
      .select({
        id: relations.id, userId: relations.userId, status: relations.status, remark: relations.remark,
        description: relations.description, addWay: relations.addWay, state: relations.state,
        operUserId: relations.operUserId, addedAt: relations.addedAt, statusChangedAt: relations.statusChangedAt,
      })
      .from(relations)
      .where(and(eq(relations.corpId, corpId), eq(relations.externalUserId, externalUserId)))
      .orderBy(sql`${relations.addedAt} asc nulls last`, asc(relations.userId)),
    ex
      .select({ key: sql<string>`${relationTags.relationId}::text`, tagId: tags.tagId, name: tags.name, groupName: tagGroups.name })
      .from(relationTags)
      .innerJoin(relations, and(eq(relations.corpId, corpId), eq(relations.id, relationTags.relationId)))
      .innerJoin(tags, and(eq(tags.corpId, corpId), eq(tags.tagId, relationTags.tagId), isNull(tags.deletedAt)))
      .leftJoin(tagGroups, and(eq(tagGroups.corpId, corpId), eq(tagGroups.groupId, tags.groupId)))
      .where(and(eq(relationTags.corpId, corpId), eq(relations.externalUserId, externalUserId)))
      .orderBy(...tagOrder),
    ex
      .select({
        id: relationHistory.id, userId: relationHistory.userId, change: relationHistory.change,
        fromStatus: relationHistory.fromStatus, toStatus: relationHistory.toStatus, cause: relationHistory.cause,
        at: relationHistory.at, detail: relationHistory.detail,
      })
      .from(relationHistory)
      .where(and(eq(relationHistory.corpId, corpId), eq(relationHistory.externalUserId, externalUserId)))
      .orderBy(desc(relationHistory.id))
      .limit(HISTORY_LIMIT),
    ex
      .select({ chatId: customerGroups.chatId, name: customerGroups.name, status: customerGroups.status, memberStatus: groupMembers.status })
      .from(groupMembers)
      .innerJoin(customerGroups, and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, groupMembers.chatId)))
      .where(and(eq(groupMembers.corpId, corpId), eq(groupMembers.memberId, externalUserId)))
      .orderBy(sql`${groupMembers.status} = 'active' desc`, sql`${groupMembers.joinedAt} desc nulls last`, asc(groupMembers.chatId)),
  ]);
  const tagsByRelation = groupByKey(relTags);
  return {
    profile,
    relations: rels.map((r) => ({ ...r, tags: tagsByRelation.get(String(r.id)) ?? [] })),
    history,
    groups,
  };
}

/** The customers among these ids that the ledger knows (any relation state) and that are in the scope, in one statement. */
export async function knownContacts(ex: Executor, scope: Scope, externalUserIds: string[]): Promise<Set<string>> {
  if (externalUserIds.length === 0) return new Set();
  const rows = rowsOf<{ external_user_id: string }>(await ex.execute(sql`
    select c.external_user_id from external_contacts c
    where c.corp_id = ${scope.corpId} and c.external_user_id = any(${textArray([...new Set(externalUserIds)])})
      and ${ledgerSql.contactInScope(scope, sql.raw('c.external_user_id'))}`));
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

/** Display names of customers and groups (for messages to reps). */
export async function displayNames(ex: Executor, corpId: string, customerIds: string[], chatIds: string[]): Promise<Map<string, string>> {
  const rows = rowsOf<{ id: string; name: string }>(await ex.execute(sql`
    select external_user_id as id, name from external_contacts where corp_id = ${corpId} and external_user_id = any(${textArray(customerIds)})
    union all
    select chat_id as id, name from customer_groups where corp_id = ${corpId} and chat_id = any(${textArray(chatIds)})`));
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface TemplateFacts {
  /** The ledger has this customer (any relation state). */
  customerKnown: boolean;
  customerName: string | null;
  corpName: string | null;
  /** The rep's remark on the customer (with no rep: the latest non-empty remark any rep gave). */
  remark: string | null;
  repName: string | null;
  repPosition: string | null;
}

/** Names for rendering a template for one customer and rep. */
export async function templateFacts(ex: Executor, corpId: string, ids: { externalUserId?: string; userId?: string }): Promise<TemplateFacts> {
  const out: TemplateFacts = { customerKnown: false, customerName: null, corpName: null, remark: null, repName: null, repPosition: null };
  if (ids.externalUserId) {
    const pair = ids.userId ? sql`and r.user_id = ${ids.userId}` : sql`and coalesce(r.remark, '') <> ''`;
    const [c] = rowsOf<{ name: string; corp_name: string | null; remark: string | null }>(await ex.execute(sql`
      select c.name, c.corp_name,
             (select r.remark from relations r where r.corp_id = c.corp_id and r.external_user_id = c.external_user_id ${pair}
              order by r.updated_at desc limit 1) as remark
      from external_contacts c where c.corp_id = ${corpId} and c.external_user_id = ${ids.externalUserId}`));
    if (c) Object.assign(out, { customerKnown: true, customerName: c.name || null, corpName: c.corp_name || null, remark: c.remark || null });
  }
  if (ids.userId) {
    const [e] = rowsOf<{ name: string; position: string | null }>(await ex.execute(sql`
      select name, position from employees where corp_id = ${corpId} and user_id = ${ids.userId}`));
    if (e) Object.assign(out, { repName: e.name || null, repPosition: e.position || null });
  }
  return out;
}
