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

/** Stores a verified callback once; a retry of the same delivery is a no-op. */
export async function appendEvent(
  ex: Executor,
  corpId: string,
  xml: string,
  event: WeComEvent,
): Promise<{ id: number | null; duplicate: boolean }> {
  const rows = await ex
    .insert(inboundEvents)
    .values({
      corpId,
      dedupeKey: dedupeKeyOf(xml),
      msgType: event.kind === 'message' || event.kind === 'other' ? event.msgType : 'event',
      event: eventNameOf(event),
      changeType: event.kind === 'message' ? null : (event.changeType ?? null),
      dispatchKey: dispatchKeyOf(event),
      payload: event,
      xml,
      priority: priorityOf(event),
      createdAt: event.createTime ? new Date(event.createTime * 1000) : null,
    })
    .onConflictDoNothing({ target: [inboundEvents.corpId, inboundEvents.dedupeKey] })
    .returning({ id: inboundEvents.id });
  const id = rows[0]?.id ?? null;
  return { id, duplicate: id === null };
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
    .set({ status: 'pending', attempts: 0, deadAt: null, availableAt: new Date(), lockedBy: null, lockedUntil: null })
    .where(and(eq(inboundEvents.corpId, corpId), eq(inboundEvents.id, id), eq(inboundEvents.status, 'dead')))
    .returning({ id: inboundEvents.id });
  return rows.length === 1;
}
