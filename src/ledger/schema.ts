import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import { workColumns } from '../db/workRow';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Departments as WeCom has them; a department WeCom no longer lists keeps its row with `removed_at`. */
export const departments = pgTable(
  'departments',
  {
    corpId: text('corp_id').notNull(),
    /** WeCom department id (root is 1). */
    id: integer('id').notNull(),
    name: text('name').notNull(),
    parentId: integer('parent_id'),
    /** department_leader userids, used to route alerts. */
    leaderUserIds: text('leader_user_ids').array().notNull().default(sql`'{}'::text[]`),
    sortOrder: integer('sort_order'),
    removedAt: ts('removed_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.id] })],
);

/** Employees (成员); reps are those with customer contact enabled. Never deleted: departed ones keep their history. */
export const employees = pgTable(
  'employees',
  {
    corpId: text('corp_id').notNull(),
    userId: text('user_id').notNull(),
    name: text('name').notNull().default(''),
    departmentIds: integer('department_ids').array().notNull().default(sql`'{}'::int[]`),
    mainDepartment: integer('main_department'),
    /** Departments this employee leads (from is_leader_in_dept / department_leader). */
    leaderOf: integer('leader_of').array().notNull().default(sql`'{}'::int[]`),
    position: text('position'),
    /** active | disabled | departed. */
    status: text('status').notNull().default('active'),
    /** WeCom's own status code (1 activated, 2 disabled, 4 not activated, 5 left). */
    wecomStatus: integer('wecom_status'),
    /** Listed by get_follow_user_list: may have customers. */
    hasCustomerContact: boolean('has_customer_contact').notNull().default(false),
    departedAt: ts('departed_at'),
    firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.userId] })],
);

/**
 * External contacts (客户). The archive is never deleted: when the last
 * relation ends the person stays, with `connected = false`.
 */
export const externalContacts = pgTable(
  'external_contacts',
  {
    corpId: text('corp_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    name: text('name').notNull().default(''),
    /** 1 WeChat user, 2 WeCom user. */
    type: integer('type'),
    /** 0 unknown, 1 male, 2 female. */
    gender: integer('gender'),
    avatar: text('avatar'),
    unionId: text('union_id'),
    position: text('position'),
    corpName: text('corp_name'),
    corpFullName: text('corp_full_name'),
    /** At least one live relation (active or awaiting handover) with one of our reps. */
    connected: boolean('connected').notNull().default(true),
    /** When the last relation ended (null while connected). */
    disconnectedAt: ts('disconnected_at'),
    firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.corpId, t.externalUserId] }),
    index('external_contacts_name').on(t.corpId, t.name),
    // Segments ask "this customer, still connected?" for every candidate: answered from the index alone.
    index('external_contacts_connected').on(t.corpId, t.externalUserId).where(sql`connected`),
  ],
);

export const RELATION_STATUSES = [
  'active', 'removed_by_rep', 'removed_by_customer', 'transferred', 'awaiting_handover', 'removed',
] as const;
export type RelationStatus = (typeof RELATION_STATUSES)[number];

/**
 * Rep ↔ customer relations (follow_user). One row per pair, whatever happens
 * to it; its story is in relation_history.
 */
export const relations = pgTable(
  'relations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    userId: text('user_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    /**
     * active | removed_by_rep | removed_by_customer | transferred (to another rep)
     * | awaiting_handover (rep departed) | removed (gone from WeCom, side unknown: found by reconciliation).
     */
    status: text('status').$type<RelationStatus>().notNull().default('active'),
    remark: text('remark'),
    description: text('description'),
    remarkCorpName: text('remark_corp_name'),
    remarkMobiles: text('remark_mobiles').array(),
    /** WeCom add_way (source of the add). */
    addWay: integer('add_way'),
    /** The contact-way `state` (channel) the customer came through. */
    state: text('state'),
    /** Who initiated the add (employee userid, or the customer's external_userid). */
    operUserId: text('oper_user_id'),
    /** WeCom createtime of the relation. */
    addedAt: ts('added_at'),
    statusChangedAt: ts('status_changed_at').notNull().defaultNow(),
    /** The sync job that last saw this relation in WeCom (reconciliation uses it). */
    lastSeenSyncId: bigint('last_seen_sync_id', { mode: 'number' }),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('relations_pair').on(t.corpId, t.userId, t.externalUserId),
    index('relations_customer').on(t.corpId, t.externalUserId),
    index('relations_owner_status').on(t.corpId, t.userId, t.status),
    // Channel stats count relations by the contact-way state they came through.
    index('relations_state').on(t.corpId, t.state).where(sql`state is not null`),
  ],
);

/** Corp tags on a relation (tags are per rep↔customer pair in WeCom). */
export const relationTags = pgTable(
  'relation_tags',
  {
    corpId: text('corp_id').notNull(),
    relationId: bigint('relation_id', { mode: 'number' }).notNull(),
    tagId: text('tag_id').notNull(),
    addedAt: ts('added_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.corpId, t.relationId, t.tagId] }),
    index('relation_tags_tag').on(t.corpId, t.tagId),
  ],
);

/** Append-only: every change of a relation, with its cause. Never updated or deleted. */
export const relationHistory = pgTable(
  'relation_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    relationId: bigint('relation_id', { mode: 'number' }).notNull(),
    userId: text('user_id').notNull(),
    externalUserId: text('external_user_id').notNull(),
    /** added | restored | removed_by_rep | removed_by_customer | transferred | awaiting_handover | removed | edited. */
    change: text('change').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status'),
    /** callback | sync | handover. */
    cause: text('cause').notNull(),
    /** The inbound event or sync job behind it. */
    eventId: bigint('event_id', { mode: 'number' }),
    syncJobId: bigint('sync_job_id', { mode: 'number' }),
    detail: jsonb('detail'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [
    index('relation_history_customer').on(t.corpId, t.externalUserId, t.id),
    index('relation_history_rep').on(t.corpId, t.userId, t.id),
  ],
);

/** Customer groups (客户群). */
export const customerGroups = pgTable(
  'customer_groups',
  {
    corpId: text('corp_id').notNull(),
    chatId: text('chat_id').notNull(),
    name: text('name').notNull().default(''),
    ownerUserId: text('owner_user_id'),
    notice: text('notice'),
    /** active | dismissed | owner_departed (awaiting handover) | gone (no longer listed, found by sync). */
    status: text('status').notNull().default('active'),
    /** WeCom's list status: 0 normal, 1 owner resigned, 2 inheriting, 3 inherited. */
    wecomStatus: integer('wecom_status'),
    /** member_version at the last read; a callback whose LastMemVer differs means we missed one. */
    memberVersion: text('member_version'),
    createdAt: ts('created_at'),
    dismissedAt: ts('dismissed_at'),
    lastSeenSyncId: bigint('last_seen_sync_id', { mode: 'number' }),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.chatId] }), index('customer_groups_owner').on(t.corpId, t.ownerUserId)],
);

/** Group members, current and past (`left_at`). */
export const groupMembers = pgTable(
  'group_members',
  {
    corpId: text('corp_id').notNull(),
    chatId: text('chat_id').notNull(),
    /** Employee userid or external_userid. */
    memberId: text('member_id').notNull(),
    /** 1 employee, 2 external contact. */
    type: integer('type').notNull(),
    /** 1 invited directly, 2 invite link, 3 scanned group QR. */
    joinScene: integer('join_scene'),
    joinedAt: ts('joined_at'),
    invitorUserId: text('invitor_user_id'),
    groupNickname: text('group_nickname'),
    name: text('name'),
    /** Join-way state, when the member came through one. */
    state: text('state'),
    isAdmin: boolean('is_admin').notNull().default(false),
    /** active | left. */
    status: text('status').notNull().default('active'),
    leftAt: ts('left_at'),
    /** 0 left by themselves, 1 removed by owner/admin (from the callback). */
    quitScene: integer('quit_scene'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.chatId, t.memberId] }), index('group_members_member').on(t.corpId, t.memberId)],
);

/** Append-only: every change of a group or its membership, with its cause. */
export const groupHistory = pgTable(
  'group_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    chatId: text('chat_id').notNull(),
    /** The member concerned, for joins and leaves. */
    memberId: text('member_id'),
    /** created | dismissed | member_joined | member_left | owner_changed | renamed | notice_changed | owner_departed | gone. */
    change: text('change').notNull(),
    cause: text('cause').notNull(),
    eventId: bigint('event_id', { mode: 'number' }),
    syncJobId: bigint('sync_job_id', { mode: 'number' }),
    detail: jsonb('detail'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('group_history_chat').on(t.corpId, t.chatId, t.id), index('group_history_member').on(t.corpId, t.memberId)],
);

/** Corp tag groups; deleted ones keep their row (`deleted_at`) so old history still names them. */
export const tagGroups = pgTable(
  'tag_groups',
  {
    corpId: text('corp_id').notNull(),
    groupId: text('group_id').notNull(),
    name: text('name').notNull(),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: ts('created_at'),
    deletedAt: ts('deleted_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.groupId] })],
);

export const tags = pgTable(
  'tags',
  {
    corpId: text('corp_id').notNull(),
    tagId: text('tag_id').notNull(),
    groupId: text('group_id').notNull(),
    name: text('name').notNull(),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: ts('created_at'),
    deletedAt: ts('deleted_at'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.tagId] })],
);

/**
 * Full-sync jobs: a work row (claimed under a lease) whose progress is saved
 * after every page, so a killed sync resumes where it stopped.
 */
export const syncJobs = pgTable(
  'sync_jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    /** api | cli | cron | demo. */
    trigger: text('trigger').notNull(),
    /** Current phase: employees | follow_users | contacts | groups | tags | reconcile | finished. */
    phase: text('phase').notNull().default('employees'),
    /** Resume point inside the phase (batch index, cursor …). */
    position: jsonb('position').notNull().default({}),
    progressDone: integer('progress_done').notNull().default(0),
    progressTotal: integer('progress_total').notNull().default(0),
    /** What the sync saw and changed, by kind. */
    counts: jsonb('counts').notNull().default({}),
    /** What WeCom refused to show us (permission errcodes), by phase and API. */
    warnings: jsonb('warnings').notNull().default([]),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    ...workColumns(),
  },
  (t) => [
    // One unfinished full sync per corp: a second request joins the first.
    uniqueIndex('sync_jobs_one_open').on(t.corpId).where(sql`status = 'pending'`),
    index('sync_jobs_recent').on(t.corpId, t.id),
  ],
);

/** Alerts raised by relationship events (a rep deleting a customer, a rep leaving …). */
export const alerts = pgTable(
  'alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    /** rep_deleted_customer | customer_deleted_rep | employee_departed. */
    kind: text('kind').notNull(),
    userId: text('user_id').notNull(),
    externalUserId: text('external_user_id'),
    /** Who is told (department leaders); empty when nobody is. */
    recipients: text('recipients').array().notNull().default(sql`'{}'::text[]`),
    /** Makes an alert once per cause: e.g. the inbound event id. */
    sourceKey: text('source_key').notNull(),
    detail: jsonb('detail'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('alerts_source').on(t.corpId, t.sourceKey), index('alerts_recent').on(t.corpId, t.id)],
);
