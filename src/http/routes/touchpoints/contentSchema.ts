import { z } from 'zod';
import { CHANNEL_USERS_MAX, CUSTOMER_LOOKUPS, MEDIA_MAX_BYTES, MEDIA_TYPES, TEMPLATE_KINDS } from '../../../touchpoints';

/**
 * Shapes only: byte limits, media references, variables, reps and tags are
 * checked by the content capability, which names the field in its 400.
 */
const id = z.number().int().positive();
const name = z.string().trim().min(1).max(100);
const userId = z.string().min(1).max(64);
const externalUserId = z.string().min(1).max(128);
const url = z.string().min(1).max(2048);

export const IdParams = z.object({ id: z.coerce.number().int().positive() });

// ---------------------------------------------------------------- templates

export const TemplateAttachment = z.discriminatedUnion('msgtype', [
  z.object({ msgtype: z.literal('image'), mediaRef: id.optional(), picUrl: url.optional() }).strict(),
  z.object({ msgtype: z.literal('link'), title: z.string().min(1).max(128), url, picUrl: url.optional(), desc: z.string().max(512).optional() }).strict(),
  z.object({ msgtype: z.literal('miniprogram'), title: z.string().min(1).max(64), picMediaRef: id, appid: z.string().min(1).max(64), page: url }).strict(),
  z.object({ msgtype: z.literal('video'), mediaRef: id }).strict(),
  z.object({ msgtype: z.literal('file'), mediaRef: id }).strict(),
]).describe('Media by reference to an uploaded media id (POST /api/media); links as plain data');

const text = z.string().max(12_000).describe('Text with {{customer.name|fallback}}, {{customer.remark}}, {{customer.corpName}}, {{rep.name}}, {{rep.position}}, {{field.<key>}}; ≤4000 bytes (group_welcome ≤3000)');
const category = z.string().trim().max(50);

export const CreateTemplate = z.object({
  name,
  category: category.default(''),
  kind: z.enum(TEMPLATE_KINDS).describe('message: to customers; group: posts to customer groups; welcome; group_welcome (mirrored to WeCom)'),
  text: text.default(''),
  attachments: z.array(TemplateAttachment).max(20).default([]),
});
export const UpdateTemplate = z
  .object({ name: name.optional(), category: category.optional(), text: text.optional(), attachments: z.array(TemplateAttachment).max(20).optional() })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'nothing to update');

const WecomMirror = z.object({
  templateId: z.string().nullable().describe("WeCom's template_id (group welcome templates)"),
  status: z.string(),
  errcode: z.number().nullable(),
  error: z.string().nullable(),
});

export const TemplateView = z.object({
  id: z.number(),
  name: z.string(),
  category: z.string(),
  kind: z.enum(TEMPLATE_KINDS),
  text: z.string(),
  attachments: z.array(z.unknown()),
  variables: z.array(z.string()),
  version: z.number(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  archivedAt: z.string().nullable(),
  wecom: WecomMirror.nullable(),
});
export const TemplateList = z.object({ items: z.array(TemplateView), nextBefore: z.number().nullable() });
export const TemplateListQuery = z.object({
  kind: z.enum(TEMPLATE_KINDS).optional(),
  category: z.string().max(50).optional(),
  q: z.string().min(1).max(100).optional(),
  includeArchived: z.enum(['true', 'false']).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const CategoryList = z.object({ items: z.array(z.object({ category: z.string(), kind: z.enum(TEMPLATE_KINDS), count: z.number() })) });

export const PreviewTemplate = z.object({ externalUserId, userId: userId.optional() });
export const RenderTemplate = z.object({
  externalUserId,
  userId,
  recordFollowUp: z.boolean().default(false),
  clientKey: z.string().min(1).max(128).optional().describe('Idempotency key: a repeat answers the first use and records nothing more'),
});
export const RenderedView = z.object({
  templateId: z.number(),
  text: z.string(),
  attachments: z.array(z.unknown()),
  missing: z.array(z.string()).describe('Variables that had no value (their fallback, or nothing, was used)'),
  truncated: z.boolean(),
  followUpId: z.number().nullable(),
  replayed: z.boolean(),
});

// ---------------------------------------------------------------- media

export const UploadMedia = z.object({
  filename: z.string().min(1).max(128).regex(/^[^/\\\u0000-\u001f]+$/, 'no path separators or control characters'),
  contentType: z.string().max(100).regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like image/png'),
  dataBase64: z.string().min(1).max(Math.ceil(MEDIA_MAX_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  type: z.enum(MEDIA_TYPES).optional().describe('image (JPG/PNG ≤10 MB), video (MP4 ≤10 MB) or file (≤20 MB); default from contentType'),
});
export const MediaView = z.object({
  id: z.number(),
  filename: z.string(),
  contentType: z.string(),
  type: z.enum(MEDIA_TYPES),
  size: z.number(),
  sha256: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  wecomUploadedAt: z.string().nullable().describe('When the cached WeCom media_id was issued (valid 3 days)'),
});

// ---------------------------------------------------------------- channels

export const CreateChannel = z.object({
  name,
  userIds: z.array(userId).min(1).max(CHANNEL_USERS_MAX),
  remark: z.string().max(30).optional(),
  skipVerify: z.boolean().optional(),
  welcomeTemplateId: id.nullable().optional(),
  tagIds: z.array(z.string().min(1).max(64)).max(100).optional(),
});
export const UpdateChannel = z
  .object({
    name: name.optional(),
    userIds: z.array(userId).min(1).max(CHANNEL_USERS_MAX).optional(),
    remark: z.string().max(30).optional(),
    skipVerify: z.boolean().optional(),
    welcomeTemplateId: id.nullable().optional(),
    tagIds: z.array(z.string().min(1).max(64)).max(100).optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'nothing to update');

export const ChannelView = z.object({
  id: z.number(),
  name: z.string(),
  state: z.string().describe('Our contact-way state: WeCom echoes it on adds through this channel'),
  status: z.enum(['creating', 'active', 'failed', 'deleting', 'deleted']),
  configId: z.string().nullable(),
  qrCode: z.string().nullable(),
  userIds: z.array(z.string()),
  remark: z.string(),
  skipVerify: z.boolean(),
  welcomeTemplateId: z.number().nullable(),
  tagIds: z.array(z.string()),
  /** A change not yet confirmed by WeCom (recovery sends it again). */
  syncPending: z.boolean(),
  lastErrcode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
});
export const ChannelList = z.object({ items: z.array(ChannelView) });
export const ChannelListQuery = z.object({
  status: z.enum(['creating', 'active', 'failed', 'deleting', 'deleted']).optional(),
  includeDeleted: z.enum(['true', 'false']).optional(),
});
export const ChannelStatsView = z.object({
  channelId: z.number(),
  state: z.string(),
  adds: z.number(),
  active: z.number(),
  removedByCustomer: z.number(),
  removedByRep: z.number(),
  removedOther: z.number(),
  transferred: z.number(),
  awaitingHandover: z.number(),
  addedBeforeWindow: z.number().describe('Added at least 30 days ago'),
  stillActiveAfterWindow: z.number().describe('Of those, still active (or awaiting handover)'),
  retention30: z.number().nullable(),
  welcomesSent: z.number(),
  welcomesFailed: z.number(),
});

// ---------------------------------------------------------------- welcome

export const WelcomeSettingsView = z.object({
  defaultWelcomeTemplateId: z.number().nullable(),
  defaultGroupWelcomeTemplateId: z.number().nullable(),
  defaultGroupWelcomeWecomTemplateId: z.string().nullable(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export const UpdateWelcomeSettings = z
  .object({ defaultWelcomeTemplateId: id.nullable().optional(), defaultGroupWelcomeTemplateId: id.nullable().optional() })
  .refine((b) => b.defaultWelcomeTemplateId !== undefined || b.defaultGroupWelcomeTemplateId !== undefined, 'nothing to update');

export const WelcomeSendListQuery = z.object({
  externalUserId: externalUserId.optional(),
  channelId: z.coerce.number().int().positive().optional(),
  status: z.enum(['sending', 'sent', 'failed', 'unknown', 'skipped', 'expired']).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const WelcomeSendView = z.object({
  id: z.number(),
  userId: z.string(),
  externalUserId: z.string(),
  state: z.string().nullable(),
  channelId: z.number().nullable(),
  templateId: z.number().nullable(),
  status: z.string(),
  errcode: z.number().nullable(),
  error: z.string().nullable(),
  content: z.string().nullable(),
  attachmentTypes: z.array(z.string()),
  /** Variables that had no value: their fallback was sent. */
  missing: z.array(z.string()),
  /** Variables that had a value (null when nothing was rendered). */
  filled: z.array(z.string()).nullable(),
  /** Where the customer variables came from, or why they fell back. */
  customerLookup: z.enum(CUSTOMER_LOOKUPS).nullable(),
  customerLookupError: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export const WelcomeSendList = z.object({ items: z.array(WelcomeSendView), nextBefore: z.number().nullable() });
export const GroupWelcomeList = z.object({ items: z.array(TemplateView) });
