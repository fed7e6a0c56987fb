import type { Db } from '../db/connection';
import type { Clock } from '../lib/clock';
import { remindDueFollowUps } from '../archive';
import type { Logger } from '../lib/logger';
import type { Locale } from '../notify';
import { LoopWorker } from './loopWorker';

interface ArchiveJobOptions {
  db: Db;
  corpId: string;
  log: Logger;
  /** Language of the reminder texts (LOCALE). */
  locale: Locale;
  pollMs?: number;
  /** When a follow-up is due (the simulator's clock in demo mode). */
  clock: Clock;
}

/**
 * Reminds reps of due follow-ups (one app message per rep per round). Each
 * note is reminded once across instances: the claim and the message are one
 * transaction. Runs every minute; it never has a backlog worth looping on.
 */
export class FollowUpReminder extends LoopWorker {
  constructor(private readonly o: ArchiveJobOptions) {
    super('follow-up-reminder', o.log, o.pollMs ?? 60_000);
  }

  async runOnce(): Promise<number> {
    await remindDueFollowUps(this.o.db, this.o.corpId, this.o.clock.now(), this.o.locale);
    return 0;
  }
}
