import { and, eq, sql } from 'drizzle-orm';
import { corpScope } from '../db/scope';
import { appMessages } from '../notify';
import { errcodeOf } from '../wecom/client';
import { LoopWorker } from './loopWorker';
import { recordCallFailure, type OutboxWorkerOptions } from './outbox';
import { appMessageQueue } from './queues';

/** WeCom dedupes identical messages to the same person within this window: a retry after an unclear failure is not shown twice. */
const DUPLICATE_CHECK_SECONDS = 4 * 3600;

export type AppMessageWorkerOptions = OutboxWorkerOptions;

/**
 * Sends queued app messages (the outbox): the row was written with its cause;
 * the claim records the attempt before the call, the settle records the
 * outcome after. Transient failures retry with backoff; a refusal is final.
 */
export class AppMessageWorker extends LoopWorker {
  constructor(private readonly o: AppMessageWorkerOptions) {
    super('app-messages', o.log, o.pollMs ?? 1000);
  }

  async runOnce(): Promise<number> {
    const { db, client } = this.o;
    const scope = corpScope(this.o.corpId);
    const ids = (await appMessageQueue.claim(db, scope, { owner: this.id, limit: 10, leaseSeconds: 60 })).map((r) => r.id);
    for (const id of ids) {
      const [m] = await db.select().from(appMessages).where(and(eq(appMessages.corpId, scope.corpId), eq(appMessages.id, id)));
      if (!m) continue;
      try {
        const res = await client.messages.sendAppMessage({
          msgtype: 'text', text: { content: m.content }, touser: m.toUserIds,
          enable_duplicate_check: 1, duplicate_check_interval: DUPLICATE_CHECK_SECONDS,
        });
        const invalid = (res.invaliduser ?? '').split('|').filter(Boolean);
        await appMessageQueue.settle(db, scope, id, this.id, {
          set: sql`msg_id = ${res.msgid ?? null}, sent_at = now(), last_error = null,
            invalid_user_ids = ${invalid.length ? sql`array[${sql.join(invalid.map((u) => sql`${u}`), sql`, `)}]::text[]` : sql`null`}`,
        });
      } catch (err) {
        await recordCallFailure(this.o, appMessageQueue, id, this.id, err);
        this.o.log.warn({ appMessageId: id, errcode: errcodeOf(err) }, 'app message not sent');
      }
    }
    return ids.length;
  }
}
