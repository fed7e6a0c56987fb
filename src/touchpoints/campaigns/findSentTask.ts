import { sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/connection';
import type { WeComClient } from '../../wecom/client';

/**
 * How much earlier than our recorded `sending_at` WeCom's clock may stamp the
 * task's create_time (its clock behind ours, our commit before the call left).
 */
export const LOOKUP_SKEW_MS = 10 * 60_000;
/** get_groupmsg_list_v2 spans at most one month. */
const MAX_SPAN_MS = 30 * 86_400_000;

export interface UnsureBatch {
  corpId: string;
  chatType: 'single' | 'group';
  sender: string;
  /** The text exactly as we sent (or were about to send) it. */
  text: string;
  /** When the first call for this batch was started (our database's clock). */
  sendingAt: Date;
  /** Recipients of the batch still without a recorded outcome. */
  recipients: ReadonlySet<string>;
}

/**
 * The crash lookup: did an earlier call for this batch create a WeCom task
 * although its answer was never recorded? add_msg_template takes no
 * idempotency key and API-created tasks carry no creator, so we match what
 * we control: among mass messages created since the first call (± slack)
 * whose msgid none of our batches has recorded, one with exactly our text,
 * whose sender (get_groupmsg_task) is the batch's sender, and whose
 * recipients (first page of get_groupmsg_send_result) are all recipients of
 * this batch. Batches of one run share text and sender but never a
 * recipient; another run's batch with the same text and sender has its msgid
 * recorded unless it too crashed within the same window, and then its
 * recipients differ unless it went to exactly the same people — the same
 * message to the same people, which is what "once" protects. Returns the
 * msgid, or undefined when WeCom has no such task (so sending is safe).
 *
 * The window is read on WeCom's clock, since create_time is WeCom's: from
 * sending_at minus LOOKUP_SKEW_MS, a month at a time (the API's longest span),
 * each window reaching a month ahead, so whatever WeCom created up to its own
 * "now" is in it however far its clock has drifted from ours, and however long
 * the batch waited since sending began (a lookup hours later still finds it).
 */
export async function findSentTask(ex: Executor, client: WeComClient, b: UnsureBatch, now: Date): Promise<string | undefined> {
  const start = b.sendingAt.getTime() - LOOKUP_SKEW_MS;
  const known = new Set(rowsOf<{ msgid: string }>(await ex.execute(sql`
    select msgid from campaign_batches where corp_id = ${b.corpId} and msgid is not null
      and sending_at >= ${new Date(start - MAX_SPAN_MS).toISOString()}::timestamptz`)).map((r) => r.msgid));
  // Windows follow each other until one starts after our now: the last one still reaches a month past it.
  for (let from = start; from <= Math.max(now.getTime(), start); from += MAX_SPAN_MS) {
    let cursor = '';
    for (let page = 0; page < 10_000; page++) {
      const res = await client.messages.getGroupmsgListV2({
        chat_type: b.chatType, start_time: Math.floor(from / 1000), end_time: Math.floor((from + MAX_SPAN_MS) / 1000), filter_type: 2, limit: 100, cursor,
      });
      for (const m of res.items) {
        if (known.has(m.msgid) || (m.text?.content ?? '') !== b.text) continue;
        if (await isOurs(client, m.msgid, b)) return m.msgid;
      }
      if (!res.nextCursor || res.nextCursor === cursor) break;
      cursor = res.nextCursor;
    }
  }
  return undefined;
}

async function isOurs(client: WeComClient, msgid: string, b: UnsureBatch): Promise<boolean> {
  const tasks = await client.messages.getGroupmsgTask({ msgid, limit: 1000 });
  if (!tasks.items.some((t) => t.userid === b.sender)) return false;
  const first = await client.messages.getGroupmsgSendResult({ msgid, userid: b.sender, limit: 1000 });
  const ids = first.items.map((r) => (b.chatType === 'single' ? r.external_userid : r.chat_id)).filter((x): x is string => !!x);
  return ids.length > 0 && ids.every((id) => b.recipients.has(id));
}
