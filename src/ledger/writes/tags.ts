import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import type { CorpTagGroup } from '../../wecom/client';
import { tagGroups, tags } from '../schema';

const fromUnix = (s?: number) => (s ? new Date(s * 1000) : null);

/**
 * Upserts the corp tag library. With `complete` (the whole library was read),
 * groups and tags no longer listed are marked deleted, never removed: old
 * history still names them.
 */
export async function applyTagLibrary(ex: Executor, corpId: string, library: CorpTagGroup[], complete: boolean): Promise<{ groups: number; tags: number }> {
  let tagCount = 0;
  for (const g of library) {
    const gv = { name: g.group_name, sortOrder: g.order ?? 0, createdAt: fromUnix(g.create_time), deletedAt: g.deleted ? new Date() : null, updatedAt: new Date() };
    await ex.insert(tagGroups).values({ corpId, groupId: g.group_id, ...gv }).onConflictDoUpdate({ target: [tagGroups.corpId, tagGroups.groupId], set: gv });
    for (const t of g.tag ?? []) {
      tagCount++;
      const tv = { groupId: g.group_id, name: t.name, sortOrder: t.order ?? 0, createdAt: fromUnix(t.create_time), deletedAt: t.deleted ? new Date() : null, updatedAt: new Date() };
      await ex.insert(tags).values({ corpId, tagId: t.id, ...tv }).onConflictDoUpdate({ target: [tags.corpId, tags.tagId], set: tv });
    }
  }
  if (complete) {
    const groupIds = library.map((g) => g.group_id);
    const tagIds = library.flatMap((g) => (g.tag ?? []).map((t) => t.id));
    const live = sql`${tagGroups.deletedAt} is null`;
    await ex.update(tagGroups).set({ deletedAt: new Date() }).where(and(eq(tagGroups.corpId, corpId), live, ...(groupIds.length ? [notInArray(tagGroups.groupId, groupIds)] : [])));
    await ex.update(tags).set({ deletedAt: new Date() }).where(and(eq(tags.corpId, corpId), sql`${tags.deletedAt} is null`, ...(tagIds.length ? [notInArray(tags.tagId, tagIds)] : [])));
  }
  return { groups: library.length, tags: tagCount };
}

/** A deleted tag group takes its tags with it (WeCom sends no per-tag events then). */
export async function markTagOrGroupDeleted(ex: Executor, corpId: string, id: string): Promise<void> {
  await ex.update(tagGroups).set({ deletedAt: new Date() }).where(and(eq(tagGroups.corpId, corpId), eq(tagGroups.groupId, id), sql`${tagGroups.deletedAt} is null`));
  await ex
    .update(tags)
    .set({ deletedAt: new Date() })
    .where(and(eq(tags.corpId, corpId), sql`(${tags.tagId} = ${id} or ${tags.groupId} = ${id})`, sql`${tags.deletedAt} is null`));
}

/**
 * Mirrors a mark_tag WeCom accepted onto the relation's tags (API tag writes
 * emit no callback, so the ledger learns it from the caller).
 */
export async function applyMarkedTags(
  ex: Executor,
  corpId: string,
  m: { userId: string; externalUserId: string; add: string[]; remove: string[] },
): Promise<void> {
  const rel = sql`(select id from relations where corp_id = ${corpId} and user_id = ${m.userId} and external_user_id = ${m.externalUserId})`;
  if (m.add.length) {
    await ex.execute(sql`
      insert into relation_tags (corp_id, relation_id, tag_id)
      select ${corpId}, ${rel}, t from unnest(${sql.param(m.add)}::text[]) t where ${rel} is not null
      on conflict do nothing`);
  }
  if (m.remove.length) {
    await ex.execute(sql`delete from relation_tags where corp_id = ${corpId} and relation_id = ${rel} and tag_id = any(${sql.param(m.remove)}::text[])`);
  }
}
