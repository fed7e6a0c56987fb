import type { Db } from '../db/connection';
import { draftMissedDepartures, pollHandoverResults, sendHandoverBatch, type HandoverSettings } from '../handover';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Locale } from '../notify';
import type { WeComClient } from '../wecom/client';
import { LoopWorker } from './loopWorker';

interface HandoverWorkerOptions {
  db: Db;
  corpId: string;
  client: WeComClient;
  /** Time for due items, holds and expiries (the simulator's in demo mode). */
  clock: Clock;
  log: Logger;
  /** Language of the notices sent when a plan completes (LOCALE). */
  locale: Locale;
  pollMs?: number;
}

interface HandoverPollerOptions extends HandoverWorkerOptions {
  /** Drafting rules for departures found without a callback. */
  settings: HandoverSettings;
}

/** Hands confirmed items to WeCom, a batch of ≤100 per cycle (outbox). */
export class HandoverSender extends LoopWorker {
  constructor(private readonly o: HandoverWorkerOptions) {
    super('handover-sender', o.log, o.pollMs ?? 1000);
  }

  runOnce(): Promise<number> {
    return sendHandoverBatch(this.o.db, this.o.client, this.o.corpId, this.id, this.o.clock, this.o.locale);
  }
}

/**
 * Every HANDOVER_POLL_S: drafts plans for departures the ledger found without
 * a callback, then polls transfer results until every waiting item is final.
 */
export class HandoverPoller extends LoopWorker {
  constructor(private readonly o: HandoverPollerOptions) {
    super('handover-poller', o.log, o.pollMs ?? 300_000);
  }

  async runOnce(): Promise<number> {
    const drafted = await draftMissedDepartures(this.o.db, this.o.corpId, this.o.settings, this.o.clock.now());
    if (drafted.length) this.o.log.info({ plans: drafted }, 'drafted handovers for departures found by sync');
    await pollHandoverResults(this.o.db, this.o.client, this.o.corpId, this.o.clock, this.o.locale);
    // Always wait the interval: results change on WeCom's clock, not ours.
    return 0;
  }
}
