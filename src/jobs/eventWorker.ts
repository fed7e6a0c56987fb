import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/connection';
import { corpScope, type Scope } from '../db/scope';
import { inboundEvents, type HandlerRegistry, type InboundEventRow } from '../events';
import { systemClock, type Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { eventsProcessed } from '../lib/metrics';
import type { WeComEvent } from '../wecom/callback/events';
import { isWeComError } from '../wecom/client';
import { LoopWorker } from './loopWorker';
import { eventQueue } from './queues';

export interface EventWorkerOptions {
  db: Db;
  corpId: string;
  handlers: HandlerRegistry;
  log: Logger;
  /** The time handlers stamp and decide by; the system clock unless the service injects one. */
  clock?: Clock;
  maxAttempts: number;
  /** How long a claim is ours; a crashed worker's events become claimable after it. */
  leaseSeconds?: number;
  batchSize?: number;
  /** Idle poll interval; `wake()` short-circuits it when a callback was just stored. */
  pollMs?: number;
  /** Retry backoff base and cap, in seconds. */
  backoff?: { baseSeconds: number; capSeconds: number };
  /** Awaited after each event with the ms it took: lets the callback front door go first under a burst. */
  giveWay?: (spentMs: number) => Promise<void>;
}

/**
 * Claims pending inbound events and applies their handlers. Any number of
 * workers (processes, instances) may run against one database: claims use
 * FOR UPDATE SKIP LOCKED, and the settle is conditional on the lease.
 */
export class EventWorker extends LoopWorker {
  private readonly scope: Scope;

  constructor(private readonly o: EventWorkerOptions) {
    super('events', o.log, o.pollMs ?? 500);
    this.scope = corpScope(o.corpId);
  }

  /** One claim-and-process cycle; returns how many events it handled. */
  async runOnce(): Promise<number> {
    const { db } = this.o;
    const ids = (await eventQueue.claim(db, this.scope, {
      owner: this.id,
      limit: this.o.batchSize ?? 20,
      leaseSeconds: this.o.leaseSeconds ?? 60,
      orderBy: sql`priority desc, available_at, id`,
    })).map((r) => r.id);
    for (const [i, id] of ids.entries()) {
      if (this.stopping) {
        // Shutting down: hand the rest back rather than sit on their leases.
        await eventQueue.release(db, this.scope, ids.slice(i), this.id);
        break;
      }
      const started = performance.now();
      const [row] = await db.select().from(inboundEvents).where(and(eq(inboundEvents.corpId, this.o.corpId), eq(inboundEvents.id, id)));
      if (row) await this.process(row);
      if (this.o.giveWay) await this.o.giveWay(performance.now() - started);
    }
    return ids.length;
  }

  private async process(row: InboundEventRow): Promise<void> {
    const { db, handlers, corpId } = this.o;
    const event = row.payload as WeComEvent;
    const ctx = { corpId, eventId: row.id, log: this.o.log.child({ eventId: row.id, type: row.dispatchKey }), now: (this.o.clock ?? systemClock).now() };
    try {
      const list = handlers.handlersFor(row.dispatchKey);
      const prepared: unknown[] = [];
      for (const h of list) prepared.push(h.prepare ? await h.prepare(event, ctx) : undefined);
      await db.transaction(async (tx) => {
        for (const [i, h] of list.entries()) await h.apply(tx, event, prepared[i], ctx);
        const settled = await eventQueue.settle(tx, this.scope, row.id, this.id, {
          set: sql`processed_at = now(), last_error = null`,
        });
        if (!settled) throw new LeaseLost();
      });
      eventsProcessed.inc({ type: row.dispatchKey, outcome: 'processed' });
    } catch (err) {
      if (err instanceof LeaseLost) {
        ctx.log.warn('lease lost; another worker owns the event now');
        return;
      }
      if (isWeComError(err) && err.kind === 'rate_limited') {
        // WeCom's frequency block (45009 blocks the API for a minute) says nothing about this event: wait it out
        // without spending an attempt, or a burst beyond 10,000 reads a minute would park good events as dead.
        await eventQueue.release(db, this.scope, [row.id], this.id, {
          availableAt: sql`now() + make_interval(secs => ${RATE_LIMIT_WAIT_SECONDS})`,
          set: sql`last_error = ${errorMessage(err).slice(0, 2000)}`,
        });
        eventsProcessed.inc({ type: row.dispatchKey, outcome: 'rate_limited' });
        return;
      }
      const outcome = await eventQueue.fail(db, this.scope, row.id, this.id, errorMessage(err), {
        maxAttempts: this.o.maxAttempts,
        ...this.o.backoff,
      });
      eventsProcessed.inc({ type: row.dispatchKey, outcome: outcome === 'dead' ? 'parked' : 'retried' });
      ctx.log.warn({ err: { message: errorMessage(err) }, outcome, attempts: row.attempts }, 'event handler failed');
    }
  }
}

class LeaseLost extends Error {}

/** WeCom's minute-level frequency block lasts 60 s (API-NOTES §6.1). */
const RATE_LIMIT_WAIT_SECONDS = 60;
