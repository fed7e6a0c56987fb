import type { Db } from '../db/connection';
import type { Logger } from '../lib/logger';
import { recoverContent } from '../touchpoints';
import type { WeComClient } from '../wecom/client';
import { LoopWorker } from './loopWorker';

export interface ContentRecoveryOptions {
  db: Db;
  corpId: string;
  client: WeComClient;
  log: Logger;
  pollMs?: number;
}

/** Finishes channel and group-welcome WeCom calls that a crash or an unclear failure left owed (touchpoints content). */
export class ContentRecovery extends LoopWorker {
  constructor(private readonly o: ContentRecoveryOptions) {
    super('content-recovery', o.log, o.pollMs ?? 30_000);
  }

  runOnce(): Promise<number> {
    // Real time, not the injected clock, for what the content steps stamp (updated_at, deleted_at, media expiry) as the routes do;
    // the leases themselves are on the database's clock.
    return recoverContent(this.o.db, this.o.client, this.o.corpId, new Date(), this.id);
  }
}
