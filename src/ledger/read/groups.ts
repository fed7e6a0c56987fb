import { and, asc, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { ledgerSql } from '../sql';
import { customerGroups, groupHistory, groupMembers } from '../schema';
import { count, HISTORY_LIMIT, page, type Page } from './common';

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

/** The groups whose owner is in the scope, keyset-paginated on chat_id. */
export async function listGroups(ex: Executor, scope: Scope, f: GroupFilter): Promise<Page<GroupSummary>> {
  const corpId = scope.corpId;
  const g = customerGroups;
  const conds: SQL[] = [eq(g.corpId, corpId), ledgerSql.groupInScope(scope, sql`${g.ownerUserId}`)];
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

/** A group whose owner is in the scope; undefined when unknown or out of scope (the route answers 404 for both). */
export async function getGroup(ex: Executor, scope: Scope, chatId: string): Promise<GroupDetail | undefined> {
  const corpId = scope.corpId;
  const g = customerGroups;
  const [group] = await ex
    .select({
      chatId: g.chatId, name: g.name, ownerUserId: g.ownerUserId, notice: g.notice, status: g.status,
      memberVersion: g.memberVersion, createdAt: g.createdAt, dismissedAt: g.dismissedAt,
    })
    .from(g)
    .where(and(eq(g.corpId, corpId), eq(g.chatId, chatId), ledgerSql.groupInScope(scope, sql`${g.ownerUserId}`)));
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

export interface GroupState {
  chatId: string;
  name: string;
  status: string;
  ownerUserId: string | null;
  /** On-job owner changes by handover in the window given. */
  recentTransfers: number;
}

export async function groupsOwnedBy(ex: Executor, corpId: string, userId: string, since: Date, chatIds?: string[]): Promise<GroupState[]> {
  const only = chatIds ? sql`and g.chat_id = any(${textArray(chatIds)})` : sql``;
  return rowsOf<{ chat_id: string; name: string; status: string; owner_user_id: string | null; n: number }>(await ex.execute(sql`
    select g.chat_id, g.name, g.status, g.owner_user_id,
           (select count(*)::int from group_history h where h.corp_id = g.corp_id and h.chat_id = g.chat_id and h.cause = 'handover'
              and h.change = 'owner_changed' and (h.detail->>'kind') = 'onjob' and h.at >= ${since.toISOString()}::timestamptz) as n
    from customer_groups g where g.corp_id = ${corpId} and g.owner_user_id = ${userId} ${only}
    order by g.chat_id`)).map((r) => ({ chatId: r.chat_id, name: r.name, status: r.status, ownerUserId: r.owner_user_id, recentTransfers: Number(r.n) }));
}
