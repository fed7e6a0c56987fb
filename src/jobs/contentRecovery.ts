import type { Db } from '../db/connection';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { recoverContent } from '../touchpoints';
import type { WeComClient } from '../wecom/client';
import { LoopWorker } from './loopWorker';

export interface ContentRecoveryOptions {
  db: Db;
  corpId: string;
  client: WeComClient;
  log: Logger;
  /** When a lease on an owed call has run out (the simulator's clock in demo mode). */
  clock: Clock;
  pollMs?: number;
}

/** Finishes channel and group-welcome WeCom calls that a crash or an unclear failure left owed (touchpoints content). */
export class ContentRecovery extends LoopWorker {
  constructor(private readonly o: ContentRecoveryOptions) {
    super('content-recovery', o.log, o.pollMs ?? 30_000);
  }

  runOnce(): Promise<number> {
    return recoverContent(this.o.db, this.o.client, this.o.corpId, this.o.clock.now());
  }
}
