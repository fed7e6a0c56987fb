import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/connection';
import { responsesAfter, type TouchEffect } from '../../archive';
import { isoMicros, keysetCondition, type KeysetBefore } from '../../db/keyset';
import type { Scope } from '../../db/scope';
import { ledgerSql } from '../../ledger';
import { campaignVisible } from './reach';
import type { CampaignSettings } from './settings';
import { campaignRuns, type DeliveryStatus } from './schema';

export type RunRow = typeof campaignRuns.$inferSelect;

/** Deliveries (alias-free `sender` column expression) inside the scope: sent by one of its employees. */
const sentInScope = (scope: Scope, sender: SQL): SQL => scope.employee(sender);

/** A campaign's runs, newest occurrence first, with their deliveries (those in the scope) counted by status. */
export async function listRuns(ex: Executor, scope: Scope, campaignId: number, page: { before?: number; limit: number }): Promise<Array<{ run: RunRow; counts: Record<string, number> }>> {
  const corpId = scope.corpId;
  const conds: SQL[] = [eq(campaignRuns.corpId, corpId), eq(campaignRuns.campaignId, campaignId), campaignVisible(scope, sql`${campaignRuns.campaignId}`)];
  if (page.before !== undefined) conds.push(lt(campaignRuns.id, page.before));
  const runs = await ex.select().from(campaignRuns).where(and(...conds)).orderBy(desc(campaignRuns.id)).limit(page.limit);
  if (runs.length === 0) return [];
  const counts = rowsOf<{ run_id: string; status: string; n: number }>(await ex.execute(sql`
    select run_id, status, count(*)::int as n from campaign_deliveries
    where corp_id = ${corpId} and run_id = any(${sql.param(runs.map((r) => r.id))}::bigint[]) and ${sentInScope(scope, sql.raw('sender'))}
    group by run_id, status`));
  return runs.map((run) => ({
    run,
    counts: Object.fromEntries(counts.filter((c) => Number(c.run_id) === run.id).map((c) => [c.status, c.n])),
  }));
}

export interface DeliveryView {
  id: number;
  runId: number;
  recipientId: string;
  recipientKind: string;
  name: string;
  sender: string;
  batchNo: number | null;
  status: DeliveryStatus;
  reason: string | null;
  plannedAt: Date;
  sentAt: Date | null;
  finalAt: Date | null;
}

/** Deliveries of a campaign (optionally one run, one status) sent by the scope's employees, by id, keyset-paginated. */
export async function listDeliveries(
  ex: Executor, scope: Scope, campaignId: number, f: { runId?: number; status?: DeliveryStatus; after?: number; limit: number },
): Promise<DeliveryView[]> {
  const corpId = scope.corpId;
  const conds: SQL[] = [
    sql`d.corp_id = ${corpId}`, sql`d.campaign_id = ${campaignId}::bigint`,
    campaignVisible(scope, sql.raw('d.campaign_id')), sentInScope(scope, sql.raw('d.sender')),
  ];
  if (f.runId !== undefined) conds.push(sql`d.run_id = ${f.runId}::bigint`);
  if (f.status) conds.push(sql`d.status = ${f.status}`);
  if (f.after !== undefined) conds.push(sql`d.id > ${f.after}::bigint`);
  const rows = rowsOf<{ id: string; run_id: string; recipient_id: string; recipient_kind: string; name: string; sender: string; batch_no: number | null; status: DeliveryStatus; reason: string | null; planned_at: string; sent_at: string | null; final_at: string | null }>(
    await ex.execute(sql`
      select d.id, d.run_id, d.recipient_id, d.recipient_kind, ${ledgerSql.recipientName(corpId, sql.raw('d.recipient_id'))} as name,
             d.sender, d.batch_no, d.status, d.reason, d.planned_at, d.sent_at, d.final_at
      from campaign_deliveries d where ${sql.join(conds, sql` and `)}
      order by d.id limit ${f.limit}::int`));
  const date = (v: string | null) => (v === null ? null : new Date(v));
  return rows.map((r) => ({
    id: Number(r.id), runId: Number(r.run_id), recipientId: r.recipient_id, recipientKind: r.recipient_kind, name: r.name, sender: r.sender,
    batchNo: r.batch_no, status: r.status, reason: r.reason, plannedAt: new Date(r.planned_at), sentAt: date(r.sent_at), finalAt: date(r.final_at),
  }));
}

export interface CampaignStats {
  runs: Record<string, number>;
  /** Recipients of all runs (every outcome). */
  targeted: number;
  /** Skipped before dispatch, by cap. */
  capped: Record<string, number>;
  /** Held back by quiet hours (and sent after). */
  deferred: number;
  /** Planned, not yet in a WeCom task. */
  planned: number;
  /** Put in a WeCom task (whatever came of it). */
  dispatched: number;
  sent: number;
  /** Refused by WeCom, by reason (not_sendable: fail_list). */
  failed: Record<string, number>;
  notFriend: number;
  overLimit: number;
  /** In a task the rep has not confirmed yet. */
  unconfirmed: number;
  /** The rep never confirmed within the window (cancelled in WeCom). */
  unsent: number;
  /** In a task whose msgid WeCom no longer knows: the outcome cannot be learnt. */
  unknown: number;
  cancelled: number;
  /** Rep tasks: customers listed in a rep's app message. */
  notified: number;
  /** WeCom tasks (or task messages) and reminders. */
  batches: number;
  reminders: number;
  effect: TouchEffect & { days: number };
}

/**
 * Counts per outcome across a campaign's runs (or one run), and its effect: orders and replies within N days of a send.
 * Deliveries, batches and effect count only what the scope's employees sent (runs are the campaign's own).
 */
export async function campaignStats(ex: Executor, scope: Scope, campaignId: number, s: CampaignSettings, runId?: number): Promise<CampaignStats> {
  const corpId = scope.corpId;
  const visible = campaignVisible(scope, sql`${campaignId}::bigint`);
  const run = runId !== undefined
    ? sql`and run_id = ${runId}::bigint and ${visible} and ${sentInScope(scope, sql.raw('sender'))}`
    : sql`and ${visible} and ${sentInScope(scope, sql.raw('sender'))}`;
  const byStatus = rowsOf<{ status: string; reason: string | null; n: number }>(await ex.execute(sql`
    select status, reason, count(*)::int as n from campaign_deliveries
    where corp_id = ${corpId} and campaign_id = ${campaignId}::bigint ${run} group by status, reason`));
  const runs = rowsOf<{ status: string; n: number }>(await ex.execute(sql`
    select status, count(*)::int as n from campaign_runs where corp_id = ${corpId} and campaign_id = ${campaignId}::bigint and ${visible}
      ${runId !== undefined ? sql`and id = ${runId}::bigint` : sql``} group by status`));
  const [b] = rowsOf<{ batches: number; deferred: number; reminders: number }>(await ex.execute(sql`
    select count(*)::int as batches,
      coalesce(sum(b.recipients) filter (where b.deferred_until is not null or r.deferred_until is not null), 0)::int as deferred,
      coalesce(sum(b.reminders), 0)::int as reminders
    from campaign_batches b join campaign_runs r on r.id = b.run_id
    where b.corp_id = ${corpId} and b.campaign_id = ${campaignId}::bigint and ${visible} and ${sentInScope(scope, sql.raw('b.sender'))}
      ${runId !== undefined ? sql`and b.run_id = ${runId}::bigint` : sql``}`));
  const total = (status: string) => byStatus.filter((r) => r.status === status).reduce((n, r) => n + r.n, 0);
  const byReason = (status: string) => Object.fromEntries(byStatus.filter((r) => r.status === status).map((r) => [r.reason ?? 'unknown', r.n]));
  const effect = await responsesAfter(ex, corpId, sql`
    select recipient_id as external_user_id, coalesce(sent_at, final_at) as at from campaign_deliveries
    where corp_id = ${corpId} and campaign_id = ${campaignId}::bigint ${run}
      and ((recipient_kind = 'customer' and status = 'sent') or (recipient_kind = 'task' and status = 'notified'))`, s.effectDays);
  return {
    runs: Object.fromEntries(runs.map((r) => [r.status, r.n])),
    targeted: byStatus.reduce((n, r) => n + r.n, 0),
    capped: byReason('skipped'),
    deferred: b!.deferred,
    planned: total('planned'),
    dispatched: ['dispatched', 'sent', 'not_friend', 'over_limit', 'unsent', 'unknown'].reduce((n, st) => n + total(st), 0),
    sent: total('sent'),
    failed: byReason('failed'),
    notFriend: total('not_friend'),
    overLimit: total('over_limit'),
    unconfirmed: total('dispatched'),
    unsent: total('unsent'),
    unknown: total('unknown'),
    cancelled: total('cancelled'),
    notified: total('notified'),
    batches: b!.batches,
    reminders: b!.reminders,
    effect: { ...effect, days: s.effectDays },
  };
}

export interface TouchpointItem {
  id: number;
  userId: string;
  /** ISO with microseconds (exact, for keyset cursors). */
  atText: string;
  kind: string;
  detail: Record<string, unknown>;
}

/**
 * Pushes a customer received (WeCom reported them sent), newest first,
 * keyset-paginated: one source of the customer timeline (src/views/timeline.ts).
 */
export async function touchpointsOf(ex: Executor, corpId: string, externalUserId: string, opts: { before?: KeysetBefore; limit: number }): Promise<TouchpointItem[]> {
  const rows = rowsOf<{ id: string; sender: string; at_text: string; kind: string; campaign_id: string; run_id: string; name: string }>(await ex.execute(sql`
    select d.id, d.sender, ${isoMicros(sql.raw('d.sent_at'))} as at_text, c.kind, d.campaign_id, d.run_id, c.name
    from campaign_deliveries d join campaigns c on c.id = d.campaign_id
    where d.corp_id = ${corpId} and d.recipient_id = ${externalUserId} and d.recipient_kind = 'customer' and d.status = 'sent'
      and ${keysetCondition(sql.raw('d.sent_at'), sql.raw('d.id'), opts.before)}
    order by d.sent_at desc, d.id desc
    limit ${opts.limit}::int`));
  return rows.map((r) => ({
    id: Number(r.id), userId: r.sender, atText: r.at_text, kind: r.kind,
    detail: { campaignId: Number(r.campaign_id), campaignName: r.name, runId: Number(r.run_id) },
  }));
}
