import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { workColumns } from '../../db/workRow';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const CAMPAIGN_KINDS = ['push', 'group_post', 'rep_task'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const OWNER_RULES = ['recent_added', 'earliest_added', 'recent_interaction'] as const;
export type OwnerRule = (typeof OWNER_RULES)[number];

/**
 * A campaign: what (content), to whom (audience), when (schedule). Its
 * occurrences are runs; a run's recipients are deliveries, sent in batches.
 */
export const campaigns = pgTable(
  'campaigns',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    name: text('name').notNull(),
    /** push (mass message to customers) | group_post (mass message to customer groups) | rep_task (app message to reps: whom to contact). */
    kind: text('kind').$type<CampaignKind>().notNull(),
    /** draft → active (scheduled) ⇄ paused → completed (no occurrence left) | cancelled. */
    status: text('status').$type<CampaignStatus>().notNull().default('draft'),
    /** Whom: {type:'segment', segmentId} | {type:'rule', rule} (push, rep_task) | {type:'groups', owners?, chatIds?} (group_post). */
    audience: jsonb('audience').notNull(),
    /** What: {templateId} (content helper) | {text, attachments}; rendered per sender at dispatch. */
    content: jsonb('content').notNull(),
    /** once | cron; null while the draft has no schedule. */
    scheduleType: text('schedule_type').$type<'once' | 'cron'>(),
    /** once: when. */
    runAt: ts('run_at'),
    /** cron: a five-field expression read in `timezone`. */
    cron: text('cron'),
    /** cron: no occurrence before / after these. */
    startsAt: ts('starts_at'),
    endsAt: ts('ends_at'),
    /** IANA zone of the cron expression and of quiet hours (SCHEDULE_TZ when created). */
    timezone: text('timezone').notNull(),
    /** Which owner sends to a customer followed by several reps. */
    ownerRule: text('owner_rule').$type<OwnerRule>().notNull().default('recent_added'),
    /** Occurrences up to this instant exist as runs (the scheduler's cursor); reset on (re)activation. */
    plannedThrough: ts('planned_through'),
    createdBy: text('created_by').notNull(),
    /**
     * The employees (userids) whose customers and groups it may reach: its
     * creator's (or last editor's) scope when saved; null = the whole corp.
     * Every run's audience is intersected with it, also in the worker.
     */
    scopeUserIds: text('scope_user_ids').array(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** When it was last activated (schedule or resume): occurrences before it are never caught up. */
    activatedAt: ts('activated_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('campaigns_recent').on(t.corpId, t.id),
    // The scheduler's scan: active campaigns of a corp.
    index('campaigns_active').on(t.corpId).where(sql`status = 'active'`),
  ],
);

export const RUN_STATUSES = ['pending', 'dispatching', 'waiting', 'completed', 'missed', 'cancelled', 'dead'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * One occurrence of a campaign, claimed by its unique (campaign, scheduled
 * time) so it runs once across instances. A work row: `pending` runs are
 * claimed by the planner, which writes all deliveries and batches in one
 * transaction; then batches carry the work.
 */
export const campaignRuns = pgTable(
  'campaign_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    /** The occurrence (cron match or once time); with campaign_id the run's identity. */
    scheduledAt: ts('scheduled_at').notNull(),
    /** Why it is missed / dead / cancelled, or a note (superseded, deferred). */
    reason: text('reason'),
    /** Quiet hours moved it to this time (not dropped). */
    deferredUntil: ts('deferred_until'),
    /** When its deliveries were written. */
    plannedAt: ts('planned_at'),
    /** What planning found: targeted, planned, skipped by reason, batches. */
    summary: jsonb('summary'),
    completedAt: ts('completed_at'),
    /** pending → dispatching → waiting (every batch answered, results polled) → completed | missed | cancelled | dead. */
    ...workColumns(),
    status: text('status').$type<RunStatus>().notNull().default('pending'),
  },
  (t) => [
    uniqueIndex('campaign_runs_occurrence').on(t.campaignId, t.scheduledAt),
    index('campaign_runs_campaign').on(t.corpId, t.campaignId, t.scheduledAt),
    index('campaign_runs_claim').on(t.corpId, t.availableAt).where(sql`status = 'pending'`),
    // Parked rows, counted by the queue's stats() on every /metrics scrape.
    index('campaign_runs_dead').on(t.corpId).where(sql`status = 'dead'`),
  ],
);

export const BATCH_STATUSES = ['pending', 'sending', 'waiting', 'done', 'failed', 'cancelled', 'dead', 'unknown'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * One WeCom call's worth of a run: one sender, ≤10,000 customers or ≤2000
 * groups (or one rep's task list). The outbox row of add_msg_template:
 * `sending` is committed before the call, the msgid and fail_list after it;
 * a `sending` batch whose lease ran out is looked up in WeCom before any
 * resend. `waiting` batches are polled for per-recipient results.
 */
export const campaignBatches = pgTable(
  'campaign_batches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    runId: bigint('run_id', { mode: 'number' }).notNull(),
    /** The rep who sends (push: the chosen owner; group_post: the group owner; rep_task: the rep told). */
    sender: text('sender').notNull(),
    /** 0-based within (run, sender). */
    batchNo: integer('batch_no').notNull(),
    recipients: integer('recipients').notNull(),
    /** The text exactly as sent (rendered for the sender), kept for the crash lookup and the record. */
    text: text('text'),
    /** The WeCom attachments as sent. */
    attachments: jsonb('attachments'),
    /** First time a call for it was started: the lower end of the crash lookup's window. */
    sendingAt: ts('sending_at'),
    /** WeCom's mass-message id, once known (from the answer or the crash lookup). */
    msgid: text('msgid'),
    /** How the msgid was learnt: call | lookup. */
    msgidSource: text('msgid_source'),
    /** Recipients WeCom could not send to (fail_list). */
    failCount: integer('fail_count'),
    /** WeCom's errcode when it refused the whole batch. */
    errcode: integer('errcode'),
    answeredAt: ts('answered_at'),
    /** When the sender confirmed in the client (get_groupmsg_task send_time). */
    senderSentAt: ts('sender_sent_at'),
    /** Quiet hours held it back until then. */
    deferredUntil: ts('deferred_until'),
    /** Reminders sent to the rep (remind_groupmsg_send). */
    reminders: integer('reminders').notNull().default(0),
    lastRemindedAt: ts('last_reminded_at'),
    /** Results are final (every recipient settled, the confirmation window closed, or WeCom no longer knows the msgid). */
    finalAt: ts('final_at'),
    /** Results polls in a row that failed: drives the poll backoff; reset by a poll that gets through; MAX_POLL_FAILURES refusals → unknown. */
    pollFailures: integer('poll_failures').notNull().default(0),
    /**
     * pending → sending (call in flight or unsure) → waiting (msgid known; results polled) → done | failed | cancelled | dead;
     * or unknown (WeCom kept refusing to read the msgid: its results cannot be learnt).
     */
    ...workColumns(),
    status: text('status').$type<BatchStatus>().notNull().default('pending'),
  },
  (t) => [
    uniqueIndex('campaign_batches_key').on(t.runId, t.sender, t.batchNo),
    index('campaign_batches_run').on(t.corpId, t.runId),
    // Dispatcher (pending/sending) and poller (waiting) claims.
    index('campaign_batches_claim').on(t.corpId, t.availableAt).where(sql`status in ('pending', 'sending', 'waiting')`),
    // Parked rows, counted by the queue's stats() on every /metrics scrape.
    index('campaign_batches_dead').on(t.corpId).where(sql`status = 'dead'`),
    // One WeCom task, one batch: a msgid answered twice is refused, not silently shared (recordAccepted).
    uniqueIndex('campaign_batches_msgid').on(t.corpId, t.msgid).where(sql`msgid is not null`),
  ],
);

export const DELIVERY_STATUSES = [
  'planned', 'skipped', 'dispatched', 'failed', 'sent', 'not_friend', 'over_limit', 'unsent', 'cancelled', 'notified', 'unknown',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** Why a delivery is skipped / failed / unsent. */
export const DELIVERY_REASONS = [
  'frequency_cap', 'receive_limit', 'not_sendable', 'batch_refused', 'not_confirmed', 'campaign_cancelled', 'msgid_unknown', 'duplicate_msgid',
] as const;
export type DeliveryReason = (typeof DELIVERY_REASONS)[number];

/**
 * One recipient (customer or group) of one run, unique per run. Written in
 * one set-based statement by the planner with its sender and batch number,
 * or as `skipped` with the cap that stopped it.
 * planned → dispatched (in a WeCom task, the rep has not sent yet) →
 * sent | not_friend | over_limit | unsent | unknown (WeCom forgot the msgid);
 * or failed (fail_list, a duplicate msgid) | skipped | cancelled; rep tasks: planned → notified.
 */
export const campaignDeliveries = pgTable(
  'campaign_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    campaignId: bigint('campaign_id', { mode: 'number' }).notNull(),
    runId: bigint('run_id', { mode: 'number' }).notNull(),
    /** external_userid (push, rep_task) or chat_id (group_post). */
    recipientId: text('recipient_id').notNull(),
    /** customer (a push) | group (a group post) | task (a customer on a rep's task list): which caps apply. */
    recipientKind: text('recipient_kind').$type<'customer' | 'group' | 'task'>().notNull(),
    sender: text('sender').notNull(),
    /** With (run, sender) the batch; null when skipped. */
    batchNo: integer('batch_no'),
    status: text('status').$type<DeliveryStatus>().notNull(),
    reason: text('reason'),
    /** The run's time: what caps count until a send time is known. */
    plannedAt: ts('planned_at').notNull(),
    /** WeCom send_time (status 1). */
    sentAt: ts('sent_at'),
    finalAt: ts('final_at'),
  },
  (t) => [
    uniqueIndex('campaign_deliveries_recipient').on(t.runId, t.recipientId),
    index('campaign_deliveries_batch').on(t.runId, t.sender, t.batchNo),
    // Caps (recent pushes per customer) and the customer timeline.
    index('campaign_deliveries_history').on(t.corpId, t.recipientId, t.plannedAt),
  ],
);

/** Every remind_groupmsg_send, recorded before the call (WeCom allows 3 per message per 24 h). */
export const campaignReminders = pgTable(
  'campaign_reminders',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    batchId: bigint('batch_id', { mode: 'number' }).notNull(),
    msgid: text('msgid').notNull(),
    /** sending (recorded before the call) → ok | failed. */
    status: text('status').notNull().default('sending'),
    errcode: integer('errcode'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('campaign_reminders_batch').on(t.batchId, t.at)],
);
