import { and, eq, sql } from 'drizzle-orm';
import { jsonRows } from '../../db/bulk';
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

  const rows = g.member_list.map((m) => {
    present.add(m.userid);
    const had = storedById.get(m.userid);
    if (!had || had.status !== 'active') {
      joined++;
      history.push({ ...base, memberId: m.userid, change: 'member_joined', detail: { type: m.type, joinScene: m.join_scene ?? null } });
    }
    return {
      member_id: m.userid, type: m.type, join_scene: m.join_scene ?? null, joined_at: fromUnix(m.join_time)?.toISOString() ?? null,
      invitor_user_id: m.invitor?.userid ?? null, group_nickname: m.group_nickname ?? null, name: m.name ?? null,
      state: m.state ?? null, is_admin: admins.has(m.userid),
    };
  });
  if (rows.length) {
    await ex.execute(sql`
      insert into group_members (corp_id, chat_id, member_id, type, join_scene, joined_at, invitor_user_id, group_nickname, name, state, is_admin, status)
      select ${corpId}, ${g.chat_id}, x.*, 'active' from jsonb_to_recordset(${jsonRows(rows)}) as x(
        member_id text, type int, join_scene int, joined_at timestamptz, invitor_user_id text, group_nickname text, name text, state text, is_admin boolean)
      on conflict (corp_id, chat_id, member_id) do update set
        type = excluded.type, join_scene = excluded.join_scene, joined_at = excluded.joined_at, invitor_user_id = excluded.invitor_user_id,
        group_nickname = excluded.group_nickname, name = excluded.name, state = excluded.state, is_admin = excluded.is_admin,
        status = 'active', left_at = null, quit_scene = null, updated_at = now()`);
  }
  for (const m of stored) {
    if (m.status !== 'active' || present.has(m.memberId)) continue;
    left++;
    await ex
      .update(groupMembers)
      .set({ status: 'left', leftAt: cause.at, quitScene: hints.quitScene ?? null, updatedAt: new Date() })
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
    .set({ status: to, dismissedAt: sql`coalesce(${customerGroups.dismissedAt}, ${cause.at.toISOString()}::timestamptz)`, updatedAt: new Date() })
    .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, chatId), sql`${customerGroups.status} <> ${to}`))
    .returning({ chatId: customerGroups.chatId });
  if (rows.length === 0) {
    // Unknown group: keep a row so the event is on record.
    const inserted = await ex
      .insert(customerGroups)
      .values({ corpId, chatId, status: to, dismissedAt: cause.at })
      .onConflictDoNothing()
      .returning({ chatId: customerGroups.chatId });
    if (inserted.length === 0) return false;
  }
  await ex.insert(groupHistory).values({ corpId, chatId, change: to, cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId });
  return true;
}

/** A completed group transfer: the new owner, with history. */
export async function recordGroupTransfer(
  ex: Executor, corpId: string,
  t: { chatId: string; fromUserId: string; toUserId: string; kind: 'onjob' | 'resigned'; planId: number },
): Promise<void> {
  const changed = await ex
    .update(customerGroups)
    .set({ ownerUserId: t.toUserId, status: 'active', updatedAt: new Date() })
    .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, t.chatId), sql`${customerGroups.ownerUserId} is distinct from ${t.toUserId}`))
    .returning({ chatId: customerGroups.chatId });
  if (changed.length) {
    await ex.insert(groupHistory).values({
      corpId, chatId: t.chatId, change: 'owner_changed', cause: 'handover',
      detail: { from: t.fromUserId, to: t.toUserId, kind: t.kind, planId: t.planId },
    });
  }
}
