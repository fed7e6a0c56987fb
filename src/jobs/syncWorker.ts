import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection';
import { corpScope } from '../db/scope';
import { LeaseLost, runFullSync, SyncPaused, syncJobs } from '../ledger';
import { systemClock, type Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { WeComClient } from '../wecom/client';
import { LoopWorker } from './loopWorker';
import { syncQueue } from './queues';

export interface SyncWorkerOptions {
  db: Db;
  corpId: string;
  client: WeComClient;
  log: Logger;
  /** What the sync's ledger writes stamp; the system clock unless the service injects one. */
  clock?: Clock;
  pollMs?: number;
  leaseSeconds?: number;
  maxAttempts?: number;
  backoff?: { baseSeconds: number; capSeconds: number };
}

/**
 * Runs queued full syncs, one at a time per instance. The job row is claimed
 * under a lease that every saved page renews; a killed instance's job is
 * picked up by the next claimer and resumes from its saved position.
 */
export class SyncWorker extends LoopWorker {
  constructor(private readonly o: SyncWorkerOptions) {
    super('sync', o.log, o.pollMs ?? 1000);
  }

  /** Claims and runs at most one job; returns 1 if it ran one. */
  async runOnce(onProgress?: Parameters<typeof runFullSync>[0]['onProgress']): Promise<number> {
    const { db } = this.o;
    const scope = corpScope(this.o.corpId);
    const leaseSeconds = this.o.leaseSeconds ?? 120;
    const [claimed] = await syncQueue.claim(db, scope, { owner: this.id, limit: 1, leaseSeconds });
    if (!claimed) return 0;
    const id = claimed.id;
    const log = this.o.log.child({ syncJobId: id });
    try {
      log.info('full sync started');
      await runFullSync({ db, scope, clock: this.o.clock ?? systemClock, client: this.o.client, log, owner: this.id, leaseSeconds, onProgress, shouldStop: () => this.stopping }, id);
      await db.transaction(async (tx) => {
        if (!(await syncQueue.settle(tx, scope, id, this.id, { set: sql`finished_at = now()` }))) throw new LeaseLost();
      });
      const [job] = await db.select({ counts: syncJobs.counts }).from(syncJobs).where(and(eq(syncJobs.corpId, scope.corpId), eq(syncJobs.id, id)));
      log.info({ counts: job?.counts }, 'full sync finished');
    } catch (err) {
      if (err instanceof SyncPaused) {
        await syncQueue.release(db, scope, [id], this.id);
        log.info('full sync paused for shutdown; it resumes from its saved position');
        return 1;
      }
      if (err instanceof LeaseLost) {
        log.warn('sync lease lost; another instance continues the job');
        return 1;
      }
      const outcome = await syncQueue.fail(db, scope, id, this.id, errorMessage(err), {
        maxAttempts: this.o.maxAttempts ?? 10,
        baseSeconds: this.o.backoff?.baseSeconds ?? 5,
        capSeconds: this.o.backoff?.capSeconds ?? 300,
      });
      log.warn({ err: { message: errorMessage(err) }, outcome }, 'full sync interrupted; it resumes from its saved position');
    }
    return 1;
  }
}
