import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import type { GroupChat } from '../../wecom/client';
import { customerGroups, groupHistory, groupMembers } from '../schema';
import type { Cause } from './relations';

const fromUnix = (s?: number) => (s ? new Date(s * 1000) : null);

export interface GroupCounts {
  created: boolean;
  joined: number;
  left: number;
}

/** Hints a callback carries that the group detail does not (why members left). */
export interface MemberChangeHints {
  quitScene?: number;
}

/**
 * Makes the ledger's copy of a group equal WeCom's detail: the group row,
 * then members joined/left (diffed against what we had), each change with a
 * history row. Reading the whole detail rather than trusting the callback's
 * member list also heals lost or out-of-order callbacks.
 */
export async function applyGroupDetail(
  ex: Executor,
  corpId: string,
  g: GroupChat,
  cause: Cause,
  hints: MemberChangeHints = {},
): Promise<GroupCounts> {
  const [before] = await ex
    .select()
    .from(customerGroups)
    .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, g.chat_id)))
    .for('update');
  const history: Array<typeof groupHistory.$inferInsert> = [];
  const base = { corpId, chatId: g.chat_id, cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId };
  const values = {
    name: g.name ?? before?.name ?? '',
    ownerUserId: g.owner,
    notice: g.notice ?? null,
    memberVersion: g.member_version ?? null,
    createdAt: fromUnix(g.create_time),
    ...(cause.syncJobId !== undefined ? { lastSeenSyncId: cause.syncJobId } : {}),
    updatedAt: new Date(),
  };

  if (!before) {
    await ex.insert(customerGroups).values({ corpId, chatId: g.chat_id, status: 'active', ...values });
    history.push({ ...base, change: 'created', detail: { owner: g.owner } });
  } else {
    // A group we thought dismissed or gone is listed again: it is active.
    const revived = before.status === 'dismissed' || before.status === 'gone';
    await ex
      .update(customerGroups)
      .set({ ...values, ...(revived ? { status: 'active', dismissedAt: null } : {}) })
      .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, g.chat_id)));
    if (before.ownerUserId !== g.owner) history.push({ ...base, change: 'owner_changed', detail: { from: before.ownerUserId, to: g.owner } });
    if (g.name !== undefined && before.name !== g.name) history.push({ ...base, change: 'renamed' });
    if ((before.notice ?? null) !== (g.notice ?? null)) history.push({ ...base, change: 'notice_changed' });
  }

  const stored = await ex
    .select()
    .from(groupMembers)
    .where(and(eq(groupMembers.corpId, corpId), eq(groupMembers.chatId, g.chat_id)))
    .for('update');
  const storedById = new Map(stored.map((m) => [m.memberId, m]));
  const admins = new Set((g.admin_list ?? []).map((a) => a.userid));
  const present = new Set<string>();
  let joined = 0;
  let left = 0;

  for (const m of g.member_list) {
    present.add(m.userid);
    const row = {
      type: m.type,
      joinScene: m.join_scene ?? null,
      joinedAt: fromUnix(m.join_time),
      invitorUserId: m.invitor?.userid ?? null,
      groupNickname: m.group_nickname ?? null,
      name: m.name ?? null,
      state: m.state ?? null,
      isAdmin: admins.has(m.userid),
      updatedAt: new Date(),
    };
    const had = storedById.get(m.userid);
    if (!had || had.status !== 'active') {
      joined++;
      history.push({ ...base, memberId: m.userid, change: 'member_joined', detail: { type: m.type, joinScene: m.join_scene ?? null } });
    }
    await ex
      .insert(groupMembers)
      .values({ corpId, chatId: g.chat_id, memberId: m.userid, status: 'active', leftAt: null, quitScene: null, ...row })
      .onConflictDoUpdate({
        target: [groupMembers.corpId, groupMembers.chatId, groupMembers.memberId],
        set: { ...row, status: 'active', leftAt: null, quitScene: null },
      });
  }
  for (const m of stored) {
    if (m.status !== 'active' || present.has(m.memberId)) continue;
    left++;
    await ex
      .update(groupMembers)
      .set({ status: 'left', leftAt: new Date(), quitScene: hints.quitScene ?? null, updatedAt: new Date() })
      .where(and(eq(groupMembers.corpId, corpId), eq(groupMembers.chatId, g.chat_id), eq(groupMembers.memberId, m.memberId)));
    history.push({ ...base, memberId: m.memberId, change: 'member_left', detail: { quitScene: hints.quitScene ?? null } });
  }
  if (history.length) await ex.insert(groupHistory).values(history);
  return { created: !before, joined, left };
}

/** Marks a group dismissed (or gone from WeCom's list), members kept for the record. */
export async function endGroup(
  ex: Executor,
  corpId: string,
  chatId: string,
  to: 'dismissed' | 'gone',
  cause: Cause,
): Promise<boolean> {
  const rows = await ex
    .update(customerGroups)
    .set({ status: to, dismissedAt: sql`coalesce(${customerGroups.dismissedAt}, now())`, updatedAt: new Date() })
    .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, chatId), sql`${customerGroups.status} <> ${to}`))
    .returning({ chatId: customerGroups.chatId });
  if (rows.length === 0) {
    // Unknown group: keep a row so the event is on record.
    const inserted = await ex
      .insert(customerGroups)
      .values({ corpId, chatId, status: to, dismissedAt: new Date() })
      .onConflictDoNothing()
      .returning({ chatId: customerGroups.chatId });
    if (inserted.length === 0) return false;
  }
  await ex.insert(groupHistory).values({ corpId, chatId, change: to, cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId });
  return true;
}
