import type { Db } from '../db/connection';
import { corpScope } from '../db/scope';
import type { WorkQueue } from '../db/workRow';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { errcodeOf, isTransient, isWeComError, type WeComClient } from '../wecom/client';

/** What every outbox worker (a queue of WeCom calls to make) is built from. */
export interface OutboxWorkerOptions {
  db: Db;
  corpId: string;
  client: WeComClient;
  log: Logger;
  pollMs?: number;
  maxAttempts?: number;
  backoff?: { baseSeconds: number; capSeconds: number };
}

/**
 * Records a failed WeCom call on a claimed outbox row: an unclear or transient
 * failure is retried with backoff (until maxAttempts); a refusal is final at
 * once — retrying will not change WeCom's mind.
 */
export function recordCallFailure(o: OutboxWorkerOptions, queue: WorkQueue, id: number, owner: string, err: unknown): Promise<'retry' | 'dead' | 'lost'> {
  const retryable = !isWeComError(err) || isTransient(err) || err.kind === 'rate_limited';
  const opts = { maxAttempts: o.maxAttempts ?? 8, ...o.backoff };
  const scope = corpScope(o.corpId);
  if (retryable) return queue.fail(o.db, scope, id, owner, errorMessage(err), opts);
  return queue.fail(o.db, scope, id, owner, `errcode ${errcodeOf(err) ?? '?'}: ${errorMessage(err)}`, { ...opts, maxAttempts: 0 });
}
