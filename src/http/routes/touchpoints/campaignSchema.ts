import { z } from 'zod';
import { CAMPAIGN_KINDS, CAMPAIGN_STATUSES, DELIVERY_STATUSES, OWNER_RULES } from '../../../touchpoints/campaigns';

const isoDateTime = z.iso.datetime({ offset: true });
const userId = z.string().min(1).max(64);
const id = z.number().int().positive();

/** The rule is checked by the segments capability (parseRule), which names the bad path. */
const Rule = z.unknown().describe('A segment rule (see POST /api/segments/preview); only customers with an active relation are reached.');

export const AudienceInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('segment'), segmentId: id }).describe('A saved segment, read live at each run'),
  z.object({ type: z.literal('rule'), rule: Rule }),
  z.object({
    type: z.literal('groups'),
    /** Only groups owned by these reps (none = all). */
    owners: z.array(userId).min(1).max(1000).optional(),
    /** Only these groups (none = all). */
    chatIds: z.array(z.string().min(1).max(64)).min(1).max(20_000).optional(),
  }).describe('Customer groups (group posts), each sent by its owner'),
]);

const Attachment = z.discriminatedUnion('msgtype', [
  z.object({ msgtype: z.literal('image'), mediaRef: id.optional(), picUrl: z.string().max(2048).optional() }),
  z.object({ msgtype: z.literal('link'), title: z.string().max(200), url: z.string().max(2048), picUrl: z.string().max(2048).optional(), desc: z.string().max(600).optional() }),
  z.object({ msgtype: z.literal('miniprogram'), title: z.string().max(100), picMediaRef: id, appid: z.string().max(64), page: z.string().max(2048) }),
  z.object({ msgtype: z.literal('video'), mediaRef: id }),
  z.object({ msgtype: z.literal('file'), mediaRef: id }),
]);

export const ContentInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('template'), templateId: id }).describe('A message or group template; for pushes only {{rep.*}} variables can be filled'),
  z.object({ type: z.literal('inline'), text: z.string().max(8000).default(''), attachments: z.array(Attachment).max(9).default([]) }),
  z.object({ type: z.literal('none') }).describe('Rep tasks only: no suggested message'),
]);

export const ScheduleInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('once'), at: isoDateTime.describe('When; a time already past (within the catch-up grace window) means now') }),
  z.object({
    type: z.literal('cron'),
    cron: z.string().min(9).max(120).describe('Five fields (minute hour day-of-month month day-of-week) in SCHEDULE_TZ'),
    startsAt: isoDateTime.nullish(),
    endsAt: isoDateTime.nullish(),
  }),
]);

const name = z.string().trim().min(1).max(200);

export const CreateCampaign = z.object({
  name,
  kind: z.enum(CAMPAIGN_KINDS).describe('push: mass message to customers · group_post: to customer groups · rep_task: app message to reps listing whom to contact'),
  audience: AudienceInput,
  content: ContentInput,
  schedule: ScheduleInput.nullish(),
  ownerRule: z.enum(OWNER_RULES).optional().describe('Who sends to a customer with several reps (default CAMPAIGN_OWNER_RULE)'),
});

export const UpdateCampaign = z
  .object({ name: name.optional(), audience: AudienceInput.optional(), content: ContentInput.optional(), schedule: ScheduleInput.nullish(), ownerRule: z.enum(OWNER_RULES).optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'nothing to update');

export const ScheduleBody = z.object({ schedule: ScheduleInput.optional() });
export const CampaignIdParams = z.object({ id: z.coerce.number().int().positive() });
export const CampaignListQuery = z.object({
  status: z.enum(CAMPAIGN_STATUSES).optional(),
  kind: z.enum(CAMPAIGN_KINDS).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const Schedule = z.object({
  type: z.enum(['once', 'cron']),
  at: z.string().nullable(),
  cron: z.string().nullable(),
  startsAt: z.string().nullable(),
  endsAt: z.string().nullable(),
  timezone: z.string(),
}).nullable();

export const CampaignView = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(CAMPAIGN_KINDS),
  status: z.enum(CAMPAIGN_STATUSES),
  audience: z.unknown(),
  content: z.unknown(),
  schedule: Schedule,
  ownerRule: z.enum(OWNER_RULES),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  activatedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export const CampaignList = z.object({ items: z.array(CampaignView), nextBefore: z.number().nullable() });

export const PreviewView = z.object({
  at: z.string(),
  targeted: z.number(),
  willSend: z.number(),
  skipped: z.record(z.string(), z.number()).describe('Recipients a run now would skip, by reason: frequency_cap (ours, across campaigns) or receive_limit (WeCom\'s)'),
  senders: z.number(),
  calls: z.number().describe('WeCom calls the sends take (Σ over senders of ⌈recipients / 10,000⌉; groups 2000)'),
  deferredUntil: z.string().nullable(),
  sample: z.array(z.object({ recipientId: z.string(), name: z.string(), sender: z.string(), reason: z.string().nullable() })),
});

export const RunsQuery = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const RunView = z.object({
  id: z.number(),
  scheduledAt: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  deferredUntil: z.string().nullable(),
  plannedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  summary: z.unknown(),
  lastError: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
});
export const RunList = z.object({ items: z.array(RunView), nextBefore: z.number().nullable() });

export const DeliveriesQuery = z.object({
  run: z.coerce.number().int().positive().optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const DeliveryList = z.object({
  items: z.array(z.object({
    id: z.number(), runId: z.number(), recipientId: z.string(), recipientKind: z.string(), name: z.string(), sender: z.string(),
    batchNo: z.number().nullable(), status: z.string(), reason: z.string().nullable(),
    plannedAt: z.string(), sentAt: z.string().nullable(), finalAt: z.string().nullable(),
  })),
  nextAfter: z.number().nullable(),
});

export const StatsQuery = z.object({ run: z.coerce.number().int().positive().optional() });
export const StatsView = z.object({
  runs: z.record(z.string(), z.number()),
  targeted: z.number(),
  capped: z.record(z.string(), z.number()),
  deferred: z.number(),
  planned: z.number(),
  dispatched: z.number(),
  sent: z.number(),
  failed: z.record(z.string(), z.number()),
  notFriend: z.number(),
  overLimit: z.number(),
  unconfirmed: z.number(),
  unsent: z.number(),
  /** In tasks whose msgid WeCom no longer knows (outcome cannot be learnt). */
  unknown: z.number(),
  cancelled: z.number(),
  notified: z.number(),
  batches: z.number(),
  reminders: z.number(),
  effect: z.object({
    days: z.number(), touched: z.number(), ordered: z.number(), orders: z.number(), revenue: z.string(),
    replied: z.number(), interacted: z.number(), removed: z.number(),
  }),
});
export const Deleted = z.object({ deleted: z.literal(true) });
