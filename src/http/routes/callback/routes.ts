import Router from '@koa/router';
import type { Db } from '../../../db/connection';
import { GroupCommitAppender } from '../../../events';
import type { Clock } from '../../../lib/clock';
import { AppError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import { callbacksReceived } from '../../../lib/metrics';
import { parseCallbackXml } from '../../../wecom/callback/parse';
import { envelopeCiphertext, openSealed, type CallbackSecrets } from '../../../wecom/callback/verify';
import { readText } from '../../middleware/body';

export interface CallbackDeps {
  db: Db;
  secrets: CallbackSecrets;
  clock: Clock;
  log: Logger;
  /** The group-commit writer (the service shares it with the event worker, which yields to it); else one of its own. */
  appender?: GroupCommitAppender;
  /** Called after an event row commits (wakes the local worker). */
  onStored(): void;
}

/**
 * Query values decoded without turning '+' into a space: echostr and the
 * signature are base64/hex and WeCom does not always percent-encode '+'.
 */
function rawQuery(querystring: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of querystring.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[decodeURIComponent(part.slice(0, eq))] = decodeURIComponent(part.slice(eq + 1));
    } catch {
      throw new AppError('bad_request', 'query string is not valid percent-encoding');
    }
  }
  return out;
}

/** `/wecom/callback`: URL verification (GET) and event delivery (POST). */
export function callbackRoutes(d: CallbackDeps): Router {
  const router = new Router({ sensitive: true, strict: true });
  // Concurrent callbacks share one insert and one commit; each is answered after its own row is durable.
  const appender = d.appender ?? new GroupCommitAppender(d.db);

  router.get('/wecom/callback', (ctx) => {
    const q = rawQuery(ctx.querystring);
    ctx.type = 'text/plain';
    ctx.body = openSealed(q, q.echostr, d.secrets, d.clock.now());
  });

  router.post('/wecom/callback', async (ctx) => {
    const q = rawQuery(ctx.querystring);
    if (!q.msg_signature || !q.timestamp || !q.nonce) throw new AppError('bad_signature', 'missing msg_signature, timestamp or nonce');
    const envelope = await readText(ctx);
    const sealed = envelopeCiphertext(envelope);
    if (!sealed) throw new AppError('malformed_xml', 'envelope has no <Encrypt> element');
    const xml = openSealed(q, sealed, d.secrets, d.clock.now());
    const event = await parseCallbackXml(xml);
    // Answer only after the row is committed: a crash before this loses nothing, WeCom retries.
    const { duplicate } = await appender.append(d.secrets.corpId, xml, event);
    callbacksReceived.inc({ duplicate: String(duplicate) });
    if (!duplicate) d.onStored();
    ctx.type = 'text/plain';
    ctx.body = 'success';
  });

  return router;
}
