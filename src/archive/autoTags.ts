import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { badRequest } from '../lib/errors';
import { ledgerSql, liveTagIds } from '../ledger';
import { compileRule, parseRule } from '../segments';
import { autoTagRules, tagChanges } from './schema';

export type AutoTagRule = typeof autoTagRules.$inferSelect;
export const TAG_CHANGES_TABLE = 'tag_changes';

export interface AutoTagRuleInput {
  name: string;
  rule: unknown;
  tagId: string;
  action: 'add' | 'remove';
  enabled?: boolean;
}

/** Validates the segment rule (400 naming the bad path) and that the tag is a live corp tag. Rules are corp settings (settings.edit). */
export async function createAutoTagRule(ex: Executor, scope: Scope, input: AutoTagRuleInput): Promise<AutoTagRule> {
  const corpId = scope.corpId;
  const rule = parseRule(input.rule);
  if (!(await liveTagIds(ex, corpId, [input.tagId])).has(input.tagId)) throw badRequest(`tagId: no live corp tag ${input.tagId}`);
  const [row] = await ex
    .insert(autoTagRules)
    .values({ corpId, name: input.name, rule, tagId: input.tagId, action: input.action, enabled: input.enabled ?? true })
    .returning();
  return row!;
}

/** The corp's rules (settings: anyone in the corp may read them). */
export function listAutoTagRules(ex: Executor, scope: Scope): Promise<AutoTagRule[]> {
  return ex.select().from(autoTagRules).where(eq(autoTagRules.corpId, scope.corpId)).orderBy(desc(autoTagRules.id));
}

export async function deleteAutoTagRule(ex: Executor, scope: Scope, id: number): Promise<boolean> {
  const rows = await ex.delete(autoTagRules).where(and(eq(autoTagRules.corpId, scope.corpId), eq(autoTagRules.id, id))).returning({ id: autoTagRules.id });
  return rows.length === 1;
}

/**
 * Evaluates every enabled rule and queues what WeCom must change: for each
 * active relation of a matching customer that lacks the tag (add) or has it
 * (remove), and that no pending change already covers, one tag_changes row per
 * (rep, customer) carrying every tag of every rule. When rules disagree on a
 * tag for one relation, add wins. The TagChangeWorker calls mark_tag.
 */
export async function applyAutoTagRules(ex: Executor, corpId: string, now: Date): Promise<{ rules: number; changes: number }> {
  const rules = await ex.select().from(autoTagRules).where(and(eq(autoTagRules.corpId, corpId), eq(autoTagRules.enabled, true)));
  if (rules.length === 0) return { rules: 0, changes: 0 };
  const parts: SQL[] = rules.map((rule) => {
    const members = compileRule(corpId, parseRule(rule.rule), now);
    // add: the active relations that lack the tag; remove: those that carry it.
    const relations = ledgerSql.activeRelationsByTag(corpId, members, rule.tagId, rule.action === 'remove');
    return sql`
      select ${rule.id}::bigint as rule_id, ${rule.tagId}::text as tag_id, ${rule.action}::text as action, r.user_id, r.external_user_id
      from (${relations}) r`;
  });
  const res = await ex.execute(sql`
    with wanted as (${sql.join(parts, sql` union all `)}),
    fresh as (
      select * from wanted w
      where not exists (
        select 1 from tag_changes tc
        where tc.corp_id = ${corpId} and tc.status = 'pending' and tc.user_id = w.user_id and tc.external_user_id = w.external_user_id
          and w.tag_id = any(case when w.action = 'add' then tc.add_tag_ids else tc.remove_tag_ids end))),
    grouped as (
      select user_id, external_user_id,
             coalesce(array_agg(distinct tag_id) filter (where action = 'add'), '{}') as adds,
             coalesce(array_agg(distinct tag_id) filter (where action = 'remove'), '{}') as removes,
             case when count(distinct rule_id) = 1 then min(rule_id) end as rule_id
      from fresh group by user_id, external_user_id)
    insert into tag_changes (corp_id, user_id, external_user_id, add_tag_ids, remove_tag_ids, rule_id)
    select ${corpId}, user_id, external_user_id, adds,
           array(select x from unnest(removes) x where not (x = any(adds))), rule_id
    from grouped
    returning id`);
  return { rules: rules.length, changes: rowsOf(res).length };
}

/**
 * Queues one tag change for a (rep, customer) pair outside the rules — a
 * channel's tags for a customer who came through it. Runs in the caller's
 * transaction; the TagChangeWorker sends mark_tag.
 */
export async function queueTagChange(
  ex: Executor,
  corpId: string,
  c: { userId: string; externalUserId: string; add: string[]; remove?: string[] },
): Promise<number | null> {
  if (c.add.length === 0 && !c.remove?.length) return null;
  const [row] = await ex
    .insert(tagChanges)
    .values({ corpId, userId: c.userId, externalUserId: c.externalUserId, addTagIds: [...new Set(c.add)], removeTagIds: [...new Set(c.remove ?? [])] })
    .returning({ id: tagChanges.id });
  return row!.id;
}
