import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import { syncJobs } from '../schema';
import type { PermissionWarning } from '../wecomReads';

export const SYNC_JOBS_TABLE = 'sync_jobs';

/** Queues a full sync, or joins the one already open (one per corp: a partial unique index). */
export async function requestFullSync(ex: Executor, corpId: string, trigger: string): Promise<{ jobId: number; created: boolean }> {
  const inserted = await ex
    .insert(syncJobs)
    .values({ corpId, trigger })
    .onConflictDoNothing({ target: syncJobs.corpId, where: sql`status = 'pending'` })
    .returning({ id: syncJobs.id });
  if (inserted[0]) return { jobId: inserted[0].id, created: true };
  const [open] = await ex
    .select({ id: syncJobs.id })
    .from(syncJobs)
    .where(and(eq(syncJobs.corpId, corpId), eq(syncJobs.status, 'pending')));
  if (!open) return requestFullSync(ex, corpId, trigger); // it finished in between
  return { jobId: open.id, created: false };
}

export interface SyncJobView {
  id: number;
  status: 'pending' | 'running' | 'done' | 'failed';
  trigger: string;
  phase: string;
  progress: { done: number; total: number };
  counts: Record<string, number>;
  warnings: PermissionWarning[];
  attempts: number;
  lastError: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

type JobRow = typeof syncJobs.$inferSelect;

export function viewOf(j: JobRow, now = new Date()): SyncJobView {
  const status = j.status === 'done' ? 'done' : j.status === 'dead' ? 'failed' : j.lockedUntil && j.lockedUntil > now ? 'running' : 'pending';
  return {
    id: j.id, status, trigger: j.trigger, phase: j.phase,
    progress: { done: j.progressDone, total: j.progressTotal },
    counts: j.counts as Record<string, number>, warnings: j.warnings as PermissionWarning[],
    attempts: j.attempts, lastError: j.lastError,
    startedAt: j.startedAt?.toISOString() ?? null, finishedAt: j.finishedAt?.toISOString() ?? null, createdAt: j.createdAt.toISOString(),
  };
}

export async function getSyncJob(ex: Executor, corpId: string, jobId: number): Promise<SyncJobView | undefined> {
  const [j] = await ex.select().from(syncJobs).where(and(eq(syncJobs.corpId, corpId), eq(syncJobs.id, jobId)));
  return j && viewOf(j);
}

/** Warnings of the newest finished sync: what WeCom would not show us (surfaced on /readyz). */
export async function latestSyncWarnings(ex: Executor, corpId: string): Promise<string[]> {
  const [j] = await ex
    .select({ warnings: syncJobs.warnings })
    .from(syncJobs)
    .where(and(eq(syncJobs.corpId, corpId), eq(syncJobs.status, 'done')))
    .orderBy(sql`${syncJobs.id} desc`)
    .limit(1);
  return ((j?.warnings ?? []) as PermissionWarning[]).map(
    (w) => `WeCom refused ${w.api} during sync (${w.phase}): errcode ${w.errcode}, ${w.message}`,
  );
}
