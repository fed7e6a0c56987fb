import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { ledgerSql } from '../ledger';
import { appTexts, enqueueAppMessage, type Locale } from '../notify';
import type { StageRules } from './stages';

export type WarningKind = 'entered_dormant' | 'key_account_decline' | 'removed_rep';
export const WARNING_KINDS: readonly WarningKind[] = ['entered_dormant', 'key_account_decline', 'removed_rep'];

/** Transitions older than this are not turned into warnings (a first run must not flood reps with old history). */
export const WARNING_LOOKBACK_DAYS = 30;
/** Key-account decline compares the last DECLINE_WINDOW_DAYS with the customer's own average per window before it. */
export const DECLINE_WINDOW_DAYS = 90;

/** The rep told about a customer: the live relation added last (null when none). */
const ownerOf = (corpId: string, customer: SQL) => ledgerSql.ownerOf(corpId, customer);

/**
 * Raises churn warnings, one per transition (the unique transition key makes
 * reruns add nothing):
 * - entered_dormant: a stage change into dormant (key = the stage_changes id);
 * - key_account_decline: a key account whose last-90-day paid orders or spend
 *   fell below `keyDeclineRatio` (default 50%) of its own average per 90 days
 *   before that; needs at least 90 days of earlier history (key = the month, so
 *   at most one a month per customer);
 * - removed_rep: the customer deleted their rep (relation_history
 *   removed_by_customer; key = the history id), told to that rep.
 */
export async function raiseWarnings(ex: Executor, corpId: string, now: Date, rules: StageRules): Promise<Record<WarningKind, number>> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const since = sql`(${at} - make_interval(days => ${WARNING_LOOKBACK_DAYS}))`;
  const windowStart = sql`(${at} - make_interval(days => ${DECLINE_WINDOW_DAYS}))`;
  const inserted = async (q: SQL) => rowsOf(await ex.execute(sql`${q} on conflict do nothing returning id`)).length;

  const dormant = await inserted(sql`
    insert into churn_warnings (corp_id, external_user_id, user_id, kind, transition_key, detail, created_at)
    select sc.corp_id, sc.external_user_id, ${ownerOf(corpId, sql`sc.external_user_id`)}, 'entered_dormant', sc.id::text,
           jsonb_build_object('fromStage', sc.from_stage, 'at', sc.at), ${at}
    from stage_changes sc
    where sc.corp_id = ${corpId} and sc.to_stage = 'dormant' and sc.at > ${since} and sc.at <= ${at}`);

  const decline = await inserted(sql`
    with o as (
      select o.external_user_id,
             count(*) filter (where o.ordered_at >= ${windowStart}) as recent_n,
             coalesce(sum(o.amount) filter (where o.ordered_at >= ${windowStart}), 0) as recent_sum,
             count(*) filter (where o.ordered_at < ${windowStart}) as hist_n,
             coalesce(sum(o.amount) filter (where o.ordered_at < ${windowStart}), 0) as hist_sum,
             extract(epoch from (${windowStart} - min(o.ordered_at))) / ${DECLINE_WINDOW_DAYS * 86400} as periods
      from orders o
      join customer_scores s on s.corp_id = o.corp_id and s.external_user_id = o.external_user_id and s.tier = 'key'
      where o.corp_id = ${corpId} and o.status = 'paid' and o.ordered_at <= ${at}
      group by o.external_user_id),
    d as (
      select *, hist_n / periods as avg_n, hist_sum / periods::numeric as avg_sum from o where periods >= 1)
    insert into churn_warnings (corp_id, external_user_id, user_id, kind, transition_key, detail, created_at)
    select ${corpId}, d.external_user_id, ${ownerOf(corpId, sql`d.external_user_id`)}, 'key_account_decline', to_char(${at} at time zone 'UTC', 'YYYY-MM'),
           jsonb_build_object('recentOrders', d.recent_n, 'recentSpend', d.recent_sum,
                              'averageOrders', round(d.avg_n::numeric, 2), 'averageSpend', round(d.avg_sum, 2), 'ratio', ${rules.keyDeclineRatio}::float8),
           ${at}
    from d
    where d.recent_n < ${rules.keyDeclineRatio}::float8 * d.avg_n or d.recent_sum < ${rules.keyDeclineRatio}::numeric * d.avg_sum`);

  const removed = await inserted(sql`
    insert into churn_warnings (corp_id, external_user_id, user_id, kind, transition_key, detail, created_at)
    select h.corp_id, h.external_user_id, h.user_id, 'removed_rep', h.id::text, jsonb_build_object('at', h.at), ${at}
    from ${ledgerSql.removalsByCustomer(corpId, since, at)} h`);

  // A dormant customer who is active again (new, growing or mature) no longer needs the warning.
  await ex.execute(sql`
    update churn_warnings w set resolved_at = ${at}, resolved_by = 'system', resolution = 'active again: ' || st.stage
    from customer_stages st
    where w.corp_id = ${corpId} and w.kind = 'entered_dormant' and w.resolved_at is null
      and st.corp_id = w.corp_id and st.external_user_id = w.external_user_id and st.stage in ('new', 'growing', 'mature')`);

  return { entered_dormant: dormant, key_account_decline: decline, removed_rep: removed };
}

/**
 * Marks a warning handled: only a warning of a rep in scope, and reps only
 * their own (`onlyUserId`); resolving twice keeps the first resolution.
 * Returns undefined when there is no such warning (or it is out of scope).
 */
export async function resolveWarning(
  ex: Executor,
  scope: Scope,
  id: number,
  r: { by: string; resolution?: string | null; now: Date; onlyUserId?: string },
): Promise<{ id: number; resolvedAt: Date; resolvedBy: string; resolution: string | null } | undefined> {
  const rows = rowsOf<{ id: string; resolved_at: string; resolved_by: string; resolution: string | null }>(await ex.execute(sql`
    with target as (
      select id from churn_warnings
      where corp_id = ${scope.corpId} and id = ${id} and ${scope.employee(sql.raw('user_id'))}
        ${r.onlyUserId !== undefined ? sql`and user_id = ${r.onlyUserId}` : sql``}),
    done as (
      update churn_warnings w set resolved_at = ${r.now.toISOString()}::timestamptz, resolved_by = ${r.by}, resolution = ${r.resolution ?? null}
      from target t where w.id = t.id and w.resolved_at is null
      returning w.id, w.resolved_at, w.resolved_by, w.resolution)
    select * from done
    union all
    select w.id, w.resolved_at, w.resolved_by, w.resolution from churn_warnings w join target t on t.id = w.id
    where not exists (select 1 from done)`));
  const row = rows[0];
  return row ? { id: Number(row.id), resolvedAt: new Date(row.resolved_at), resolvedBy: row.resolved_by, resolution: row.resolution } : undefined;
}

/** App message text stays under WeCom's 2048 bytes. */
const DIGEST_MAX_LINES = 20;

/**
 * Sends each owner rep one digest of their unsent warnings, with a suggested
 * follow-up per warning. The digest is queued (outbox) and the warnings marked
 * sent in one transaction, over rows claimed FOR UPDATE SKIP LOCKED: two
 * instances running it at once never both send a warning. Meant to run once a day.
 */
export async function sendWarningDigests(db: Db, corpId: string, now: Date, locale: Locale): Promise<{ reps: number; warnings: number }> {
  return db.transaction(async (tx) => {
    const rows = rowsOf<{ id: string; user_id: string; external_user_id: string; kind: WarningKind; name: string | null }>(
      await tx.execute(sql`
        select w.id, w.user_id, w.external_user_id, w.kind, c.name
        from churn_warnings w
        left join ${ledgerSql.contacts(corpId)} c on c.corp_id = w.corp_id and c.external_user_id = w.external_user_id
        where w.corp_id = ${corpId} and w.digest_sent_at is null and w.user_id is not null and w.resolved_at is null
        order by w.user_id, w.id
        for update of w skip locked`),
    );
    const byRep = new Map<string, typeof rows>();
    for (const r of rows) byRep.set(r.user_id, [...(byRep.get(r.user_id) ?? []), r]);
    for (const [userId, list] of byRep) {
      const ids = list.map((r) => Number(r.id));
      const listed = list.slice(0, DIGEST_MAX_LINES).map((r) => ({ customer: r.name || r.external_user_id, kind: r.kind }));
      await enqueueAppMessage(tx, corpId, {
        toUserIds: [userId],
        content: appTexts(locale).warningDigest({ warnings: list.length, listed }),
        purpose: 'warning_digest',
        sourceKey: `warning_digest:${userId}:${ids[0]}-${ids.at(-1)}`,
        detail: { warningIds: ids },
      });
    }
    if (rows.length) {
      await tx.execute(sql`
        update churn_warnings set digest_sent_at = ${now.toISOString()}::timestamptz
        where corp_id = ${corpId} and id = any(${sql.param(rows.map((r) => Number(r.id)))}::bigint[])`);
    }
    return { reps: byRep.size, warnings: rows.length };
  });
}

export interface WarningFilter {
  kind?: WarningKind;
  tier?: 'key' | 'growth' | 'regular' | 'low' | 'none';
  /** Only this rep's warnings (reps see their own). */
  userId?: string;
  limit: number;
  before?: number;
}

export interface WarningView {
  id: number;
  externalUserId: string;
  name: string | null;
  userId: string | null;
  kind: WarningKind;
  tier: string | null;
  stage: string | null;
  detail: unknown;
  createdAt: Date;
  digestSentAt: Date | null;
}

/** Unresolved warnings of reps in scope, newest first, with the customer's tier and stage (the manager's at-risk view). */
export async function listWarnings(ex: Executor, scope: Scope, f: WarningFilter): Promise<WarningView[]> {
  const corpId = scope.corpId;
  const conds: SQL[] = [sql`w.corp_id = ${corpId}`, sql`w.resolved_at is null`, scope.employee(sql.raw('w.user_id'))];
  if (f.kind) conds.push(sql`w.kind = ${f.kind}`);
  if (f.tier) conds.push(sql`s.tier = ${f.tier}`);
  if (f.userId) conds.push(sql`w.user_id = ${f.userId}`);
  if (f.before) conds.push(sql`w.id < ${f.before}`);
  const rows = rowsOf<Record<string, any>>(
    await ex.execute(sql`
      select w.id, w.external_user_id, c.name, w.user_id, w.kind, s.tier, st.stage, w.detail, w.created_at, w.digest_sent_at
      from churn_warnings w
      left join customer_scores s on s.corp_id = w.corp_id and s.external_user_id = w.external_user_id
      left join customer_stages st on st.corp_id = w.corp_id and st.external_user_id = w.external_user_id
      left join ${ledgerSql.contacts(corpId)} c on c.corp_id = w.corp_id and c.external_user_id = w.external_user_id
      where ${sql.join(conds, sql` and `)}
      order by w.id desc limit ${f.limit}`),
  );
  return rows.map((r) => ({
    id: Number(r.id), externalUserId: r.external_user_id, name: r.name ?? null, userId: r.user_id ?? null, kind: r.kind,
    tier: r.tier ?? null, stage: r.stage ?? null, detail: r.detail ?? null, createdAt: new Date(r.created_at),
    digestSentAt: r.digest_sent_at ? new Date(r.digest_sent_at) : null,
  }));
}
