import { ARCHIVE_HISTORY_SOURCES, archiveHistoryPage, assertCustomer } from '../archive';
import type { Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { encodeMergedCursor, mergedBound, parseMergedCursor, type MergedCursor } from '../db/keyset';
import { relationHistoryPage } from '../ledger';
import { badRequest } from '../lib/errors';
import { touchpointsOf } from '../touchpoints/campaigns';
import { welcomesOf } from '../touchpoints/content';

/**
 * A customer's timeline: a read model over the ledger (relation history), the
 * archive (its records), campaigns (pushes received) and content (welcome
 * messages). It lives above those capabilities so none of them imports another
 * to assemble it.
 */

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

export function parseTimelineCursor(text: string): MergedCursor<TimelineSource> {
  const c = parseMergedCursor(text, TIMELINE_SOURCES);
  if (!c) throw badRequest(`before: "${text}" is not a timeline cursor`);
  return c;
}

type Item = { id: number; atText: string; userId: string | null; source: TimelineSource; kind: string; detail: Record<string, unknown> };

/**
 * Everything known about a customer, newest first, across relation history
 * (handover transfers included), follow-ups, complaints, orders, stage
 * changes, interactions, campaign pushes and welcome messages — keyset-paginated
 * with a cursor that is stable across types. Each source reads at most limit+1
 * rows past the cursor; the merge keeps the first `limit`. A customer out of
 * scope is not_found; one in scope is shown whole (every rep's entries).
 */
export async function timelineOf(
  ex: Executor,
  scope: Scope,
  externalUserId: string,
  q: { before?: string; limit: number },
): Promise<{ entries: TimelineEntry[]; nextCursor: string | null }> {
  await assertCustomer(ex, scope, externalUserId);
  const corpId = scope.corpId;
  const c = q.before ? parseTimelineCursor(q.before) : undefined;
  const n = q.limit + 1;

  const lists: Promise<Item[]>[] = [
    relationHistoryPage(ex, corpId, externalUserId, { before: mergedBound('relation', c), limit: n }).then((rows) => rows.map((r) => ({
      id: r.id, atText: r.atText, userId: r.userId, source: 'relation' as const,
      kind: r.cause === 'handover' && r.change === 'transferred' ? 'handover' : r.change,
      detail: { change: r.change, fromStatus: r.fromStatus, toStatus: r.toStatus, cause: r.cause, ...(r.detail && typeof r.detail === 'object' ? { detail: r.detail } : {}) },
    }))),
    ...ARCHIVE_HISTORY_SOURCES.map((source) =>
      archiveHistoryPage(ex, corpId, externalUserId, source, { before: mergedBound(source, c), limit: n }).then((rows) => rows.map((r) => ({ ...r, source })))),
    // Campaign pushes the customer received (WeCom reported them sent).
    touchpointsOf(ex, corpId, externalUserId, { before: mergedBound('touchpoint', c), limit: n }).then((rows) => rows.map((r) => ({
      id: r.id, atText: r.atText, userId: r.userId, source: 'touchpoint' as const, kind: r.kind, detail: r.detail,
    }))),
    // Welcome messages the customer received.
    welcomesOf(ex, corpId, externalUserId, { before: mergedBound('welcome', c), limit: n }).then((rows) => rows.map((r) => ({
      id: r.id, atText: r.atText, userId: r.userId, source: 'welcome' as const, kind: 'welcome', detail: r.detail,
    }))),
  ];

  const merged = (await Promise.all(lists)).flat().sort((a, b) =>
    a.atText !== b.atText ? (a.atText < b.atText ? 1 : -1)
      : a.source !== b.source ? (a.source < b.source ? 1 : -1)
        : b.id - a.id);
  const entries = merged.slice(0, q.limit).map((r) => ({
    cursor: encodeMergedCursor(r.atText, r.source, r.id), at: new Date(r.atText), source: r.source, kind: r.kind, id: r.id,
    userId: r.userId, detail: r.detail ?? {},
  }));
  return { entries, nextCursor: merged.length > q.limit ? entries.at(-1)!.cursor : null };
}
