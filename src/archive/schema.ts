import { sql } from 'drizzle-orm';
import { workColumns } from '../db/workRow';
import { bigint, bigserial, boolean, index, integer, jsonb, numeric, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Custom field definitions per corp. Values live in customFieldValues. */
export const customFields = pgTable(
  'custom_fields',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    /** Stable key used in rules and templates (`fields.<key>`): [a-z][a-z0-9_]*. */
    key: text('key').notNull(),
    label: text('label').notNull(),
    type: text('type').$type<'text' | 'number' | 'date' | 'select' | 'multi_select'>().notNull(),
    /** select / multi_select: the allowed values. */
    options: text('options').array().notNull().default(sql`'{}'::text[]`),
    required: boolean('required').notNull().default(false),
    /** { min?, max?, maxLength?, pattern? } as applicable to the type. */
    validation: jsonb('validation').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
    archivedAt: ts('archived_at'),
  },
  (t) => [uniqueIndex('custom_fields_key').on(t.corpId, t.key)],
);

/** One value per (customer, field), stored as JSON of the field's type (string, number, 'YYYY-MM-DD', string[]). */
export const customFieldValues = pgTable(
  'custom_field_values',
  {
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    fieldId: bigint('field_id', { mode: 'number' }).notNull(),
    value: jsonb('value').notNull(),
    updatedBy: text('updated_by'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.externalUserId, t.fieldId] }), index('custom_field_values_field').on(t.corpId, t.fieldId)],
);

/** A rep's note on a customer; with a next date it becomes a reminder (app message when due). */
export const followUps = pgTable(
  'follow_ups',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    userId: text('user_id').notNull(),
    at: ts('at').notNull().defaultNow(),
    /** wecom_chat | phone | visit | email | other */
    channel: text('channel').notNull(),
    content: text('content').notNull(),
    nextFollowUpAt: ts('next_follow_up_at'),
    remindedAt: ts('reminded_at'),
    /** Set when the note records a template the rep used (touchpoints). */
    templateId: bigint('template_id', { mode: 'number' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('follow_ups_customer').on(t.corpId, t.externalUserId, t.at),
    index('follow_ups_due').on(t.corpId, t.nextFollowUpAt).where(sql`reminded_at is null and next_follow_up_at is not null`),
  ],
);

/** Complaints: open → resolved, with the time it took. */
export const complaints = pgTable(
  'complaints',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    userId: text('user_id').notNull(),
    openedAt: ts('opened_at').notNull().defaultNow(),
    content: text('content').notNull(),
    status: text('status').$type<'open' | 'resolved'>().notNull().default('open'),
    resolvedAt: ts('resolved_at'),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
  },
  (t) => [index('complaints_customer').on(t.corpId, t.externalUserId, t.openedAt), index('complaints_open').on(t.corpId, t.openedAt).where(sql`status = 'open'`)],
);

/** Orders from the company's systems; idempotent by the external order id. */
export const orders = pgTable(
  'orders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    externalOrderId: text('external_order_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    amount: numeric('amount', { precision: 14, scale: 2 }).notNull(),
    currency: text('currency').notNull().default('CNY'),
    orderedAt: ts('ordered_at').notNull(),
    /** paid | refunded | cancelled: only paid orders count for RFM. */
    status: text('status').$type<'paid' | 'refunded' | 'cancelled'>().notNull().default('paid'),
    items: jsonb('items'),
    source: text('source').$type<'api' | 'csv'>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('orders_external_id').on(t.corpId, t.externalOrderId), index('orders_customer').on(t.corpId, t.externalUserId, t.orderedAt)],
);

/**
 * Interactions derived from stored events (messages, group activity, relation
 * changes), one row per source event and customer: the "last interaction" of stage rules.
 */
export const interactions = pgTable(
  'interactions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    userId: text('user_id'),
    /** message | group_join | group_leave | relation_added | relation_removed | follow_up | … */
    kind: text('kind').notNull(),
    at: ts('at').notNull(),
    sourceEventId: bigint('source_event_id', { mode: 'number' }),
    detail: jsonb('detail'),
  },
  (t) => [
    index('interactions_customer').on(t.corpId, t.externalUserId, t.at),
    uniqueIndex('interactions_source').on(t.corpId, t.sourceEventId, t.externalUserId, t.kind),
  ],
);

/**
 * RFM scores (1–5 by quintile over paying customers) and the value tier; one row per customer the ledger knows.
 * Holds only facts that do not age by themselves (last order time, not "days since"), so a nightly recompute
 * rewrites just the customers whose scores moved; `changed_at` is when this row last changed.
 */
export const customerScores = pgTable(
  'customer_scores',
  {
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    lastOrderAt: ts('last_order_at'),
    frequency: integer('frequency').notNull().default(0),
    monetary: numeric('monetary', { precision: 16, scale: 2 }).notNull().default('0'),
    r: smallint('r'),
    f: smallint('f'),
    m: smallint('m'),
    /** key (top 20% by monetary) | growth | regular | low | none (no orders). */
    tier: text('tier').$type<'key' | 'growth' | 'regular' | 'low' | 'none'>().notNull(),
    changedAt: ts('changed_at').notNull().defaultNow(),
  },
  // No index on tier: five values over all customers, a scan is what the planner would pick anyway.
  (t) => [primaryKey({ columns: [t.corpId, t.externalUserId] })],
);

export type Stage = 'new' | 'growing' | 'mature' | 'dormant' | 'churned';

/** The current lifecycle stage of each customer. */
export const customerStages = pgTable(
  'customer_stages',
  {
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    stage: text('stage').$type<Stage>().notNull(),
    since: ts('since').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.externalUserId] }), index('customer_stages_stage').on(t.corpId, t.stage)],
);

/** Every stage change, append-only. */
export const stageChanges = pgTable(
  'stage_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    fromStage: text('from_stage').$type<Stage>(),
    toStage: text('to_stage').$type<Stage>().notNull(),
    at: ts('at').notNull().defaultNow(),
    /** The run that decided it (recompute id) and the rule that matched. */
    reason: jsonb('reason'),
  },
  (t) => [index('stage_changes_customer').on(t.corpId, t.externalUserId, t.at), index('stage_changes_recent').on(t.corpId, t.at)],
);

/** Per-corp archive settings: stage rules, key-account decline thresholds. */
export const archiveSettings = pgTable('archive_settings', {
  corpId: text('corp_id').primaryKey(),
  stageRules: jsonb('stage_rules').$type<Record<string, unknown>>().notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * Churn warnings: one per transition (the unique key), to the owner rep in a
 * daily digest; managers see at-risk key accounts.
 */
export const churnWarnings = pgTable(
  'churn_warnings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    /** The owner rep told about it (null when the customer has no active owner). */
    userId: text('user_id'),
    kind: text('kind').$type<'entered_dormant' | 'key_account_decline' | 'removed_rep'>().notNull(),
    /** Identifies the transition (e.g. the stage_changes id, or the relation history id) so a rerun adds nothing. */
    transitionKey: text('transition_key').notNull(),
    detail: jsonb('detail'),
    createdAt: ts('created_at').notNull().defaultNow(),
    digestSentAt: ts('digest_sent_at'),
    /** Resolved by a person (their id) or by `system` when the customer came back. */
    resolvedAt: ts('resolved_at'),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
  },
  (t) => [
    uniqueIndex('churn_warnings_transition').on(t.corpId, t.kind, t.externalUserId, t.transitionKey),
    index('churn_warnings_digest').on(t.corpId, t.userId).where(sql`digest_sent_at is null`),
  ],
);

/** "When the rule holds, add/remove this corp tag" — applied on recompute and mirrored to WeCom with mark_tag. */
export const autoTagRules = pgTable(
  'auto_tag_rules',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    name: text('name').notNull(),
    /** A segment rule (src/segments). */
    rule: jsonb('rule').notNull(),
    tagId: text('tag_id').notNull(),
    action: text('action').$type<'add' | 'remove'>().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('auto_tag_rules_corp').on(t.corpId)],
);

/** Tag changes to mirror to WeCom (outbox): recorded before mark_tag is called, settled after. */
export const tagChanges = pgTable(
  'tag_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    userId: text('user_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    addTagIds: text('add_tag_ids').array().notNull().default(sql`'{}'::text[]`),
    removeTagIds: text('remove_tag_ids').array().notNull().default(sql`'{}'::text[]`),
    ruleId: bigint('rule_id', { mode: 'number' }),
    ...workColumns(),
    createdAt: ts('created_at').notNull().defaultNow(),
    doneAt: ts('done_at'),
  },
  (t) => [
    index('tag_changes_claim').on(t.corpId, t.availableAt).where(sql`status = 'pending'`),
    // Parked rows, counted by the queue's stats() on every /metrics scrape.
    index('tag_changes_dead').on(t.corpId).where(sql`status = 'dead'`),
  ],
);
