import { and, asc, desc, eq, exists, gt, gte, inArray, isNull, lt, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import {
  alerts, customerGroups, employees, externalContacts, groupHistory, groupMembers, relationHistory, relations,
  relationTags, RELATION_STATUSES, tagGroups, tags, type RelationStatus,
} from './schema';

/**
 * The ledger's read side. Every function takes an executor and the corp id
 * and scopes every table it touches by corp_id. Rows are plain and typed;
 * shaping for the wire (and leaving out what must not leave) is the
 * presenters' job, but these selects already list their columns, so
 * remark_mobiles is never even read.
 */

/** A page of a keyset-paginated list: `hasMore` says whether a next page exists. */
export interface Page<T> {
  rows: T[];
  hasMore: boolean;
}

/** A user's text as a case-insensitive `contains` LIKE pattern: %, _ and \ match only themselves. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

const ilikeContains = (col: Column, text: string): SQL =>
  sql`${col} ilike ${containsPattern(text)} escape '\\'`;

const count = (expr: SQL = sql`*`) => sql<number>`count(${expr})`.mapWith(Number);

async function page<T>(rows: Promise<T[]>, limit: number): Promise<Page<T>> {
  const all = await rows;
  return { rows: all.slice(0, limit), hasMore: all.length > limit };
}

// ---------------------------------------------------------------- employees

export interface EmployeeFilter {
  status?: string;
  department?: number;
  /** Case-insensitive substring of the name or the userid. */
  q?: string;
}

export interface EmployeeSummary {
  userId: string;
  name: string;
  departmentIds: number[];
  status: string;
  /** Active relations only. */
  customerCount: number;
}

export async function listEmployees(ex: Executor, corpId: string, f: EmployeeFilter): Promise<EmployeeSummary[]> {
  const conds: SQL[] = [eq(employees.corpId, corpId)];
  if (f.status) conds.push(eq(employees.status, f.status));
  if (f.department !== undefined) conds.push(sql`${f.department}::int = any(${employees.departmentIds})`);
  if (f.q) conds.push(or(ilikeContains(employees.name, f.q), ilikeContains(employees.userId, f.q))!);
  const active = ex
    .select({ userId: relations.userId, n: count().as('n') })
    .from(relations)
    .where(and(eq(relations.corpId, corpId), eq(relations.status, 'active')))
    .groupBy(relations.userId)
    .as('active_relations');
  return ex
    .select({
      userId: employees.userId,
      name: employees.name,
      departmentIds: employees.departmentIds,
      status: employees.status,
      customerCount: sql<number>`coalesce(${active.n}, 0)`.mapWith(Number),
    })
    .from(employees)
    .leftJoin(active, eq(active.userId, employees.userId))
    .where(and(...conds))
    .orderBy(asc(employees.userId));
}

// ---------------------------------------------------------------- contacts

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
 * one query each.
 */
export async function listContacts(ex: Executor, corpId: string, f: ContactFilter): Promise<Page<ContactSummary>> {
  const c = externalContacts;
  const conds: SQL[] = [eq(c.corpId, corpId)];
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

function groupByKey<T extends { key: string }>(rows: T[]): Map<string, Array<Omit<T, 'key'>>> {
  const out = new Map<string, Array<Omit<T, 'key'>>>();
  for (const { key, ...rest } of rows) {
    const list = out.get(key) ?? [];
    list.push(rest);
    out.set(key, list);
  }
  return out;
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

const tagOrder = [desc(tagGroups.sortOrder), desc(tags.sortOrder), asc(tags.tagId)];

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

export interface RelationHistoryEntry {
  id: number;
  userId: string;
  change: string;
  fromStatus: string | null;
  toStatus: string | null;
  cause: string;
  at: Date;
  detail: unknown;
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

export const HISTORY_LIMIT = 200;

export async function getContact(ex: Executor, corpId: string, externalUserId: string): Promise<ContactDetail | undefined> {
  const c = externalContacts;
  const [profile] = await ex
    .select({
      externalUserId: c.externalUserId, name: c.name, type: c.type, gender: c.gender, corpName: c.corpName,
      corpFullName: c.corpFullName, position: c.position, connected: c.connected, firstSeenAt: c.firstSeenAt,
      disconnectedAt: c.disconnectedAt,
    })
    .from(c)
    .where(and(eq(c.corpId, corpId), eq(c.externalUserId, externalUserId)));
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

// ---------------------------------------------------------------- groups

export interface GroupFilter {
  owner?: string;
  status?: string;
  /** Keyset cursor: only chat_id greater than this. */
  after?: string;
  limit: number;
}

export interface GroupSummary {
  chatId: string;
  name: string;
  ownerUserId: string | null;
  status: string;
  /** Active members, employees included. */
  memberCount: number;
  /** Active external-contact members. */
  customerCount: number;
  createdAt: Date | null;
}

export async function listGroups(ex: Executor, corpId: string, f: GroupFilter): Promise<Page<GroupSummary>> {
  const g = customerGroups;
  const conds: SQL[] = [eq(g.corpId, corpId)];
  if (f.owner !== undefined) conds.push(eq(g.ownerUserId, f.owner));
  if (f.status) conds.push(eq(g.status, f.status));
  if (f.after !== undefined) conds.push(gt(g.chatId, f.after));
  const members = ex
    .select({
      chatId: groupMembers.chatId,
      members: count().as('members'),
      customers: count(sql`case when ${groupMembers.type} = 2 then 1 end`).as('customers'),
    })
    .from(groupMembers)
    .where(and(eq(groupMembers.corpId, corpId), eq(groupMembers.status, 'active')))
    .groupBy(groupMembers.chatId)
    .as('active_members');
  return page(
    ex
      .select({
        chatId: g.chatId, name: g.name, ownerUserId: g.ownerUserId, status: g.status,
        memberCount: sql<number>`coalesce(${members.members}, 0)`.mapWith(Number),
        customerCount: sql<number>`coalesce(${members.customers}, 0)`.mapWith(Number),
        createdAt: g.createdAt,
      })
      .from(g)
      .leftJoin(members, eq(members.chatId, g.chatId))
      .where(and(...conds))
      .orderBy(asc(g.chatId))
      .limit(f.limit + 1),
    f.limit,
  );
}

export interface GroupMemberRow {
  memberId: string;
  type: number;
  name: string | null;
  joinScene: number | null;
  joinedAt: Date | null;
  invitorUserId: string | null;
  isAdmin: boolean;
  status: string;
  leftAt: Date | null;
}

export interface GroupHistoryEntry {
  id: number;
  memberId: string | null;
  change: string;
  cause: string;
  at: Date;
  detail: unknown;
}

export interface GroupDetail {
  chatId: string;
  name: string;
  ownerUserId: string | null;
  notice: string | null;
  status: string;
  memberVersion: string | null;
  createdAt: Date | null;
  dismissedAt: Date | null;
  /** Current members first, then those who left. */
  members: GroupMemberRow[];
  /** Newest first, at most HISTORY_LIMIT. */
  history: GroupHistoryEntry[];
}

export async function getGroup(ex: Executor, corpId: string, chatId: string): Promise<GroupDetail | undefined> {
  const g = customerGroups;
  const [group] = await ex
    .select({
      chatId: g.chatId, name: g.name, ownerUserId: g.ownerUserId, notice: g.notice, status: g.status,
      memberVersion: g.memberVersion, createdAt: g.createdAt, dismissedAt: g.dismissedAt,
    })
    .from(g)
    .where(and(eq(g.corpId, corpId), eq(g.chatId, chatId)));
  if (!group) return undefined;
  const m = groupMembers;
  const [members, history] = await Promise.all([
    ex
      .select({
        memberId: m.memberId, type: m.type, name: m.name, joinScene: m.joinScene, joinedAt: m.joinedAt,
        invitorUserId: m.invitorUserId, isAdmin: m.isAdmin, status: m.status, leftAt: m.leftAt,
      })
      .from(m)
      .where(and(eq(m.corpId, corpId), eq(m.chatId, chatId)))
      .orderBy(sql`${m.status} = 'active' desc`, sql`${m.joinedAt} asc nulls last`, asc(m.memberId)),
    ex
      .select({
        id: groupHistory.id, memberId: groupHistory.memberId, change: groupHistory.change, cause: groupHistory.cause,
        at: groupHistory.at, detail: groupHistory.detail,
      })
      .from(groupHistory)
      .where(and(eq(groupHistory.corpId, corpId), eq(groupHistory.chatId, chatId)))
      .orderBy(desc(groupHistory.id))
      .limit(HISTORY_LIMIT),
  ]);
  return { ...group, members, history };
}

// ---------------------------------------------------------------- tags

export interface TagWithCount {
  tagId: string;
  name: string;
  order: number;
  /** Distinct customers carrying the tag on an active relation. */
  customerCount: number;
}

export interface TagGroupWithTags {
  groupId: string;
  name: string;
  order: number;
  tags: TagWithCount[];
}

/** Live tag groups and tags, bigger sort order first (WeCom's convention). */
export async function listTagGroups(ex: Executor, corpId: string): Promise<TagGroupWithTags[]> {
  const usage = ex
    .select({ tagId: relationTags.tagId, customers: count(sql`distinct ${relations.externalUserId}`).as('customers') })
    .from(relationTags)
    .innerJoin(relations, and(eq(relations.corpId, corpId), eq(relations.id, relationTags.relationId)))
    .where(and(eq(relationTags.corpId, corpId), eq(relations.status, 'active')))
    .groupBy(relationTags.tagId)
    .as('tag_usage');
  const [groups, tagRows] = await Promise.all([
    ex
      .select({ groupId: tagGroups.groupId, name: tagGroups.name, order: tagGroups.sortOrder })
      .from(tagGroups)
      .where(and(eq(tagGroups.corpId, corpId), isNull(tagGroups.deletedAt)))
      .orderBy(desc(tagGroups.sortOrder), asc(tagGroups.groupId)),
    ex
      .select({
        key: tags.groupId, tagId: tags.tagId, name: tags.name, order: tags.sortOrder,
        customerCount: sql<number>`coalesce(${usage.customers}, 0)`.mapWith(Number),
      })
      .from(tags)
      .leftJoin(usage, eq(usage.tagId, tags.tagId))
      .where(and(eq(tags.corpId, corpId), isNull(tags.deletedAt)))
      .orderBy(desc(tags.sortOrder), asc(tags.tagId)),
  ]);
  const byGroup = groupByKey(tagRows);
  return groups.map((g) => ({ ...g, tags: byGroup.get(g.groupId) ?? [] }));
}

// ---------------------------------------------------------------- alerts

export interface AlertFilter {
  kind?: string;
  userId?: string;
  /** Id cursor: only alerts older than this. */
  before?: number;
  limit: number;
}

export interface AlertRow {
  id: number;
  kind: string;
  userId: string;
  externalUserId: string | null;
  recipients: string[];
  createdAt: Date;
  detail: unknown;
}

export async function listAlerts(ex: Executor, corpId: string, f: AlertFilter): Promise<AlertRow[]> {
  const conds: SQL[] = [eq(alerts.corpId, corpId)];
  if (f.kind) conds.push(eq(alerts.kind, f.kind));
  if (f.userId !== undefined) conds.push(eq(alerts.userId, f.userId));
  if (f.before !== undefined) conds.push(lt(alerts.id, f.before));
  return ex
    .select({
      id: alerts.id, kind: alerts.kind, userId: alerts.userId, externalUserId: alerts.externalUserId,
      recipients: alerts.recipients, createdAt: alerts.createdAt, detail: alerts.detail,
    })
    .from(alerts)
    .where(and(...conds))
    .orderBy(desc(alerts.id))
    .limit(f.limit);
}

// ---------------------------------------------------------------- stats

export interface RepCount {
  userId: string;
  count: number;
}

export interface RelationStats {
  /** Every relation status, zero when none. */
  byStatus: Record<RelationStatus, number>;
  /** Removals recorded in relation_history since `since`. */
  removed: { byRep: number; byCustomer: number };
  /** Reps who removed the most customers since `since` (top 10). */
  topDeletingReps: RepCount[];
  /** Reps whom the most customers removed since `since` (top 10). */
  customersLostByRep: RepCount[];
}

export const TOP_REPS = 10;

export async function relationStats(ex: Executor, corpId: string, since: Date): Promise<RelationStats> {
  const topBy = (change: string) =>
    ex
      .select({ userId: relationHistory.userId, count: count().as('n') })
      .from(relationHistory)
      .where(and(eq(relationHistory.corpId, corpId), eq(relationHistory.change, change), gte(relationHistory.at, since)))
      .groupBy(relationHistory.userId)
      .orderBy(desc(sql`n`), asc(relationHistory.userId))
      .limit(TOP_REPS);
  const [statusRows, removedRows, topDeletingReps, customersLostByRep] = await Promise.all([
    ex
      .select({ status: relations.status, n: count() })
      .from(relations)
      .where(eq(relations.corpId, corpId))
      .groupBy(relations.status),
    ex
      .select({ change: relationHistory.change, n: count() })
      .from(relationHistory)
      .where(and(
        eq(relationHistory.corpId, corpId),
        inArray(relationHistory.change, ['removed_by_rep', 'removed_by_customer']),
        gte(relationHistory.at, since),
      ))
      .groupBy(relationHistory.change),
    topBy('removed_by_rep'),
    topBy('removed_by_customer'),
  ]);
  const byStatus = Object.fromEntries(RELATION_STATUSES.map((s) => [s, 0])) as Record<RelationStatus, number>;
  for (const r of statusRows) byStatus[r.status] = r.n;
  const removed = (change: string) => removedRows.find((r) => r.change === change)?.n ?? 0;
  return {
    byStatus,
    removed: { byRep: removed('removed_by_rep'), byCustomer: removed('removed_by_customer') },
    topDeletingReps,
    customersLostByRep,
  };
}
