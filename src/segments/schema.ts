import { bigint, bigserial, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A saved segment: a validated rule (see rules.ts), compiled to one SQL query when used. */
export const segments = pgTable(
  'segments',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    rule: jsonb('rule').notNull(),
    createdBy: text('created_by').notNull(),
    /** The saver's scope (employee userids; null = the whole corp): with the creator, who may see the segment. */
    scopeUserIds: text('scope_user_ids').array(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** When membership was last materialised, and how many matched. */
    materialisedAt: ts('materialised_at'),
    memberCount: bigint('member_count', { mode: 'number' }),
  },
  (t) => [uniqueIndex('segments_name').on(t.corpId, t.name)],
);

/** Materialised membership (replaced as a whole on each materialisation), for campaigns. */
export const segmentMembers = pgTable(
  'segment_members',
  {
    corpId: text('corp_id').notNull(),
    segmentId: bigint('segment_id', { mode: 'number' }).notNull(),
    externalUserId: text('external_user_id').notNull(),
    materialisedAt: ts('materialised_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.segmentId, t.externalUserId] }), index('segment_members_customer').on(t.corpId, t.externalUserId)],
);
