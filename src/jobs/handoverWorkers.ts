import type { Db } from '../db/connection';
import { pollHandoverResults, sendHandoverBatch } from '../handover';
import type { Logger } from '../lib/logger';
import type { WeComClient } from '../wecom/client';
import { LoopWorker } from './loopWorker';

interface HandoverWorkerOptions {
  db: Db;
  corpId: string;
  client: WeComClient;
  log: Logger;
  pollMs?: number;
}

/** Hands confirmed items to WeCom, a batch of ≤100 per cycle (outbox). */
export class HandoverSender extends LoopWorker {
  constructor(private readonly o: HandoverWorkerOptions) {
    super('handover-sender', o.log, o.pollMs ?? 1000);
  }

  runOnce(): Promise<number> {
    return sendHandoverBatch(this.o.db, this.o.client, this.o.corpId, this.id, () => new Date());
  }
}

/** Polls transfer results until every waiting item is final (HANDOVER_POLL_S apart). */
export class HandoverPoller extends LoopWorker {
  constructor(private readonly o: HandoverWorkerOptions) {
    super('handover-poller', o.log, o.pollMs ?? 300_000);
  }

  async runOnce(): Promise<number> {
    await pollHandoverResults(this.o.db, this.o.client, this.o.corpId, () => new Date());
    // Always wait the interval: results change on WeCom's clock, not ours.
    return 0;
  }
}
