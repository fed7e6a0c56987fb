import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../../db/connection';
import { corpScope, employeesScope, type Scope } from '../../db/scope';
import { workQueue } from '../../db/workRow';
import { errorMessage, notFound } from '../../lib/errors';
import { ledgerSql } from '../../ledger';
import { analyzeIfStale, capsAt, classifiedSql, resolveAudience } from './audience';
import { settleRunsOf } from './campaigns';
import { intersectScopes, reachOf } from './reach';
import { quietUntil } from './schedule';
import type { CampaignSettings } from './settings';
import { campaignRuns, campaigns } from './schema';

/** Due runs waiting to be planned. */
export const campaignRunsQueue = workQueue({ name: 'campaign_runs', table: 'campaign_runs' });
/** Arbitrary constant naming the per-corp planning lock (with the corp's hash as the second key). */
const PLAN_LOCK = 727_100_006;
/** A million-recipient plan is one long statement: the lease outlasts it. */
const PLAN_LEASE_S = 1800;

export interface RunSummary {
  targeted: number;
  planned: number;
  skipped: Record<string, number>;
  senders: number;
  batches: number;
}

/**
 * Claims one due run and plans it: the audience (segment rule → customers
 * with one owner each, or groups) with caps computed in SQL is written as
 * deliveries by ONE insert … select (unique per run and recipient, batch
 * numbers by window function), then one batch row per (sender, batch no).
 * Planning holds a per-corp lock so two runs never both fill the same
 * customer's last free slot. Inside quiet hours the run is deferred to
 * their end instead. Returns runs handled (0 = nothing due).
 */
export async function planNextRun(db: Db, corpId: string, owner: string, now: Date, s: CampaignSettings): Promise<number> {
  const scope = corpScope(corpId);
  const [claimed] = await campaignRunsQueue.claim(db, scope, {
    owner, limit: 1, leaseSeconds: PLAN_LEASE_S,
    // Paused campaigns keep their runs pending; cancelled ones have none.
    where: sql`exists (select 1 from campaigns c where c.corp_id = campaign_runs.corp_id and c.id = campaign_runs.campaign_id and c.status in ('active', 'completed'))`,
    orderBy: sql`available_at, id`,
  });
  if (!claimed) return 0;
  const id = claimed.id;
  const until = quietUntil(now, s.timezone, s.quietHours);
  if (until) {
    await campaignRunsQueue.release(db, scope, [id], owner, {
      availableAt: until, set: sql`deferred_until = ${until.toISOString()}::timestamptz, reason = 'deferred: quiet hours'`,
    });
    return 1;
  }
  try {
    await planRun(db, corpId, id, owner, now, s);
  } catch (err) {
    await campaignRunsQueue.fail(db, scope, id, owner, errorMessage(err), { maxAttempts: 5, baseSeconds: 30, capSeconds: 600 });
    throw err;
  }
  return 1;
}

async function planRun(db: Db, corpId: string, runId: number, owner: string, now: Date, s: CampaignSettings): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PLAN_LOCK}::int, hashtext(${corpId}))`);
    const [run] = await tx.select().from(campaignRuns)
      .where(and(eq(campaignRuns.corpId, corpId), eq(campaignRuns.id, runId), eq(campaignRuns.lockedBy, owner), eq(campaignRuns.status, 'pending'), sql`${campaignRuns.lockedUntil} > now()`))
      .for('update');
    if (!run) return; // lease lost: whoever has it now plans it
    const [c] = await tx.select().from(campaigns).where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, run.campaignId)));
    if (!c) throw notFound(`campaign ${run.campaignId}`);
    await analyzeIfStale(tx);
    // No caller here: the campaign reaches only the scope stored when it was saved (reach.ts).
    const audience = await resolveAudience(tx, reachOf(c), c, now);
    const caps = await capsAt(tx, now, s);
    const at = now.toISOString();
    await tx.execute(sql`
      insert into campaign_deliveries (corp_id, campaign_id, run_id, recipient_id, recipient_kind, sender, batch_no, status, reason, planned_at)
      select ${corpId}, ${c.id}::bigint, ${run.id}::bigint, x.recipient_id, ${audience.recipientKind}, x.sender,
        case when x.reason is null then ((row_number() over (partition by x.sender, x.reason is null order by x.recipient_id) - 1) / ${audience.batchSize}::int)::int end,
        case when x.reason is null then 'planned' else 'skipped' end, x.reason, ${at}::timestamptz
      from (${classifiedSql(corpId, audience, caps)}) x
      on conflict (run_id, recipient_id) do nothing`);
    await tx.execute(sql`
      insert into campaign_batches (corp_id, campaign_id, run_id, sender, batch_no, recipients, available_at, status)
      select ${corpId}, ${c.id}::bigint, ${run.id}::bigint, sender, batch_no, count(*)::int, ${at}::timestamptz, 'pending'
      from campaign_deliveries where corp_id = ${corpId} and run_id = ${run.id}::bigint and batch_no is not null
      group by sender, batch_no
      on conflict (run_id, sender, batch_no) do nothing`);
    const summary = await summariseRun(tx, corpId, run.id);
    await tx.update(campaignRuns)
      .set({ status: 'dispatching', plannedAt: now, summary, lockedUntil: null, lastError: null })
      .where(and(eq(campaignRuns.corpId, corpId), eq(campaignRuns.id, run.id), eq(campaignRuns.lockedBy, owner)));
    await settleRunsOf(tx, corpId, c.id, now, run.id); // nobody to send to: completed at once
  });
}

async function summariseRun(ex: Executor, corpId: string, runId: number): Promise<RunSummary> {
  const [r] = rowsOf<{ targeted: number; planned: number; skipped: Record<string, number> | null; senders: number; batches: number }>(await ex.execute(sql`
    select count(*)::int as targeted,
      count(*) filter (where status = 'planned')::int as planned,
      (select json_object_agg(reason, n) from (select reason, count(*)::int as n from campaign_deliveries
         where corp_id = ${corpId} and run_id = ${runId}::bigint and status = 'skipped' group by reason) k) as skipped,
      count(distinct sender) filter (where status = 'planned')::int as senders,
      (select count(*)::int from campaign_batches where corp_id = ${corpId} and run_id = ${runId}::bigint) as batches
    from campaign_deliveries where corp_id = ${corpId} and run_id = ${runId}::bigint`));
  return { targeted: r!.targeted, planned: r!.planned, skipped: r!.skipped ?? {}, senders: r!.senders, batches: r!.batches };
}

export interface PreviewRow {
  recipientId: string;
  name: string;
  sender: string;
  /** null: will be sent. */
  reason: string | null;
}

export interface CampaignPreview {
  /** The time the preview was computed for (caps and rules as of then). */
  at: Date;
  targeted: number;
  willSend: number;
  skipped: Record<string, number>;
  senders: number;
  /** WeCom calls (or task messages) the sends take: Σ over senders of ⌈recipients / batch size⌉. */
  calls: number;
  /** Inside quiet hours now: a run now would be deferred to this time. */
  deferredUntil: Date | null;
  /** A few recipients per outcome (skipped ones first), with names. */
  sample: PreviewRow[];
}

/**
 * What a run would do now, before anything is dispatched: the same SQL as
 * planning (caps included), aggregated instead of inserted — counts per
 * reason, calls needed, and a sample of who is skipped and why. Inside the
 * caller's scope and the campaign's stored reach (absent: the whole corp).
 */
export async function previewCampaign(
  ex: Executor, scope: Scope,
  c: { kind: 'push' | 'group_post' | 'rep_task'; audience: unknown; ownerRule: 'recent_added' | 'earliest_added' | 'recent_interaction'; scopeUserIds?: string[] | null },
  now: Date, s: CampaignSettings, perReason = 5,
): Promise<CampaignPreview> {
  const corpId = scope.corpId;
  const reach = c.scopeUserIds == null ? scope : intersectScopes(scope, employeesScope(corpId, c.scopeUserIds));
  await analyzeIfStale(ex);
  const audience = await resolveAudience(ex, reach, c, now);
  const caps = await capsAt(ex, now, s);
  const [r] = rowsOf<{ targeted: number; will_send: number; skipped: Record<string, number> | null; senders: number; calls: number; sample: PreviewRow[] | null }>(await ex.execute(sql`
    with x as (${classifiedSql(corpId, audience, caps)}),
    per_sender as (select sender, count(*) as n from x where reason is null group by sender),
    ranked as (select x.*, row_number() over (partition by coalesce(x.reason, '') order by x.recipient_id) as k from x)
    select (select count(*)::int from x) as targeted,
      (select count(*)::int from x where reason is null) as will_send,
      (select json_object_agg(reason, n) from (select reason, count(*)::int as n from x where reason is not null group by reason) k) as skipped,
      (select count(*)::int from per_sender) as senders,
      (select coalesce(sum(ceil(n::numeric / ${audience.batchSize}::int)), 0)::int from per_sender) as calls,
      (select json_agg(json_build_object('recipientId', recipient_id, 'sender', sender, 'reason', reason,
                                         'name', ${ledgerSql.recipientName(corpId, sql.raw('ranked.recipient_id'))})
                       order by reason nulls last, recipient_id)
       from ranked where k <= ${perReason}::int) as sample`));
  return {
    at: now, targeted: r!.targeted, willSend: r!.will_send, skipped: r!.skipped ?? {}, senders: r!.senders, calls: r!.calls,
    deferredUntil: quietUntil(now, s.timezone, s.quietHours), sample: r!.sample ?? [],
  };
}
