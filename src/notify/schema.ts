import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { workColumns } from '../db/workRow';

/**
 * App messages to employees (alerts, digests, handover notices): an outbox.
 * The row is written with the change that causes it, then sent by the
 * app-message worker; the outcome is recorded on the row.
 */
export const appMessages = pgTable(
  'app_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    /** Employee userids (≤1000 per WeCom call). */
    toUserIds: text('to_user_ids').array().notNull(),
    /** Text content (≤2048 bytes, WeCom truncates beyond). */
    content: text('content').notNull(),
    /** Why it is sent: alert, handover_notice, warning_digest … */
    purpose: text('purpose').notNull(),
    /** Makes the message once per cause (e.g. `alert:42`). */
    sourceKey: text('source_key').notNull(),
    /** WeCom msgid once sent. */
    msgId: text('msg_id'),
    /** Recipients WeCom could not deliver to. */
    invalidUserIds: text('invalid_user_ids').array(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    detail: jsonb('detail'),
    ...workColumns(),
  },
  (t) => [
    uniqueIndex('app_messages_source').on(t.corpId, t.sourceKey),
    index('app_messages_claim').on(t.corpId, t.availableAt).where(sql`status = 'pending'`),
    // Parked rows, counted by the queue's stats() on every /metrics scrape.
    index('app_messages_dead').on(t.corpId).where(sql`status = 'dead'`),
  ],
);
