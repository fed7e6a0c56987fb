import { sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import { isoMicros, keysetCondition, relationHistoryPage, type KeysetBefore } from '../ledger';
import { badRequest } from '../lib/errors';
import { touchpointsOf } from '../touchpoints/campaigns';
// The file, not the content index: the index imports the archive back.
import { welcomesOf } from '../touchpoints/content/welcomeTimeline';
import { assertCustomer } from './customers';

/** Where an entry comes from; part of the cursor, so entries of all sources page as one list. */
export const TIMELINE_SOURCES = ['complaint', 'follow_up', 'interaction', 'order', 'relation', 'stage_change', 'touchpoint', 'welcome'] as const;
export type TimelineSource = (typeof TIMELINE_SOURCES)[number];

export interface TimelineEntry {
  /** Opaque keyset cursor `at|source|id`: pass it as `before` for the entries after this one. */
  cursor: string;
  at: Date;
  source: TimelineSource;
  /** What happened: relation changes say their change (handover transfers say `handover`), others their kind. */
  kind: string;
  id: number;
  userId: string | null;
  detail: Record<string, unknown>;
}

interface Cursor {
  at: string;
  source: TimelineSource;
  id: number;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([a-z_]+)\|(\d+)$/;

export function parseTimelineCursor(text: string): Cursor {
  const m = CURSOR.exec(text);
  if (!m || !TIMELINE_SOURCES.includes(m[2] as TimelineSource)) throw badRequest(`before: "${text}" is not a timeline cursor`);
  return { at: m[1]!, source: m[2] as TimelineSource, id: Number(m[3]) };
}

/** Entries sort newest first by (at, source, id), all descending; the bound for one source follows from that order. */
function boundFor(source: TimelineSource, c: Cursor | undefined): KeysetBefore | undefined {
  if (!c) return undefined;
  return { at: c.at, tie: source < c.source ? 'all' : source > c.source ? 'none' : c.id };
}

type Raw = { id: string; at_text: string; user_id: string | null; kind: string; detail: Record<string, unknown> | null };

/** One archive table's page: `cols` selects kind, user_id and detail. */
async function archivePage(ex: Executor, table: string, atCol: string, cols: ReturnType<typeof sql>, corpId: string, externalUserId: string, b: KeysetBefore | undefined, limit: number): Promise<Raw[]> {
  const at = sql.raw(atCol);
  return rowsOf<Raw>(await ex.execute(sql`
    select id, ${isoMicros(at)} as at_text, ${cols}
    from ${sql.raw(table)}
    where corp_id = ${corpId} and external_user_id = ${externalUserId} and ${keysetCondition(at, sql.raw('id'), b)}
    order by ${at} desc, id desc
    limit ${limit}`));
}

/**
 * Everything known about a customer, newest first, across relation history
 * (handover transfers included), follow-ups, complaints, orders, stage
 * changes and interactions — keyset-paginated with a cursor that is stable
 * across types. Each source reads at most limit+1 rows past the cursor; the
 * merge keeps the first `limit`.
 */
export async function timelineOf(
  ex: Executor,
  corpId: string,
  externalUserId: string,
  q: { before?: string; limit: number },
): Promise<{ entries: TimelineEntry[]; nextCursor: string | null }> {
  await assertCustomer(ex, corpId, externalUserId);
  const c = q.before ? parseTimelineCursor(q.before) : undefined;
  const n = q.limit + 1;
  const page = (table: string, atCol: string, source: TimelineSource, cols: ReturnType<typeof sql>) =>
    archivePage(ex, table, atCol, cols, corpId, externalUserId, boundFor(source, c), n).then((rows) => rows.map((r) => ({ ...r, source })));

  const lists = await Promise.all([
    relationHistoryPage(ex, corpId, externalUserId, { before: boundFor('relation', c), limit: n }).then((rows) => rows.map((r) => ({
      id: r.id, at_text: r.atText, user_id: r.userId, source: 'relation' as const,
      kind: r.cause === 'handover' && r.change === 'transferred' ? 'handover' : r.change,
      detail: { change: r.change, fromStatus: r.fromStatus, toStatus: r.toStatus, cause: r.cause, ...(r.detail && typeof r.detail === 'object' ? { detail: r.detail } : {}) },
    }))),
    page('follow_ups', 'at', 'follow_up', sql`'follow_up' as kind, user_id,
      jsonb_build_object('channel', channel, 'content', content, 'nextFollowUpAt', next_follow_up_at) as detail`),
    page('complaints', 'opened_at', 'complaint', sql`'complaint' as kind, user_id,
      jsonb_build_object('content', content, 'status', status, 'resolvedAt', resolved_at, 'resolvedBy', resolved_by, 'resolution', resolution) as detail`),
    page('orders', 'ordered_at', 'order', sql`'order' as kind, null as user_id,
      jsonb_build_object('externalOrderId', external_order_id, 'amount', amount::text, 'currency', currency, 'status', status) as detail`),
    page('stage_changes', 'at', 'stage_change', sql`'stage_change' as kind, null as user_id,
      jsonb_build_object('fromStage', from_stage, 'toStage', to_stage, 'reason', reason) as detail`),
    page('interactions', 'at', 'interaction', sql`kind, user_id, coalesce(detail, '{}'::jsonb) as detail`),
    // Campaign pushes the customer received (WeCom reported them sent).
    touchpointsOf(ex, corpId, externalUserId, { before: boundFor('touchpoint', c), limit: n }).then((rows) => rows.map((r) => ({
      id: r.id, at_text: r.atText, user_id: r.userId, source: 'touchpoint' as const, kind: r.kind, detail: r.detail,
    }))),
    // Welcome messages the customer received.
    welcomesOf(ex, corpId, externalUserId, { before: boundFor('welcome', c), limit: n }).then((rows) => rows.map((r) => ({
      id: r.id, at_text: r.atText, user_id: r.userId, source: 'welcome' as const, kind: 'welcome', detail: r.detail,
    }))),
  ]);

  const merged = lists.flat().sort((a, b) =>
    a.at_text !== b.at_text ? (a.at_text < b.at_text ? 1 : -1)
      : a.source !== b.source ? (a.source < b.source ? 1 : -1)
        : Number(b.id) - Number(a.id));
  const entries = merged.slice(0, q.limit).map((r) => ({
    cursor: `${r.at_text}|${r.source}|${r.id}`, at: new Date(r.at_text), source: r.source, kind: r.kind, id: Number(r.id),
    userId: r.user_id, detail: r.detail ?? {},
  }));
  return { entries, nextCursor: merged.length > q.limit ? entries.at(-1)!.cursor : null };
}
