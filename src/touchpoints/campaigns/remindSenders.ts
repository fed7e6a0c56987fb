import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/connection';
import type { Logger } from '../../lib/logger';
import { errcodeOf, type WeComClient } from '../../wecom/client';
import type { CampaignSettings } from './settings';

/** WeCom allows 3 reminders per mass message per 24 h (§4.10). */
export const REMINDERS_PER_DAY = 3;

export interface RemindDeps {
  db: Db;
  client: WeComClient;
  corpId: string;
  settings: CampaignSettings;
  log?: Logger;
}

/**
 * Reminds senders who have not confirmed a push REMIND_AFTER after it was
 * created, and again each REMIND_AFTER while they still have not, at most
 * 3 times per 24 h. Each reminder is recorded (and counted) before the call,
 * by a conditional update that only one instance wins; its outcome after.
 * A crash in between counts a reminder WeCom may not have seen — the safe
 * side of a 3-per-day limit. Returns reminders sent.
 */
export async function remindUnconfirmed(d: RemindDeps, now: Date): Promise<number> {
  const after = new Date(now.getTime() - Math.max(60_000, d.settings.remindAfterMs)).toISOString();
  const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
  const due = rowsOf<{ id: string; msgid: string; reminder_id: string }>(await d.db.execute(sql`
    with due as (
      select b.id from campaign_batches b join campaigns c on c.id = b.campaign_id
      where b.corp_id = ${d.corpId} and b.status = 'waiting' and b.msgid is not null and b.sender_sent_at is null
        and c.status <> 'cancelled' and c.kind in ('push', 'group_post')
        and b.answered_at <= ${after}::timestamptz
        and (b.last_reminded_at is null or b.last_reminded_at <= ${after}::timestamptz)
        and (select count(*) from campaign_reminders r where r.batch_id = b.id and r.at > ${dayAgo}::timestamptz) < ${REMINDERS_PER_DAY}
      order by b.id
      limit 50
      for update of b skip locked),
    marked as (
      update campaign_batches b set reminders = b.reminders + 1, last_reminded_at = ${now.toISOString()}::timestamptz
      from due where b.corp_id = ${d.corpId} and b.id = due.id
      returning b.id, b.msgid, b.corp_id)
    insert into campaign_reminders (corp_id, batch_id, msgid, status, at)
    select corp_id, id, msgid, 'sending', ${now.toISOString()}::timestamptz from marked
    returning batch_id as id, msgid, id as reminder_id`));
  let sent = 0;
  for (const r of due) {
    try {
      await d.client.messages.remindGroupmsgSend(r.msgid);
      await d.db.execute(sql`update campaign_reminders set status = 'ok' where corp_id = ${d.corpId} and id = ${r.reminder_id}`);
      sent++;
    } catch (err) {
      d.log?.warn({ batchId: Number(r.id), errcode: errcodeOf(err) }, 'remind_groupmsg_send failed');
      await d.db.execute(sql`update campaign_reminders set status = 'failed', errcode = ${errcodeOf(err) ?? null} where corp_id = ${d.corpId} and id = ${r.reminder_id}`);
    }
  }
  return sent;
}
