import type { Db } from '../db/connection';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import {
  dispatchNextBatch, materialiseOccurrences, planNextRun, pollResultsOnce, remindUnconfirmed, type CampaignSettings,
} from '../touchpoints/campaigns';
import type { WeComClient } from '../wecom/client';
import { LoopWorker } from './loopWorker';

interface CampaignWorkerOptions {
  db: Db;
  corpId: string;
  log: Logger;
  settings: CampaignSettings;
  /** Due occurrences, quiet hours, confirmation windows (the simulator's clock in demo mode). */
  clock: Clock;
  pollMs?: number;
}

interface WithClient extends CampaignWorkerOptions {
  client: WeComClient;
}


/**
 * The scheduler: turns due occurrences into runs (unique per campaign and
 * time, so once across instances) and plans one run per cycle. Woken every
 * minute by node-cron (aligned to the minute, so a 09:00 occurrence starts at
 * 09:00, not up to a poll interval later) and on demand by the API.
 */
export class CampaignScheduler extends LoopWorker {
  constructor(private readonly o: CampaignWorkerOptions & { onPlanned?: () => void }) {
    super('campaign-scheduler', o.log, o.pollMs ?? 60_000);
  }

  async runOnce(): Promise<number> {
    const now = this.o.clock.now();
    await materialiseOccurrences(this.o.db, this.o.corpId, now, this.o.settings);
    if (this.stopping) return 0;
    const planned = await planNextRun(this.o.db, this.o.corpId, this.id, now, this.o.settings);
    if (planned) this.o.onPlanned?.();
    return planned;
  }
}

/** The dispatch outbox worker: one batch (one add_msg_template, or one rep-task message) per cycle. */
export class CampaignDispatcher extends LoopWorker {
  constructor(private readonly o: WithClient & { leaseSeconds?: number; unsureDelaySeconds?: number; onDispatched?: () => void }) {
    super('campaign-dispatcher', o.log, o.pollMs ?? 1000);
  }

  async runOnce(): Promise<number> {
    if (this.stopping) return 0;
    const n = await dispatchNextBatch({
      db: this.o.db, client: this.o.client, corpId: this.o.corpId, owner: this.id, settings: this.o.settings, log: this.o.log,
      ...(this.o.leaseSeconds !== undefined ? { leaseSeconds: this.o.leaseSeconds } : {}),
      ...(this.o.unsureDelaySeconds !== undefined ? { unsureDelaySeconds: this.o.unsureDelaySeconds } : {}),
    }, this.o.clock.now());
    if (n) this.o.onDispatched?.();
    return n;
  }
}

/** Polls waiting pushes to final per-recipient results, then reminds reps who have not confirmed. */
export class CampaignResultsPoller extends LoopWorker {
  constructor(private readonly o: WithClient) {
    super('campaign-results', o.log, o.pollMs ?? Math.min(o.settings.resultsPollMs, 30_000));
  }

  async runOnce(): Promise<number> {
    const now = this.o.clock.now();
    const deps = { db: this.o.db, client: this.o.client, corpId: this.o.corpId, owner: this.id, settings: this.o.settings, log: this.o.log };
    const polled = await pollResultsOnce(deps, now);
    if (!this.stopping) await remindUnconfirmed(deps, now);
    return polled;
  }
}
