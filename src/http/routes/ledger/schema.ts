import { z } from 'zod';
import { RELATION_STATUSES } from '../../../ledger';

// ---------------------------------------------------------------- shared pieces

const limit = z.coerce.number().int().min(1).max(200).default(50);
/** WeCom ids (userid, external_userid, chat_id, tag id) are short ASCII strings. */
const wecomId = z.string().min(1).max(128);
const search = z.string().max(100);
const isoDate = z.string();

/**
 * List cursors are opaque to clients: base64url of the last key of the page.
 * Anything that is not a canonical encoding is a 400, not an empty page.
 */
export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');

const cursor = z
  .string()
  .max(512)
  .transform((v, ctx) => {
    const key = Buffer.from(v, 'base64url').toString('utf8');
    if (!key || encodeCursor(key) !== v) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
      return z.NEVER;
    }
    return key;
  });

const RelationStatus = z.enum(RELATION_STATUSES);

const TagRef = z.object({ tagId: z.string(), name: z.string(), groupName: z.string().nullable() });

// ---------------------------------------------------------------- employees

export const EmployeeListQuery = z.object({
  status: z.enum(['active', 'disabled', 'departed']).optional(),
  department: z.coerce.number().int().positive().optional(),
  /** Case-insensitive substring of the name or userid. */
  q: search.optional(),
});

export const EmployeeList = z.object({
  items: z.array(z.object({
    userId: z.string(),
    name: z.string(),
    departmentIds: z.array(z.number()),
    status: z.string(),
    customerCount: z.number(),
  })),
});

// ---------------------------------------------------------------- contacts

export const ContactListQuery = z.object({
  owner: wecomId.optional(),
  tag: wecomId.optional(),
  status: RelationStatus.optional(),
  q: search.optional(),
  cursor: cursor.optional(),
  limit,
});

export const ContactList = z.object({
  items: z.array(z.object({
    externalUserId: z.string(),
    name: z.string(),
    type: z.number().nullable(),
    corpName: z.string().nullable(),
    connected: z.boolean(),
    owners: z.array(z.object({
      userId: z.string(),
      status: RelationStatus,
      createdAt: isoDate.nullable(),
      remark: z.string().nullable(),
      state: z.string().nullable(),
    })),
    tags: z.array(TagRef),
  })),
  nextCursor: z.string().nullable(),
});

export const ContactParams = z.object({ externalUserId: wecomId });

export const ContactDetail = z.object({
  profile: z.object({
    externalUserId: z.string(),
    name: z.string(),
    type: z.number().nullable(),
    gender: z.number().nullable(),
    corpName: z.string().nullable(),
    corpFullName: z.string().nullable(),
    position: z.string().nullable(),
    connected: z.boolean(),
    firstSeenAt: isoDate,
    disconnectedAt: isoDate.nullable(),
  }),
  relations: z.array(z.object({
    userId: z.string(),
    status: RelationStatus,
    remark: z.string().nullable(),
    description: z.string().nullable(),
    addWay: z.number().nullable(),
    state: z.string().nullable(),
    operUserId: z.string().nullable(),
    createdAt: isoDate.nullable(),
    statusChangedAt: isoDate,
    tags: z.array(TagRef),
  })),
  history: z.array(z.object({
    id: z.number(),
    userId: z.string(),
    change: z.string(),
    fromStatus: z.string().nullable(),
    toStatus: z.string().nullable(),
    cause: z.string(),
    at: isoDate,
    detail: z.unknown(),
  })),
  groups: z.array(z.object({ chatId: z.string(), name: z.string(), status: z.string(), memberStatus: z.string() })),
});

// ---------------------------------------------------------------- groups

export const GroupListQuery = z.object({
  owner: wecomId.optional(),
  status: z.enum(['active', 'dismissed', 'owner_departed', 'gone']).optional(),
  cursor: cursor.optional(),
  limit,
});

export const GroupList = z.object({
  items: z.array(z.object({
    chatId: z.string(),
    name: z.string(),
    ownerUserId: z.string().nullable(),
    status: z.string(),
    memberCount: z.number(),
    customerCount: z.number(),
    createdAt: isoDate.nullable(),
  })),
  nextCursor: z.string().nullable(),
});

export const GroupParams = z.object({ chatId: wecomId });

export const GroupDetail = z.object({
  chatId: z.string(),
  name: z.string(),
  ownerUserId: z.string().nullable(),
  notice: z.string().nullable(),
  status: z.string(),
  memberVersion: z.string().nullable(),
  createdAt: isoDate.nullable(),
  dismissedAt: isoDate.nullable(),
  members: z.array(z.object({
    memberId: z.string(),
    type: z.number(),
    name: z.string().nullable(),
    joinScene: z.number().nullable(),
    joinedAt: isoDate.nullable(),
    invitorUserId: z.string().nullable(),
    isAdmin: z.boolean(),
    status: z.string(),
    leftAt: isoDate.nullable(),
  })),
  history: z.array(z.object({
    id: z.number(),
    memberId: z.string().nullable(),
    change: z.string(),
    cause: z.string(),
    at: isoDate,
    detail: z.unknown(),
  })),
});

// ---------------------------------------------------------------- tags

export const TagTree = z.object({
  groups: z.array(z.object({
    groupId: z.string(),
    name: z.string(),
    order: z.number(),
    tags: z.array(z.object({ tagId: z.string(), name: z.string(), order: z.number(), customerCount: z.number() })),
  })),
});

// ---------------------------------------------------------------- sync

export const SyncJobView = z.object({
  id: z.number(),
  status: z.enum(['pending', 'running', 'done', 'failed']),
  /** employees | follow_users | contacts | groups | tags | reconcile | finished. */
  phase: z.string(),
  progress: z.object({ done: z.number(), total: z.number() }),
  counts: z.record(z.string(), z.number()),
  /** What WeCom refused to show (permission errcodes), by phase and API. */
  warnings: z.array(z.object({ phase: z.string(), api: z.string(), errcode: z.number(), message: z.string() })),
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
  createdAt: isoDate,
});
export type SyncJobView = z.infer<typeof SyncJobView>;

export const SyncRequested = z.object({
  jobId: z.number(),
  /** false: a full sync was already pending and this request joined it. */
  created: z.boolean(),
});

export const SyncJobParams = z.object({ jobId: z.coerce.number().int().positive() });

// ---------------------------------------------------------------- alerts

export const AlertListQuery = z.object({
  /** rep_deleted_customer | customer_deleted_rep | employee_departed. */
  kind: z.string().max(64).optional(),
  userId: wecomId.optional(),
  limit,
  /** Id cursor: only alerts older than this (the previous page's nextBefore). */
  before: z.coerce.number().int().positive().optional(),
});

export const AlertList = z.object({
  items: z.array(z.object({
    id: z.number(),
    kind: z.string(),
    userId: z.string(),
    externalUserId: z.string().nullable(),
    recipients: z.array(z.string()),
    createdAt: isoDate,
    detail: z.unknown(),
  })),
  nextBefore: z.number().nullable(),
});

// ---------------------------------------------------------------- stats

const RepCount = z.object({ userId: z.string(), count: z.number() });

export const RelationStatsView = z.object({
  byStatus: z.record(z.string(), z.number()),
  removedLast30Days: z.object({ byRep: z.number(), byCustomer: z.number() }),
  topDeletingReps: z.array(RepCount),
  customersLostByRep: z.array(RepCount),
});
