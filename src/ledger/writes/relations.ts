import { and, eq, sql } from 'drizzle-orm';
import { jsonRows, textArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import { relationHistory, relations, relationTags, type RelationStatus } from '../schema';

/** Why the ledger changed: every history row names one. */
export interface Cause {
  cause: 'callback' | 'sync' | 'handover';
  eventId?: number;
  syncJobId?: number;
  /** When it happened, by the service's clock: the times stamped from it (ended, departed, disconnected) are what later decisions read. */
  at: Date;
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
  const rows = [...byId.values()].map((c) => ({
    external_user_id: c.externalUserId, name: c.name ?? '', type: c.type ?? null, gender: c.gender ?? null, avatar: c.avatar ?? null,
    union_id: c.unionId ?? null, position: c.position ?? null, corp_name: c.corpName ?? null, corp_full_name: c.corpFullName ?? null,
  }));
  // A field WeCom did not report keeps what we knew.
  await ex.execute(sql`
    insert into external_contacts (corp_id, external_user_id, name, type, gender, avatar, union_id, position, corp_name, corp_full_name)
    select ${corpId}, x.* from jsonb_to_recordset(${jsonRows(rows)}) as x(
      external_user_id text, name text, type int, gender int, avatar text, union_id text, position text, corp_name text, corp_full_name text)
    on conflict (corp_id, external_user_id) do update set
      name = case when excluded.name = '' then external_contacts.name else excluded.name end,
      type = coalesce(excluded.type, external_contacts.type),
      gender = coalesce(excluded.gender, external_contacts.gender),
      avatar = coalesce(excluded.avatar, external_contacts.avatar),
      union_id = coalesce(excluded.union_id, external_contacts.union_id),
      position = coalesce(excluded.position, external_contacts.position),
      corp_name = coalesce(excluded.corp_name, external_contacts.corp_name),
      corp_full_name = coalesce(excluded.corp_full_name, external_contacts.corp_full_name),
      updated_at = now()`);
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
  await ex.execute(sql`
    insert into external_contacts (corp_id, external_user_id) select ${corpId}, unnest(${textArray(customerIds)})
    on conflict do nothing`);

  const existing = await ex
    .select()
    .from(relations)
    .where(and(eq(relations.corpId, corpId), sql`${relations.externalUserId} = any(${textArray(customerIds)})`))
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
        ...(restoring ? { status: 'active' as const, statusChangedAt: cause.at } : {}),
        updatedAt: new Date(),
      })
      .where(and(eq(relations.corpId, corpId), eq(relations.id, row.id)));
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
    const rows = toInsert.map(({ facts: f }) => {
      const v = fieldValues(f);
      return {
        user_id: f.userId, external_user_id: f.externalUserId, remark: v.remark, description: v.description,
        remark_corp_name: v.remarkCorpName, remark_mobiles: v.remarkMobiles, add_way: v.addWay, state: v.state,
        oper_user_id: v.operUserId, added_at: v.addedAt?.toISOString() ?? null,
      };
    });
    const inserted = rowsOf<{ id: string; user_id: string; external_user_id: string }>(await ex.execute(sql`
      insert into relations (corp_id, user_id, external_user_id, status, remark, description, remark_corp_name, remark_mobiles,
                             add_way, state, oper_user_id, added_at)
      select ${corpId}, x.user_id, x.external_user_id, 'active', x.remark, x.description, x.remark_corp_name, x.remark_mobiles,
             x.add_way, x.state, x.oper_user_id, x.added_at
      from jsonb_to_recordset(${jsonRows(rows)}) as x(user_id text, external_user_id text, remark text, description text,
        remark_corp_name text, remark_mobiles text[], add_way int, state text, oper_user_id text, added_at timestamptz)
      returning id, user_id, external_user_id`));
    const tagRows: Array<{ relation_id: number; tag_id: string }> = [];
    for (const r of inserted) {
      const id = Number(r.id);
      seenIds.push(id);
      const f = byPair.get(pairKey(r.user_id, r.external_user_id))!;
      for (const tagId of new Set(f.tagIds ?? [])) tagRows.push({ relation_id: id, tag_id: tagId });
      history.push({
        corpId, relationId: id, userId: r.user_id, externalUserId: r.external_user_id, change: 'added',
        fromStatus: null, toStatus: 'active', cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId,
        detail: f.state ? { state: f.state, addWay: f.addWay ?? null } : null,
      });
    }
    if (tagRows.length) {
      await ex.execute(sql`
        insert into relation_tags (corp_id, relation_id, tag_id)
        select ${corpId}, x.relation_id, x.tag_id from jsonb_to_recordset(${jsonRows(tagRows)}) as x(relation_id bigint, tag_id text)
        on conflict do nothing`);
    }
    counts.added = inserted.length;
  }

  await appendRelationHistory(ex, history);
  if (cause.syncJobId !== undefined && seenIds.length) {
    await ex.execute(sql`update relations set last_seen_sync_id = ${cause.syncJobId} where corp_id = ${corpId} and id = any(${sql.param(seenIds)}::bigint[])`);
  }
  if (counts.added || counts.restored) await refreshConnected(ex, corpId, customerIds, cause.at);
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
  const [changed] = await endRelations(ex, corpId, [{ userId, externalUserId, detail }], to, cause);
  return changed ? { changed: true, from: changed.from } : { changed: false, from: to };
}

/** `endRelation` for many pairs in a few statements (a handover settles thousands at once). Returns the pairs that changed. */
export async function endRelations(
  ex: Executor,
  corpId: string,
  ends: Array<{ userId: string; externalUserId: string; detail?: Record<string, unknown> }>,
  to: Exclude<RelationStatus, 'active'>,
  cause: Cause,
): Promise<Array<{ userId: string; externalUserId: string; from: RelationStatus | null }>> {
  const wanted = new Map(ends.map((e) => [pairKey(e.userId, e.externalUserId), e]));
  if (wanted.size === 0) return [];
  const customerIds = [...new Set(ends.map((e) => e.externalUserId))];
  await ex.execute(sql`
    insert into external_contacts (corp_id, external_user_id) select ${corpId}, unnest(${textArray(customerIds)})
    on conflict do nothing`);
  const pairs = [...wanted.values()].map((e) => ({ user_id: e.userId, external_user_id: e.externalUserId }));
  const existing = rowsOf<{ id: string; user_id: string; external_user_id: string; status: RelationStatus }>(await ex.execute(sql`
    select r.id, r.user_id, r.external_user_id, r.status from relations r
    join jsonb_to_recordset(${jsonRows(pairs)}) as x(user_id text, external_user_id text)
      on r.user_id = x.user_id and r.external_user_id = x.external_user_id
    where r.corp_id = ${corpId} order by r.id for update of r`));
  const found = new Set(existing.map((r) => pairKey(r.user_id, r.external_user_id)));
  const moving = existing.filter((r) => r.status !== to);
  if (moving.length) {
    await ex.execute(sql`update relations set status = ${to}, status_changed_at = ${cause.at.toISOString()}::timestamptz, updated_at = now()
      where corp_id = ${corpId} and id = any(${sql.param(moving.map((r) => Number(r.id)))}::bigint[])`);
  }
  const missing = pairs.filter((p) => !found.has(pairKey(p.user_id, p.external_user_id)));
  const created = missing.length ? rowsOf<{ id: string; user_id: string; external_user_id: string }>(await ex.execute(sql`
    insert into relations (corp_id, user_id, external_user_id, status)
    select ${corpId}, x.user_id, x.external_user_id, ${to} from jsonb_to_recordset(${jsonRows(missing)}) as x(user_id text, external_user_id text)
    returning id, user_id, external_user_id`)) : [];
  const changed = [
    ...moving.map((r) => ({ id: Number(r.id), userId: r.user_id, externalUserId: r.external_user_id, from: r.status as RelationStatus | null })),
    ...created.map((r) => ({ id: Number(r.id), userId: r.user_id, externalUserId: r.external_user_id, from: null })),
  ];
  await appendRelationHistory(ex, changed.map((c) => ({
    corpId, relationId: c.id, userId: c.userId, externalUserId: c.externalUserId, change: to, fromStatus: c.from, toStatus: to,
    cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId,
    detail: wanted.get(pairKey(c.userId, c.externalUserId))?.detail ?? null,
  })));
  await refreshConnected(ex, corpId, [...new Set(changed.map((c) => c.externalUserId))], cause.at);
  return changed.map(({ userId, externalUserId, from }) => ({ userId, externalUserId, from }));
}

/**
 * A customer is connected while any relation is alive — active, or awaiting
 * handover (the departed rep's WeCom link still exists until it is passed on).
 * The archive stays either way.
 */
export async function refreshConnected(ex: Executor, corpId: string, externalUserIds: string[], now: Date): Promise<void> {
  if (externalUserIds.length === 0) return;
  await ex.execute(sql`
    update external_contacts c set
      connected = x.connected,
      disconnected_at = case when x.connected then null else coalesce(c.disconnected_at, ${now.toISOString()}::timestamptz) end,
      updated_at = now()
    from (
      select e.external_user_id,
             exists (select 1 from relations r where r.corp_id = e.corp_id and r.external_user_id = e.external_user_id and r.status in ('active', 'awaiting_handover')) as connected
      from external_contacts e
      where e.corp_id = ${corpId} and e.external_user_id = any(${textArray(externalUserIds)})
    ) x
    where c.corp_id = ${corpId} and c.external_user_id = x.external_user_id and c.connected is distinct from x.connected`);
}

async function tagsOf(ex: Executor, corpId: string, relationIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (relationIds.length === 0) return out;
  const rows = await ex
    .select({ relationId: relationTags.relationId, tagId: relationTags.tagId })
    .from(relationTags)
    .where(and(eq(relationTags.corpId, corpId), sql`${relationTags.relationId} = any(${sql.param(relationIds)}::bigint[])`));
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

/** Appends history rows in one statement (history is never updated). */
export async function appendRelationHistory(ex: Executor, rows: Array<typeof relationHistory.$inferInsert>): Promise<void> {
  if (rows.length === 0) return;
  const json = rows.map((h) => ({
    corp_id: h.corpId, relation_id: h.relationId, user_id: h.userId, external_user_id: h.externalUserId, change: h.change,
    from_status: h.fromStatus ?? null, to_status: h.toStatus ?? null, cause: h.cause, event_id: h.eventId ?? null,
    sync_job_id: h.syncJobId ?? null, detail: h.detail ?? null,
  }));
  await ex.execute(sql`
    insert into relation_history (corp_id, relation_id, user_id, external_user_id, change, from_status, to_status, cause, event_id, sync_job_id, detail)
    select x.corp_id, x.relation_id, x.user_id, x.external_user_id, x.change, x.from_status, x.to_status, x.cause, x.event_id, x.sync_job_id, x.detail
    from jsonb_to_recordset(${jsonRows(json)}) as x(corp_id text, relation_id bigint, user_id text, external_user_id text, change text,
      from_status text, to_status text, cause text, event_id bigint, sync_job_id bigint, detail jsonb)`);
}

export interface CustomerTransfer { fromUserId: string; toUserId: string; externalUserId: string; kind: 'onjob' | 'resigned'; planId: number }

/** Completed customer transfers: each old relation ends as transferred, the takeover's is live — both in history. */
export async function recordCustomerTransfers(ex: Executor, corpId: string, transfers: CustomerTransfer[], now: Date): Promise<void> {
  if (transfers.length === 0) return;
  const cause: Cause = { cause: 'handover', at: now };
  await endRelations(ex, corpId, transfers.map((t) => ({
    userId: t.fromUserId, externalUserId: t.externalUserId, detail: { kind: t.kind, planId: t.planId, to: t.toUserId },
  })), 'transferred', cause);
  await applyRelations(ex, corpId, transfers.map((t) => ({ userId: t.toUserId, externalUserId: t.externalUserId })), cause);
}
