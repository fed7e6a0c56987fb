import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type Executor } from '../db/connection';
import { corpScope, type Scope } from '../db/scope';
import { ledgerSql } from '../ledger';
import { badRequest } from '../lib/errors';
import { archiveSettings, type Stage } from './schema';

export const STAGES: readonly Stage[] = ['new', 'growing', 'mature', 'dormant', 'churned'];

const days = z.number().int().min(1).max(3650);

/**
 * Lifecycle stage rules, per corp (archive_settings.stage_rules). "Activity"
 * is the latest of: a paid order, an interaction, a relation being added.
 * Evaluated in this order, first match wins:
 * 1. churned — no live relation (active or awaiting handover), or no activity for `churnedDays`;
 * 2. dormant — no activity for `dormantDays`;
 * 3. new — first relation younger than `newDays` and fewer than `newMaxOrders + 1` paid orders;
 * 4. mature — at least `matureMinOrders` paid orders and activity within `matureActiveDays`;
 * 5. growing — everyone else (1–2 orders, or still recent).
 * Also the key-account decline threshold used by warnings.
 */
export const StageRules = z
  .object({
    newDays: days.default(30),
    newMaxOrders: z.number().int().min(0).max(1000).default(0),
    matureMinOrders: z.number().int().min(1).max(10_000).default(3),
    matureActiveDays: days.default(90),
    dormantDays: days.default(90),
    churnedDays: days.default(180),
    /** A key account whose last-90-day orders or spend fall below this share of its own 90-day average is warned about. */
    keyDeclineRatio: z.number().gt(0).lt(1).default(0.5),
  })
  .strict()
  .refine((r) => r.churnedDays > r.dormantDays, { message: 'churnedDays must be greater than dormantDays', path: ['churnedDays'] });
export type StageRules = z.infer<typeof StageRules>;

export const DEFAULT_STAGE_RULES: StageRules = StageRules.parse({});

/** The corp's rules (a corp setting: anyone in the corp may read them). */
export async function getStageRules(ex: Executor, scope: Scope): Promise<StageRules> {
  const [row] = await ex.select({ rules: archiveSettings.stageRules }).from(archiveSettings).where(eq(archiveSettings.corpId, scope.corpId));
  if (!row) return DEFAULT_STAGE_RULES;
  // Stored rules were valid when written; a newer default fills any key added since.
  const parsed = StageRules.safeParse(row.rules);
  return parsed.success ? parsed.data : DEFAULT_STAGE_RULES;
}

/** Validates (400 naming the bad path) and stores the corp's rules (the route asks settings.edit); answers the stored, defaulted form. */
export async function setStageRules(ex: Executor, scope: Scope, input: unknown): Promise<StageRules> {
  const corpId = scope.corpId;
  const parsed = StageRules.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badRequest(`stage rules: ${issue.path.join('.') || '(root)'}: ${issue.message}`, parsed.error.issues);
  }
  const rules = parsed.data;
  await ex
    .insert(archiveSettings)
    .values({ corpId, stageRules: rules, updatedAt: new Date() })
    .onConflictDoUpdate({ target: archiveSettings.corpId, set: { stageRules: rules, updatedAt: new Date() } });
  return rules;
}

/**
 * The per-customer facts the stage rules read, as a SQL fragment selecting
 * (external_user_id, paid_orders, last_activity, first_added, live) for every
 * customer the ledger knows.
 */
function stageFacts(corpId: string, at: ReturnType<typeof sql>) {
  return sql`
    select c.external_user_id,
           coalesce(o.n, 0) as paid_orders,
           greatest(o.last_at, i.last_at, r.last_added) as last_activity,
           r.first_added,
           coalesce(r.live, false) as live
    from ${ledgerSql.contacts(corpId)} c
    left join (select external_user_id, count(*) as n, max(ordered_at) as last_at
               from orders where corp_id = ${corpId} and status = 'paid' and ordered_at <= ${at}
               group by external_user_id) o on o.external_user_id = c.external_user_id
    left join (select external_user_id, max(at) as last_at
               from interactions where corp_id = ${corpId} and at <= ${at}
               group by external_user_id) i on i.external_user_id = c.external_user_id
    left join ${ledgerSql.relationSpans(corpId)} r on r.external_user_id = c.external_user_id`;
}

/**
 * Evaluates the stage rules for every customer in SQL, writes the stages that
 * changed (with `since` = now) and appends one stage_changes row per change.
 * A customer seen for the first time gets a change from null.
 */
export async function recomputeStages(
  ex: Executor,
  corpId: string,
  now: Date,
  runId: string,
): Promise<{ changed: number; rules: StageRules }> {
  const rules = await getStageRules(ex, corpScope(corpId));
  const at = sql`${now.toISOString()}::timestamptz`;
  const ago = (d: number) => sql`(${at} - make_interval(days => ${d}))`;
  const res = await ex.execute(sql`
    with facts as (${stageFacts(corpId, at)}),
    decided as (
      select external_user_id,
        case
          when not live then 'churned:no_live_relation'
          when last_activity is null or last_activity < ${ago(rules.churnedDays)} then 'churned:inactive'
          when last_activity < ${ago(rules.dormantDays)} then 'dormant:inactive'
          when first_added >= ${ago(rules.newDays)} and paid_orders <= ${rules.newMaxOrders} then 'new:recent_relation'
          when paid_orders >= ${rules.matureMinOrders} and last_activity >= ${ago(rules.matureActiveDays)} then 'mature:repeat_active'
          else 'growing:default'
        end as decision
      from facts),
    diff as (
      select d.external_user_id, cs.stage as from_stage, split_part(d.decision, ':', 1) as to_stage, split_part(d.decision, ':', 2) as rule
      from decided d
      left join customer_stages cs on cs.corp_id = ${corpId} and cs.external_user_id = d.external_user_id
      where cs.stage is distinct from split_part(d.decision, ':', 1)),
    written as (
      insert into customer_stages (corp_id, external_user_id, stage, since)
      select ${corpId}, external_user_id, to_stage, ${at} from diff
      on conflict (corp_id, external_user_id) do update set stage = excluded.stage, since = excluded.since
      returning 1),
    logged as (
      insert into stage_changes (corp_id, external_user_id, from_stage, to_stage, at, reason)
      select ${corpId}, external_user_id, from_stage, to_stage, ${at}, jsonb_build_object('run', ${runId}::text, 'rule', rule)
      from diff
      returning 1)
    select (select count(*) from written)::int as changed, (select count(*) from logged)::int as logged`);
  return { changed: Number(rowsOf<{ changed: number }>(res)[0]!.changed), rules };
}

/** Customers in scope per stage (every stage listed, zero included), counted in one statement. */
export async function stageFunnel(ex: Executor, scope: Scope): Promise<Array<{ stage: Stage; customers: number }>> {
  const rows = rowsOf<{ stage: Stage; n: number }>(
    await ex.execute(sql`select cs.stage, count(*)::int as n from customer_stages cs
      where cs.corp_id = ${scope.corpId} and ${ledgerSql.contactInScope(scope, sql.raw('cs.external_user_id'))} group by cs.stage`),
  );
  const by = new Map(rows.map((r) => [r.stage, Number(r.n)]));
  return STAGES.map((stage) => ({ stage, customers: by.get(stage) ?? 0 }));
}

/** A customer's stage, when the customer is in scope (undefined otherwise). */
export async function stageOf(ex: Executor, scope: Scope, externalUserId: string): Promise<{ stage: Stage; since: Date } | undefined> {
  const rows = rowsOf<{ stage: Stage; since: string }>(
    await ex.execute(sql`select cs.stage, cs.since from customer_stages cs
      where cs.corp_id = ${scope.corpId} and cs.external_user_id = ${externalUserId} and ${ledgerSql.contactInScope(scope, sql.raw('cs.external_user_id'))}`),
  );
  const r = rows[0];
  return r ? { stage: r.stage, since: new Date(r.since) } : undefined;
}
