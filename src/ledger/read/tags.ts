import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { ledgerSql } from '../sql';
import { relations, relationTags, tagGroups, tags } from '../schema';
import { count, groupByKey } from './common';

export interface TagWithCount {
  tagId: string;
  name: string;
  order: number;
  /** Distinct customers in the scope carrying the tag on an active relation. */
  customerCount: number;
}

export interface TagGroupWithTags {
  groupId: string;
  name: string;
  order: number;
  tags: TagWithCount[];
}

/**
 * Live tag groups and tags, bigger sort order first (WeCom's convention). The
 * tree is the corp's (everyone may read it); the customer counts are of
 * customers in the scope, counted in the same statement.
 */
export async function listTagGroups(ex: Executor, scope: Scope): Promise<TagGroupWithTags[]> {
  const corpId = scope.corpId;
  const usage = ex
    .select({ tagId: relationTags.tagId, customers: count(sql`distinct ${relations.externalUserId}`).as('customers') })
    .from(relationTags)
    .innerJoin(relations, and(eq(relations.corpId, corpId), eq(relations.id, relationTags.relationId)))
    .where(and(eq(relationTags.corpId, corpId), eq(relations.status, 'active'), ledgerSql.contactInScope(scope, sql`${relations.externalUserId}`)))
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

/** The ids among these that are live corp tags. */
export async function liveTagIds(ex: Executor, corpId: string, tagIds: string[]): Promise<Set<string>> {
  if (tagIds.length === 0) return new Set();
  const rows = rowsOf<{ tag_id: string }>(await ex.execute(sql`
    select tag_id from tags where corp_id = ${corpId} and deleted_at is null and tag_id = any(${textArray([...new Set(tagIds)])})`));
  return new Set(rows.map((r) => r.tag_id));
}
