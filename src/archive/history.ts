import { sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import { isoMicros, keysetCondition, type KeysetBefore } from '../db/keyset';

/** The archive's own entries of a customer's history; each is one source of the customer timeline (src/views/timeline.ts). */
export const ARCHIVE_HISTORY_SOURCES = ['complaint', 'follow_up', 'interaction', 'order', 'stage_change'] as const;
export type ArchiveHistorySource = (typeof ARCHIVE_HISTORY_SOURCES)[number];

export interface ArchiveHistoryItem {
  id: number;
  /** ISO with microseconds (exact, for keyset cursors). */
  atText: string;
  userId: string | null;
  /** What happened: the source's name, or an interaction's own kind. */
  kind: string;
  detail: Record<string, unknown>;
}

/** Per source: its table, its time column, and the SQL that selects kind, user_id and detail. */
const SOURCES: Record<ArchiveHistorySource, { table: string; atCol: string; cols: ReturnType<typeof sql> }> = {
  follow_up: {
    table: 'follow_ups', atCol: 'at', cols: sql`'follow_up' as kind, user_id,
      jsonb_build_object('channel', channel, 'content', content, 'nextFollowUpAt', next_follow_up_at) as detail`,
  },
  complaint: {
    table: 'complaints', atCol: 'opened_at', cols: sql`'complaint' as kind, user_id,
      jsonb_build_object('content', content, 'status', status, 'resolvedAt', resolved_at, 'resolvedBy', resolved_by, 'resolution', resolution) as detail`,
  },
  order: {
    table: 'orders', atCol: 'ordered_at', cols: sql`'order' as kind, null as user_id,
      jsonb_build_object('externalOrderId', external_order_id, 'amount', amount::text, 'currency', currency, 'status', status) as detail`,
  },
  stage_change: {
    table: 'stage_changes', atCol: 'at', cols: sql`'stage_change' as kind, null as user_id,
      jsonb_build_object('fromStage', from_stage, 'toStage', to_stage, 'reason', reason) as detail`,
  },
  interaction: { table: 'interactions', atCol: 'at', cols: sql`kind, user_id, coalesce(detail, '{}'::jsonb) as detail` },
};

/** One source's entries for a customer, newest first, keyset-paginated on (time, id). */
export async function archiveHistoryPage(
  ex: Executor,
  corpId: string,
  externalUserId: string,
  source: ArchiveHistorySource,
  opts: { before?: KeysetBefore; limit: number },
): Promise<ArchiveHistoryItem[]> {
  const { table, atCol, cols } = SOURCES[source];
  const at = sql.raw(atCol);
  const rows = rowsOf<{ id: string; at_text: string; user_id: string | null; kind: string; detail: Record<string, unknown> | null }>(await ex.execute(sql`
    select id, ${isoMicros(at)} as at_text, ${cols}
    from ${sql.raw(table)}
    where corp_id = ${corpId} and external_user_id = ${externalUserId} and ${keysetCondition(at, sql.raw('id'), opts.before)}
    order by ${at} desc, id desc
    limit ${opts.limit}`));
  return rows.map((r) => ({ id: Number(r.id), atText: r.at_text, userId: r.user_id, kind: r.kind, detail: r.detail ?? {} }));
}
