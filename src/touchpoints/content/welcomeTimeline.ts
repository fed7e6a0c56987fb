import { sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/connection';
import { isoMicros, keysetCondition, type KeysetBefore } from '../../db/keyset';

export interface WelcomeTimelineItem {
  id: number;
  /** ISO with microseconds (exact, for keyset cursors). */
  atText: string;
  userId: string;
  detail: Record<string, unknown>;
}

/**
 * Welcome messages a customer received (sent), newest first, keyset-paginated:
 * one source of the customer timeline (src/views/timeline.ts).
 */
export async function welcomesOf(ex: Executor, corpId: string, externalUserId: string, opts: { before?: KeysetBefore; limit: number }): Promise<WelcomeTimelineItem[]> {
  const at = sql.raw('created_at');
  const rows = rowsOf<{ id: string; at_text: string; user_id: string; detail: Record<string, unknown> }>(await ex.execute(sql`
    select id, ${isoMicros(at)} as at_text, user_id,
           jsonb_build_object('content', content, 'attachmentTypes', attachment_types, 'templateId', template_id, 'channelId', channel_id, 'state', state) as detail
    from welcome_sends
    where corp_id = ${corpId} and external_user_id = ${externalUserId} and status = 'sent'
      and ${keysetCondition(at, sql.raw('id'), opts.before)}
    order by created_at desc, id desc
    limit ${opts.limit}`));
  return rows.map((r) => ({ id: Number(r.id), atText: r.at_text, userId: r.user_id, detail: r.detail }));
}
