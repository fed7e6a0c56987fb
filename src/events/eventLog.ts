import { createHash } from 'node:crypto';
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import { dispatchKeyOf, type WeComEvent } from '../wecom/callback/events';
import { inboundEvents, type InboundEventRow } from './schema';

export const EVENTS_TABLE = 'inbound_events';

/** Welcome codes expire 20 s after the event: those events jump the queue. */
export function priorityOf(e: WeComEvent): number {
  return e.kind === 'external_contact' && e.welcomeCode ? 10 : 0;
}

/**
 * The dedupe key is a hash of the decrypted XML, which a WeCom retry repeats
 * byte for byte. FromUserName + CreateTime is not enough: several tag events
 * from one save share it.
 */
export function dedupeKeyOf(xml: string): string {
  return createHash('sha256').update(xml).digest('hex');
}

/** One verified callback to store. */
export interface EventToAppend {
  corpId: string;
  xml: string;
  event: WeComEvent;
}

export interface AppendOutcome {
  /** The new row's id; null when it was a duplicate. */
  id: number | null;
  duplicate: boolean;
}

/** Stores a verified callback once; a retry of the same delivery is a no-op. */
export async function appendEvent(
  ex: Executor,
  corpId: string,
  xml: string,
  event: WeComEvent,
): Promise<AppendOutcome> {
  return (await appendEvents(ex, [{ corpId, xml, event }]))[0]!;
}

/**
 * Stores several verified callbacks in one statement (one commit), each once:
 * outcomes in input order. A row whose (corp, dedupe key) is already stored,
 * or repeats an earlier item of the same call, is a duplicate — exactly what
 * appending them one by one would have answered. Columns travel as one text
 * array each (`unnest`), so the statement is the same for 1 row or 200.
 */
export async function appendEvents(ex: Executor, items: readonly EventToAppend[]): Promise<AppendOutcome[]> {
  if (items.length === 0) return [];
  const hashes = items.map((it) => dedupeKeyOf(it.xml));
  const keys = items.map((it, i) => `${it.corpId}\u0000${hashes[i]}`);
  const firstOf = new Map<string, number>();
  keys.forEach((k, i) => {
    if (!firstOf.has(k)) firstOf.set(k, i);
  });
  const unique = [...firstOf.values()];
  const col = (f: (it: EventToAppend, i: number) => string | null) => sql.param(unique.map((i) => f(items[i]!, i)));
  const res = await ex.execute(sql`
    insert into inbound_events (corp_id, dedupe_key, msg_type, event, change_type, dispatch_key, payload, xml, priority, created_at)
    select corp_id, dedupe_key, msg_type, event, change_type, dispatch_key, payload::jsonb, xml, priority::int, created_at::timestamptz
    from unnest(${col((it) => it.corpId)}::text[], ${col((_, i) => hashes[i]!)}::text[],
      ${col((it) => msgTypeOf(it.event))}::text[], ${col((it) => eventNameOf(it.event))}::text[],
      ${col((it) => (it.event.kind === 'message' ? null : (it.event.changeType ?? null)))}::text[],
      ${col((it) => dispatchKeyOf(it.event))}::text[], ${col((it) => JSON.stringify(it.event))}::text[], ${col((it) => it.xml)}::text[],
      ${col((it) => String(priorityOf(it.event)))}::text[],
      ${col((it) => (it.event.createTime ? new Date(it.event.createTime * 1000).toISOString() : null))}::text[])
      as t(corp_id, dedupe_key, msg_type, event, change_type, dispatch_key, payload, xml, priority, created_at)
    on conflict (corp_id, dedupe_key) do nothing
    returning id, corp_id, dedupe_key`);
  const stored = new Map(rowsOf<{ id: number | string; corp_id: string; dedupe_key: string }>(res).map((r) => [`${r.corp_id}\u0000${r.dedupe_key}`, Number(r.id)]));
  return keys.map((k, i) => {
    const id = firstOf.get(k) === i ? (stored.get(k) ?? null) : null;
    return { id, duplicate: id === null };
  });
}

function msgTypeOf(e: WeComEvent): string {
  return e.kind === 'message' || e.kind === 'other' ? e.msgType : 'event';
}

function eventNameOf(e: WeComEvent): string | null {
  switch (e.kind) {
    case 'external_contact': return 'change_external_contact';
    case 'external_chat': return 'change_external_chat';
    case 'external_tag': return 'change_external_tag';
    case 'contact': return 'change_contact';
    case 'other': return e.event ?? null;
    case 'message': return null;
  }
}

export type EventStatus = 'pending' | 'done' | 'dead';

export interface EventListQuery {
  limit: number;
  status?: EventStatus;
  /** Matches the event name, the change type, the dispatch key or the msg type. */
  type?: string;
  /** Id cursor: only events older than this. */
  before?: number;
}

export async function listEvents(ex: Executor, corpId: string, q: EventListQuery): Promise<InboundEventRow[]> {
  const conds: SQL[] = [eq(inboundEvents.corpId, corpId)];
  if (q.status) conds.push(eq(inboundEvents.status, q.status));
  if (q.type) {
    conds.push(sql`(${inboundEvents.event} = ${q.type} or ${inboundEvents.changeType} = ${q.type}
      or ${inboundEvents.dispatchKey} = ${q.type} or ${inboundEvents.msgType} = ${q.type})`);
  }
  if (q.before) conds.push(lt(inboundEvents.id, q.before));
  return ex.select().from(inboundEvents).where(and(...conds)).orderBy(desc(inboundEvents.id)).limit(q.limit);
}

export async function getEvent(ex: Executor, corpId: string, id: number): Promise<InboundEventRow | undefined> {
  const rows = await ex.select().from(inboundEvents).where(and(eq(inboundEvents.corpId, corpId), eq(inboundEvents.id, id)));
  return rows[0];
}

/** Seconds since the oldest pending event was received (0 when none). */
export async function oldestPendingAgeSeconds(ex: Executor, corpId: string): Promise<number> {
  const res = await ex.execute(sql`
    select coalesce(extract(epoch from now() - min(received_at)), 0)::float8 as age
    from inbound_events where corp_id = ${corpId} and status = 'pending'`);
  return Number(rowsOf<{ age: number }>(res)[0]?.age ?? 0);
}

/** Puts a dead (parked) event back in the queue after a fix; attempts restart. */
export async function retryDeadEvent(ex: Executor, corpId: string, id: number): Promise<boolean> {
  const rows = await ex
    .update(inboundEvents)
    // Due on the database's clock, like every claim of the event queue.
    .set({ status: 'pending', attempts: 0, deadAt: null, availableAt: sql`now()`, lockedBy: null, lockedUntil: null })
    .where(and(eq(inboundEvents.corpId, corpId), eq(inboundEvents.id, id), eq(inboundEvents.status, 'dead')))
    .returning({ id: inboundEvents.id });
  return rows.length === 1;
}
