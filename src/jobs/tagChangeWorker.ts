import { and, eq, sql } from 'drizzle-orm';
import { tagChanges } from '../archive';
import { corpScope } from '../db/scope';
import { applyMarkedTags } from '../ledger';
import { errcodeOf } from '../wecom/client';
import { LoopWorker } from './loopWorker';
import { recordCallFailure, type OutboxWorkerOptions } from './outbox';
import { tagChangeQueue } from './queues';

export type TagChangeWorkerOptions = OutboxWorkerOptions;

/**
 * Mirrors queued tag changes to WeCom with mark_tag (the outbox): the claim
 * records the attempt, and on success the settle and the ledger's relation
 * tags commit together — only while the lease is ours, so a change is settled
 * exactly once. mark_tag is idempotent, so retrying an unclear failure is safe;
 * a refusal (relation gone, tag deleted) parks the row.
 */
export class TagChangeWorker extends LoopWorker {
  constructor(private readonly o: TagChangeWorkerOptions) {
    super('tag-changes', o.log, o.pollMs ?? 1000);
  }

  async runOnce(): Promise<number> {
    const { db, corpId, client } = this.o;
    const scope = corpScope(corpId);
    const ids = (await tagChangeQueue.claim(db, scope, { owner: this.id, limit: 20, leaseSeconds: 60 })).map((r) => r.id);
    for (const id of ids) {
      const [c] = await db.select().from(tagChanges).where(and(eq(tagChanges.corpId, corpId), eq(tagChanges.id, id)));
      if (!c) continue;
      try {
        if (c.addTagIds.length || c.removeTagIds.length) {
          await client.tags.mark({ userid: c.userId, external_userid: c.externalUserId, add_tag: c.addTagIds, remove_tag: c.removeTagIds });
        }
        await db.transaction(async (tx) => {
          const settled = await tagChangeQueue.settle(tx, scope, id, this.id, { set: sql`done_at = now(), last_error = null` });
          if (!settled) return;
          await applyMarkedTags(tx, corpId, { userId: c.userId, externalUserId: c.externalUserId, add: c.addTagIds, remove: c.removeTagIds });
        });
      } catch (err) {
        await recordCallFailure(this.o, tagChangeQueue, id, this.id, err);
        this.o.log.warn({ tagChangeId: id, errcode: errcodeOf(err) }, 'tag change not applied');
      }
    }
    return ids.length;
  }
}
