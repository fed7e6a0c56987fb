import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import { externalContacts, relationHistory, relations, relationTags, type RelationStatus } from '../schema';

/** Why the ledger changed: every history row names one. */
export interface Cause {
  cause: 'callback' | 'sync' | 'handover';
  eventId?: number;
  syncJobId?: number;
}

/** A customer's profile as WeCom reports it. */
export interface ContactFacts {
  externalUserId: string;
  name?: string;
  type?: number;
  gender?: number;
  avatar?: string;
  unionId?: string;
  position?: string;
  corpName?: string;
  corpFullName?: string;
}

/** One rep↔customer relation as WeCom reports it (it exists, with these fields). */
export interface RelationFacts {
  userId: string;
  externalUserId: string;
  remark?: string;
  description?: string;
  remarkCorpName?: string;
  remarkMobiles?: string[];
  addWay?: number;
  state?: string;
  operUserId?: string;
  addedAt?: Date;
  /** Corp tag ids; undefined = unknown (leave the stored tags alone). */
  tagIds?: string[];
}

export interface ApplyCounts {
  added: number;
  restored: number;
  edited: number;
  unchanged: number;
}

type RelationRow = typeof relations.$inferSelect;

/** Inserts or refreshes customer profiles (one statement; duplicates in the input are merged). */
export async function upsertContacts(ex: Executor, corpId: string, contacts: ContactFacts[]): Promise<void> {
  const byId = new Map(contacts.map((c) => [c.externalUserId, c]));
  if (byId.size === 0) return;
  await ex
    .insert(externalContacts)
    .values(
      [...byId.values()].map((c) => ({
        corpId, externalUserId: c.externalUserId, name: c.name ?? '', type: c.type ?? null, gender: c.gender ?? null,
        avatar: c.avatar ?? null, unionId: c.unionId ?? null, position: c.position ?? null,
        corpName: c.corpName ?? null, corpFullName: c.corpFullName ?? null,
      })),
    )
    .onConflictDoUpdate({
      target: [externalContacts.corpId, externalContacts.externalUserId],
      set: {
        name: sql`case when excluded.name = '' then ${externalContacts.name} else excluded.name end`,
        type: sql`coalesce(excluded.type, ${externalContacts.type})`,
        gender: sql`coalesce(excluded.gender, ${externalContacts.gender})`,
        avatar: sql`coalesce(excluded.avatar, ${externalContacts.avatar})`,
        unionId: sql`coalesce(excluded.union_id, ${externalContacts.unionId})`,
        position: sql`coalesce(excluded.position, ${externalContacts.position})`,
        corpName: sql`coalesce(excluded.corp_name, ${externalContacts.corpName})`,
        corpFullName: sql`coalesce(excluded.corp_full_name, ${externalContacts.corpFullName})`,
        updatedAt: sql`now()`,
      },
    });
}

const pairKey = (userId: string, externalUserId: string) => `${userId}\u0000${externalUserId}`;
const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined) =>
  JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/**
 * Records that these relations exist in WeCom. New pairs are added, ended
 * ones restored, changed ones edited — each with a history row. Set-based:
 * a page of a hundred costs a handful of statements. Idempotent.
 */
export async function applyRelations(
  ex: Executor,
  corpId: string,
  facts: RelationFacts[],
  cause: Cause,
): Promise<ApplyCounts> {
  const counts: ApplyCounts = { added: 0, restored: 0, edited: 0, unchanged: 0 };
  const byPair = new Map(facts.map((f) => [pairKey(f.userId, f.externalUserId), f]));
  if (byPair.size === 0) return counts;
  const customerIds = [...new Set(facts.map((f) => f.externalUserId))];

  // Placeholder profiles for customers we only know by id (a callback whose detail read failed).
  await ex
    .insert(externalContacts)
    .values(customerIds.map((externalUserId) => ({ corpId, externalUserId })))
    .onConflictDoNothing();

  const existing = await ex
    .select()
    .from(relations)
    .where(and(eq(relations.corpId, corpId), inArray(relations.externalUserId, customerIds)))
    .for('update');
  const existingByPair = new Map(existing.map((r) => [pairKey(r.userId, r.externalUserId), r]));
  const existingTags = await tagsOf(ex, corpId, existing.map((r) => r.id));

  const history: Array<typeof relationHistory.$inferInsert> = [];
  const toInsert: Array<{ facts: RelationFacts }> = [];
  const seenIds: number[] = [];

  for (const f of byPair.values()) {
    const row = existingByPair.get(pairKey(f.userId, f.externalUserId));
    if (!row) {
      toInsert.push({ facts: f });
      continue;
    }
    seenIds.push(row.id);
    const changedFields = diffFields(row, f, existingTags.get(row.id));
    const restoring = row.status !== 'active';
    if (!restoring && changedFields.length === 0) {
      counts.unchanged++;
      continue;
    }
    await ex
      .update(relations)
      .set({
        ...fieldValues(f, row),
        ...(restoring ? { status: 'active' as const, statusChangedAt: new Date() } : {}),
        updatedAt: new Date(),
      })
      .where(eq(relations.id, row.id));
    if (f.tagIds) await replaceTags(ex, corpId, row.id, f.tagIds);
    if (restoring) counts.restored++;
    else counts.edited++;
    history.push({
      corpId, relationId: row.id, userId: row.userId, externalUserId: row.externalUserId,
      change: restoring ? 'restored' : 'edited', fromStatus: row.status, toStatus: 'active',
      cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId,
      detail: changedFields.length ? { fields: changedFields } : null,
    });
  }

  if (toInsert.length) {
    const inserted = await ex
      .insert(relations)
      .values(toInsert.map(({ facts: f }) => ({ corpId, userId: f.userId, externalUserId: f.externalUserId, status: 'active' as const, ...fieldValues(f) })))
      .returning({ id: relations.id, userId: relations.userId, externalUserId: relations.externalUserId });
    const tagRows: Array<typeof relationTags.$inferInsert> = [];
    for (const r of inserted) {
      seenIds.push(r.id);
      const f = byPair.get(pairKey(r.userId, r.externalUserId))!;
      for (const tagId of new Set(f.tagIds ?? [])) tagRows.push({ corpId, relationId: r.id, tagId });
      history.push({
        corpId, relationId: r.id, userId: r.userId, externalUserId: r.externalUserId, change: 'added',
        fromStatus: null, toStatus: 'active', cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId,
        detail: f.state ? { state: f.state, addWay: f.addWay ?? null } : null,
      });
    }
    if (tagRows.length) await ex.insert(relationTags).values(tagRows).onConflictDoNothing();
    counts.added = inserted.length;
  }

  if (history.length) await ex.insert(relationHistory).values(history);
  if (cause.syncJobId !== undefined && seenIds.length) {
    await ex.update(relations).set({ lastSeenSyncId: cause.syncJobId }).where(inArray(relations.id, seenIds));
  }
  if (counts.added || counts.restored) await refreshConnected(ex, corpId, customerIds);
  return counts;
}

/**
 * Moves one relation to an ended status (or awaiting_handover) with a history
 * row. A relation we never saw is created in that status, so the story is
 * complete even when the add callback was missed. No-op when already there.
 */
export async function endRelation(
  ex: Executor,
  corpId: string,
  userId: string,
  externalUserId: string,
  to: Exclude<RelationStatus, 'active'>,
  cause: Cause,
  detail?: Record<string, unknown>,
): Promise<{ changed: boolean; from: RelationStatus | null }> {
  await ex.insert(externalContacts).values({ corpId, externalUserId }).onConflictDoNothing();
  const [row] = await ex
    .select()
    .from(relations)
    .where(and(eq(relations.corpId, corpId), eq(relations.userId, userId), eq(relations.externalUserId, externalUserId)))
    .for('update');
  if (row?.status === to) return { changed: false, from: to };
  let relationId: number;
  if (row) {
    await ex.update(relations).set({ status: to, statusChangedAt: new Date(), updatedAt: new Date() }).where(eq(relations.id, row.id));
    relationId = row.id;
  } else {
    const [created] = await ex.insert(relations).values({ corpId, userId, externalUserId, status: to }).returning({ id: relations.id });
    relationId = created!.id;
  }
  await ex.insert(relationHistory).values({
    corpId, relationId, userId, externalUserId, change: to, fromStatus: row?.status ?? null, toStatus: to,
    cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId, detail: detail ?? null,
  });
  await refreshConnected(ex, corpId, [externalUserId]);
  return { changed: true, from: row?.status ?? null };
}

/**
 * A customer is connected while any relation is alive — active, or awaiting
 * handover (the departed rep's WeCom link still exists until it is passed on).
 * The archive stays either way.
 */
export async function refreshConnected(ex: Executor, corpId: string, externalUserIds: string[]): Promise<void> {
  if (externalUserIds.length === 0) return;
  await ex.execute(sql`
    update external_contacts c set
      connected = x.connected,
      disconnected_at = case when x.connected then null else coalesce(c.disconnected_at, now()) end,
      updated_at = now()
    from (
      select e.external_user_id,
             exists (select 1 from relations r where r.corp_id = e.corp_id and r.external_user_id = e.external_user_id and r.status in ('active', 'awaiting_handover')) as connected
      from external_contacts e
      where e.corp_id = ${corpId} and e.external_user_id in (${sql.join(externalUserIds.map((id) => sql`${id}`), sql`, `)})
    ) x
    where c.corp_id = ${corpId} and c.external_user_id = x.external_user_id and c.connected is distinct from x.connected`);
}

async function tagsOf(ex: Executor, corpId: string, relationIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (relationIds.length === 0) return out;
  const rows = await ex
    .select({ relationId: relationTags.relationId, tagId: relationTags.tagId })
    .from(relationTags)
    .where(and(eq(relationTags.corpId, corpId), inArray(relationTags.relationId, relationIds)));
  for (const r of rows) out.set(r.relationId, [...(out.get(r.relationId) ?? []), r.tagId]);
  return out;
}

async function replaceTags(ex: Executor, corpId: string, relationId: number, tagIds: string[]): Promise<void> {
  await ex.delete(relationTags).where(and(eq(relationTags.corpId, corpId), eq(relationTags.relationId, relationId)));
  const unique = [...new Set(tagIds)];
  if (unique.length) await ex.insert(relationTags).values(unique.map((tagId) => ({ corpId, relationId, tagId })));
}

/** Column values from the facts; fields WeCom did not report keep their stored value. */
function fieldValues(f: RelationFacts, row?: RelationRow) {
  return {
    remark: f.remark ?? row?.remark ?? null,
    description: f.description ?? row?.description ?? null,
    remarkCorpName: f.remarkCorpName ?? row?.remarkCorpName ?? null,
    remarkMobiles: f.remarkMobiles ?? row?.remarkMobiles ?? null,
    addWay: f.addWay ?? row?.addWay ?? null,
    state: f.state ?? row?.state ?? null,
    operUserId: f.operUserId ?? row?.operUserId ?? null,
    addedAt: f.addedAt ?? row?.addedAt ?? null,
  };
}

/** Names of the fields that differ (values are not copied into history: they may be personal). */
function diffFields(row: RelationRow, f: RelationFacts, tagIds: string[] | undefined): string[] {
  const changed: string[] = [];
  const check = (name: string, a: unknown, b: unknown) => {
    if (b !== undefined && (a ?? null) !== (b ?? null)) changed.push(name);
  };
  check('remark', row.remark, f.remark);
  check('description', row.description, f.description);
  check('remarkCorpName', row.remarkCorpName, f.remarkCorpName);
  check('addWay', row.addWay, f.addWay);
  check('state', row.state, f.state);
  check('operUserId', row.operUserId, f.operUserId);
  if (f.addedAt && row.addedAt?.getTime() !== f.addedAt.getTime()) changed.push('addedAt');
  if (f.remarkMobiles && !sameList(row.remarkMobiles, f.remarkMobiles)) changed.push('remarkMobiles');
  if (f.tagIds && !sameList(tagIds, f.tagIds)) changed.push('tags');
  return changed;
}
