import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { LEASE_FREE } from '../../db/workRow';
import { AppError, conflict, notFound } from '../../lib/errors';
import {
  checkAudience, checkContent, checkSchedule, checkTimezone, scheduleColumns, type Audience, type CampaignInput, type Content, type ScheduleInput,
} from './definition';
import { savedInScope } from './reach';
import type { CampaignSettings } from './settings';
import { campaigns, type CampaignKind, type CampaignStatus } from './schema';

export type CampaignRow = typeof campaigns.$inferSelect;

/** The campaigns the scope sees: created by one of its employees, or reaching only inside it (all of them for the whole corp); see reach.ts. */
const visible = (scope: Scope): SQL =>
  and(eq(campaigns.corpId, scope.corpId), savedInScope(scope, sql`${campaigns.createdBy}`, sql`${campaigns.scopeUserIds}`))!;

/** What a saved audience may reach: the saver's employees (null = the whole corp). */
const reachColumn = (scope: Scope) => ({ scopeUserIds: scope.userIds === null ? null : [...scope.userIds] });

export async function getCampaign(ex: Executor, scope: Scope, id: number): Promise<CampaignRow | undefined> {
  const [row] = await ex.select().from(campaigns).where(and(visible(scope), eq(campaigns.id, id)));
  return row;
}

async function mustGet(ex: Executor, scope: Scope, id: number, lock = false): Promise<CampaignRow> {
  const q = ex.select().from(campaigns).where(and(visible(scope), eq(campaigns.id, id)));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) throw notFound(`campaign ${id}`);
  return row;
}

export interface CampaignFilter {
  status?: CampaignStatus;
  kind?: CampaignKind;
  /** Id cursor: only campaigns older than this. */
  before?: number;
  limit: number;
}

export async function listCampaigns(ex: Executor, scope: Scope, f: CampaignFilter): Promise<CampaignRow[]> {
  const conds: SQL[] = [visible(scope)];
  if (f.status) conds.push(eq(campaigns.status, f.status));
  if (f.kind) conds.push(eq(campaigns.kind, f.kind));
  if (f.before !== undefined) conds.push(lt(campaigns.id, f.before));
  return ex.select().from(campaigns).where(and(...conds)).orderBy(desc(campaigns.id)).limit(f.limit);
}

/**
 * A draft: checked (audience exists in the scope and fits the kind, content has no per-customer variable in a push,
 * schedule sound), not yet scheduled. It reaches only the creator's scope, stored on it.
 */
export async function createCampaign(ex: Executor, scope: Scope, input: CampaignInput, actor: string, now: Date, s: CampaignSettings): Promise<CampaignRow> {
  const corpId = scope.corpId;
  await checkAudience(ex, scope, input.kind, input.audience);
  await checkContent(ex, corpId, input.kind, input.content);
  if (input.schedule) checkSchedule(input.schedule, now, s.graceMs);
  checkTimezone(s.timezone);
  const [row] = await ex.insert(campaigns).values({
    corpId, name: input.name, kind: input.kind, audience: input.audience, content: input.content,
    ...scheduleColumns(input.schedule), timezone: s.timezone, ownerRule: input.ownerRule ?? s.ownerRule,
    createdBy: actor, ...reachColumn(scope), createdAt: now, updatedAt: now,
  }).returning();
  return row!;
}

export interface CampaignPatch {
  name?: string;
  audience?: Audience;
  content?: Content;
  schedule?: ScheduleInput | null;
  ownerRule?: CampaignInput['ownerRule'];
}

/**
 * Changes a draft or a paused campaign (an active one is paused first: what runs must not change under it).
 * A new audience reaches only the editor's scope (stored in place of the previous one).
 */
export async function updateCampaign(db: Db, scope: Scope, id: number, patch: CampaignPatch, now: Date, s: CampaignSettings): Promise<CampaignRow> {
  const corpId = scope.corpId;
  return db.transaction(async (tx) => {
    const c = await mustGet(tx, scope, id, true);
    if (c.status !== 'draft' && c.status !== 'paused') throw conflict(`campaign ${id} is ${c.status}: pause it before changing it`);
    if (patch.audience) await checkAudience(tx, scope, c.kind, patch.audience);
    if (patch.content) await checkContent(tx, corpId, c.kind, patch.content);
    if (patch.schedule) checkSchedule(patch.schedule, now, s.graceMs);
    const [row] = await tx.update(campaigns).set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.audience ? { audience: patch.audience, ...reachColumn(scope) } : {}),
      ...(patch.content ? { content: patch.content } : {}),
      ...(patch.schedule !== undefined ? scheduleColumns(patch.schedule) : {}),
      ...(patch.ownerRule ? { ownerRule: patch.ownerRule } : {}),
      updatedAt: now,
    }).where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, id))).returning();
    return row!;
  });
}

/** Where the scheduler starts looking: a once-time already past is found (and caught up); cron occurrences from now on. */
function cursorFor(c: Pick<CampaignRow, 'scheduleType' | 'runAt'>, now: Date): Date {
  if (c.scheduleType === 'once' && c.runAt && c.runAt.getTime() <= now.getTime()) return new Date(c.runAt.getTime() - 1);
  return now;
}

/**
 * Activates a draft (optionally setting its schedule): the scheduler makes
 * its occurrences into runs from now on. Rechecks content and audience,
 * which may have changed since the draft was saved.
 */
export async function scheduleCampaign(db: Db, scope: Scope, id: number, schedule: ScheduleInput | undefined, now: Date, s: CampaignSettings): Promise<CampaignRow> {
  const corpId = scope.corpId;
  return db.transaction(async (tx) => {
    const c = await mustGet(tx, scope, id, true);
    if (c.status !== 'draft') throw conflict(`campaign ${id} is ${c.status}, not a draft${c.status === 'paused' ? ': resume it instead' : ''}`);
    const cols = schedule ? scheduleColumns(schedule) : {};
    const merged = { ...c, ...cols };
    if (!merged.scheduleType) throw new AppError('invalid_schedule', 'schedule: the campaign has no schedule (once at a time, or a cron expression)');
    if (schedule) checkSchedule(schedule, now, s.graceMs);
    else checkSchedule(merged.scheduleType === 'once' ? { type: 'once', at: merged.runAt! } : { type: 'cron', cron: merged.cron!, startsAt: merged.startsAt, endsAt: merged.endsAt }, now, s.graceMs);
    await checkAudience(tx, scope, c.kind, c.audience as Audience);
    await checkContent(tx, corpId, c.kind, c.content as Content);
    const [row] = await tx.update(campaigns)
      .set({ ...cols, status: 'active', plannedThrough: cursorFor(merged, now), activatedAt: now, updatedAt: now })
      .where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, id))).returning();
    return row!;
  });
}

/** Stops new occurrences and holds back undispatched batches; what WeCom already has keeps being tracked. */
export async function pauseCampaign(db: Db, scope: Scope, id: number, now: Date): Promise<CampaignRow> {
  const corpId = scope.corpId;
  return db.transaction(async (tx) => {
    const c = await mustGet(tx, scope, id, true);
    if (c.status !== 'active' && c.status !== 'completed') throw conflict(`campaign ${id} is ${c.status}: only an active campaign can be paused`);
    const [row] = await tx.update(campaigns).set({ status: 'paused', updatedAt: now }).where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, id))).returning();
    return row!;
  });
}

/** Resumes: held-back runs and batches go on; occurrences that fell inside the pause are not caught up. */
export async function resumeCampaign(db: Db, scope: Scope, id: number, now: Date): Promise<CampaignRow> {
  const corpId = scope.corpId;
  return db.transaction(async (tx) => {
    const c = await mustGet(tx, scope, id, true);
    if (c.status !== 'paused') throw conflict(`campaign ${id} is ${c.status}, not paused`);
    const [row] = await tx.update(campaigns)
      .set({ status: 'active', plannedThrough: sql`greatest(${campaigns.plannedThrough}, ${now.toISOString()}::timestamptz)`, activatedAt: now, updatedAt: now })
      .where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, id))).returning();
    return row!;
  });
}

/**
 * Cancels: no new runs; runs not yet planned and batches not yet sent are
 * cancelled with their deliveries. Batches WeCom already has are cancelled
 * there by the results poller (after recording who already received it); a
 * batch whose call is in flight is resolved by the dispatcher first.
 */
export async function cancelCampaign(db: Db, scope: Scope, id: number, now: Date): Promise<CampaignRow> {
  const corpId = scope.corpId;
  return db.transaction(async (tx) => {
    const c = await mustGet(tx, scope, id, true);
    if (c.status === 'cancelled') throw conflict(`campaign ${id} is already cancelled`);
    const at = now.toISOString();
    await tx.execute(sql`update campaign_runs set status = 'cancelled', reason = 'campaign cancelled', locked_until = null, completed_at = ${at}::timestamptz
      where corp_id = ${corpId} and campaign_id = ${id} and status = 'pending'`);
    await tx.execute(sql`
      with b as (
        update campaign_batches set status = 'cancelled', locked_until = null, final_at = ${at}::timestamptz
        -- A batch under a dispatcher's lease is left to it: it rereads the campaign before its call.
        where corp_id = ${corpId} and campaign_id = ${id} and status = 'pending' and msgid is null and ${LEASE_FREE}
        returning run_id, sender, batch_no)
      update campaign_deliveries d set status = 'cancelled', reason = 'campaign_cancelled', final_at = ${at}::timestamptz
      from b where d.corp_id = ${corpId} and d.run_id = b.run_id and d.sender = b.sender and d.batch_no = b.batch_no and d.status = 'planned'`);
    // Poll cancelled campaigns' waiting batches at once.
    await tx.execute(sql`update campaign_batches set available_at = ${at}::timestamptz where corp_id = ${corpId} and campaign_id = ${id} and status = 'waiting'`);
    await settleRunsOf(tx, corpId, id, now);
    const [row] = await tx.update(campaigns).set({ status: 'cancelled', finishedAt: now, updatedAt: now }).where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, id))).returning();
    return row!;
  });
}

/** Deletes a draft that never ran. */
export async function deleteCampaign(db: Db, scope: Scope, id: number): Promise<void> {
  const corpId = scope.corpId;
  await db.transaction(async (tx) => {
    const c = await mustGet(tx, scope, id, true);
    if (c.status !== 'draft') throw conflict(`campaign ${id} is ${c.status}: cancel it instead (its runs stay on record)`);
    await tx.delete(campaigns).where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, id)));
  });
}

/**
 * Moves a campaign's runs on when their batches allow: dispatching → waiting
 * (no batch left to send) → completed (every batch final). Idempotent.
 */
export async function settleRunsOf(ex: Executor, corpId: string, campaignId: number, now: Date, runId?: number): Promise<void> {
  const only = runId !== undefined ? sql`and r.id = ${runId}` : sql``;
  await ex.execute(sql`
    update campaign_runs r set
      status = case when not exists (select 1 from campaign_batches b where b.corp_id = r.corp_id and b.run_id = r.id and b.status in ('pending', 'sending', 'waiting'))
                    then 'completed' else 'waiting' end,
      completed_at = case when not exists (select 1 from campaign_batches b where b.corp_id = r.corp_id and b.run_id = r.id and b.status in ('pending', 'sending', 'waiting'))
                    then ${now.toISOString()}::timestamptz end
    where r.corp_id = ${corpId} and r.campaign_id = ${campaignId} ${only} and r.status in ('dispatching', 'waiting')
      and not exists (select 1 from campaign_batches b where b.corp_id = r.corp_id and b.run_id = r.id and b.status in ('pending', 'sending'))`);
}
