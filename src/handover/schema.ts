import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { workColumns } from '../db/workRow';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A handover plan: one source rep's customers and groups to one or more
 * takeover reps. Written (with all its items) before anything is sent.
 */
export const handoverPlans = pgTable(
  'handover_plans',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    /** onjob (在职继承: source active) | resigned (离职继承: source departed). */
    kind: text('kind').$type<'onjob' | 'resigned'>().notNull(),
    /** draft → confirmed → completed, or cancelled. */
    status: text('status').$type<'draft' | 'confirmed' | 'completed' | 'cancelled'>().notNull().default('draft'),
    fromUserId: text('from_user_id').notNull(),
    /** Empty only on an automatic draft nobody could be chosen for (see unassigned_reason): it cannot be confirmed until one is set. */
    takeoverUserIds: text('takeover_user_ids').array().notNull(),
    /** one (all to the first) | round_robin | balance (fewest current customers first). */
    rule: text('rule').notNull(),
    /** On-job only: what the customer is shown (≤200 chars). */
    transferMessage: text('transfer_message'),
    /** What was asked for (all / by tag / list; groups), for the record. */
    selection: jsonb('selection').notNull(),
    /** Who is told when the plan completes (besides the takeover reps). */
    notifyUserIds: text('notify_user_ids').array().notNull().default(sql`'{}'::text[]`),
    /** Created by the system when a rep left (not by a person). */
    automatic: boolean('automatic').notNull().default(false),
    /** Why an automatic draft has no takeover (nobody up the department tree can take customers), for the manager; null once one is set. */
    unassignedReason: text('unassigned_reason'),
    createdBy: text('created_by').notNull(),
    confirmedBy: text('confirmed_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    confirmedAt: ts('confirmed_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('handover_plans_recent').on(t.corpId, t.id), index('handover_plans_from').on(t.corpId, t.fromUserId)],
);

export const ITEM_FINAL = ['skipped', 'succeeded', 'refused', 'takeover_limit', 'no_relation', 'too_frequent', 'failed', 'expired', 'cancelled'] as const;
export type ItemStatus = 'planned' | 'pending' | 'waiting' | (typeof ITEM_FINAL)[number];

/**
 * One customer or group of a plan. A work row: `pending` items are claimed
 * in batches by the sender; `waiting` ones (WeCom accepted, the 24 h window
 * runs) are settled by the result poller. Final states carry a reason.
 */
export const handoverItems = pgTable(
  'handover_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    planId: bigint('plan_id', { mode: 'number' }).notNull(),
    /** customer | group. */
    type: text('type').$type<'customer' | 'group'>().notNull(),
    /** external_userid or chat_id. */
    targetId: text('target_id').notNull(),
    fromUserId: text('from_user_id').notNull(),
    toUserId: text('to_user_id').notNull(),
    /** Why it is not (or no longer) going ahead, in words a manager can act on. */
    reason: text('reason'),
    /** WeCom's per-item errcode or result status, when it gave one. */
    errcode: integer('errcode'),
    /** When the WeCom call that carried it was answered (the call is recorded in the audit). */
    sentAt: ts('sent_at'),
    /** When WeCom says the takeover happens (status 2's takeover_time). */
    takeoverAt: ts('takeover_at'),
    finalAt: ts('final_at'),
    ...workColumns(),
  },
  (t) => [
    index('handover_items_plan').on(t.corpId, t.planId, t.id),
    // The sender's claim: pending items by batch key.
    index('handover_items_claim').on(t.corpId, t.availableAt).where(sql`status = 'pending'`),
    // Parked rows, counted by the queue's stats() on every /metrics scrape.
    index('handover_items_dead').on(t.corpId).where(sql`status = 'dead'`),
    index('handover_items_waiting').on(t.corpId, t.fromUserId, t.toUserId).where(sql`status = 'waiting'`),
    // "Is this customer in another transfer right now?" before each claim.
    index('handover_items_waiting_target').on(t.corpId, t.targetId).where(sql`status = 'waiting'`),
    // A customer or group of one source rep is in at most one open plan.
    uniqueIndex('handover_items_open_target').on(t.corpId, t.type, t.targetId, t.fromUserId).where(sql`status in ('planned', 'pending', 'waiting')`),
  ],
);

/** Append-only: who created, confirmed, cancelled; every WeCom call and its outcome. */
export const handoverAudit = pgTable(
  'handover_audit',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    planId: bigint('plan_id', { mode: 'number' }),
    /** admin / a userid / system. */
    actor: text('actor').notNull(),
    /** created | takeovers_set | confirmed | cancelled | call | result | completed | unassigned_synced. */
    action: text('action').notNull(),
    detail: jsonb('detail'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('handover_audit_recent').on(t.corpId, t.id), index('handover_audit_plan').on(t.corpId, t.planId)],
);

/** The last read of get_unassigned_list: departed reps' customers not yet reassigned. */
export const unassignedCustomers = pgTable(
  'unassigned_customers',
  {
    corpId: text('corp_id').notNull(),
    handoverUserId: text('handover_user_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    dimissionAt: ts('dimission_at'),
    syncedAt: ts('synced_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('unassigned_pair').on(t.corpId, t.handoverUserId, t.externalUserId)],
);
