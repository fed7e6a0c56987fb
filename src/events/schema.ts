import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { workColumns } from '../db/workRow';

/**
 * The inbound event log: every WeCom callback that verified, exactly once.
 * The row is the queue: the worker claims it, applies it, settles it.
 */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The corp the callback was addressed to (every business table carries it). */
    corpId: text('corp_id').notNull(),
    /** sha256 of the decrypted XML: a WeCom retry repeats it byte for byte. */
    dedupeKey: text('dedupe_key').notNull(),
    /** MsgType (event, text, image …). */
    msgType: text('msg_type').notNull(),
    /** Event name for MsgType=event (change_external_contact …), else null. */
    event: text('event'),
    /** ChangeType within the event, else null. */
    changeType: text('change_type'),
    /** The handler registry key this event dispatches on. */
    dispatchKey: text('dispatch_key').notNull(),
    /** The typed event as parsed (WeComEvent). */
    payload: jsonb('payload').notNull(),
    /** The decrypted XML as received, for audit and re-parsing. */
    xml: text('xml').notNull(),
    /** Higher runs first: welcome codes expire in 20 s. */
    priority: integer('priority').notNull().default(0),
    /** CreateTime of the event, as WeCom stated it. */
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }),
    ...workColumns(),
  },
  (t) => [
    uniqueIndex('inbound_events_dedupe').on(t.corpId, t.dedupeKey),
    // Matches the claim query: pending rows of one corp, by priority then age.
    index('inbound_events_claim').on(t.corpId, t.priority.desc(), t.availableAt).where(sql`status = 'pending'`),
    index('inbound_events_recent').on(t.corpId, t.id.desc()),
    // Parked rows, counted by the queue's stats() on every /metrics scrape.
    index('inbound_events_dead').on(t.corpId).where(sql`status = 'dead'`),
  ],
);

export type InboundEventRow = typeof inboundEvents.$inferSelect;
