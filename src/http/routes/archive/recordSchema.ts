import { z } from 'zod';
import { FIELD_TYPES, FOLLOW_UP_CHANNELS, OrderRow } from '../../../archive';

const userId = z.string().min(1).max(64);
const isoDateTime = z.iso.datetime({ offset: true });

export const CustomerParams = z.object({ externalUserId: z.string().min(1).max(128) });
export const IdParams = z.object({ id: z.coerce.number().int().positive() });

// ---------------------------------------------------------------- custom fields

export const DefineField = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_]*$/, 'key must match [a-z][a-z0-9_]*').max(64),
  label: z.string().min(1).max(100),
  type: z.enum(FIELD_TYPES),
  options: z.array(z.string().min(1).max(100)).max(200).optional(),
  required: z.boolean().default(false),
  validation: z
    .object({
      min: z.number().optional(),
      max: z.number().optional(),
      maxLength: z.number().int().positive().max(10_000).optional(),
      pattern: z.string().min(1).max(500).optional(),
    })
    .strict()
    .default({}),
});

export const FieldView = z.object({
  id: z.number(),
  key: z.string(),
  label: z.string(),
  type: z.enum(FIELD_TYPES),
  options: z.array(z.string()),
  required: z.boolean(),
  validation: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  archivedAt: z.string().nullable(),
});
export const FieldList = z.object({ items: z.array(FieldView) });
export const FieldListQuery = z.object({ includeArchived: z.enum(['true', 'false']).optional() });

/** Values by field key; null clears a value. */
export const SetFieldValues = z.record(z.string(), z.unknown());
export const FieldValues = z.object({
  items: z.array(z.object({
    fieldId: z.number(), key: z.string(), label: z.string(), type: z.enum(FIELD_TYPES), value: z.unknown(),
    updatedBy: z.string().nullable(), updatedAt: z.string(),
  })),
});

// ---------------------------------------------------------------- follow-ups

export const CreateFollowUp = z.object({
  /** The rep who followed up (default: the caller): an employee of the corp who has not left. */
  userId: userId.optional(),
  at: isoDateTime.optional(),
  channel: z.enum(FOLLOW_UP_CHANNELS),
  content: z.string().min(1).max(5000),
  nextFollowUpAt: isoDateTime.nullable().optional(),
});
export const FollowUpView = z.object({
  id: z.number(),
  externalUserId: z.string(),
  userId: z.string(),
  at: z.string(),
  channel: z.string(),
  content: z.string(),
  nextFollowUpAt: z.string().nullable(),
  remindedAt: z.string().nullable(),
});
export const FollowUpList = z.object({ items: z.array(FollowUpView), nextBefore: z.number().nullable() });
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});

// ---------------------------------------------------------------- complaints

export const CreateComplaint = z.object({
  /** The rep who took the complaint (default: the caller). */
  userId: userId.optional(),
  content: z.string().min(1).max(5000),
  openedAt: isoDateTime.optional(),
});
export const ResolveComplaint = z.object({ resolution: z.string().min(1).max(5000) });
export const ComplaintView = z.object({
  id: z.number(),
  externalUserId: z.string(),
  userId: z.string(),
  content: z.string(),
  status: z.enum(['open', 'resolved']),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
  /** Seconds from opened to resolved; null while open. */
  timeToResolveSeconds: z.number().nullable(),
});
export const ComplaintList = z.object({ items: z.array(ComplaintView), nextBefore: z.number().nullable() });
export const ComplaintListQuery = PageQuery.extend({
  status: z.enum(['open', 'resolved']).optional(),
  externalUserId: z.string().min(1).max(128).optional(),
});

// ---------------------------------------------------------------- orders

export const MAX_ORDERS_PER_REQUEST = 5000;
/**
 * One order. Rows are checked one by one by the archive (bad ones are reported
 * by index, the good ones kept), so the request schema takes any element; the
 * document shows the archive's own row schema (OrderRow), generated from it.
 */
const { $schema: _dialect, ...orderRowDocument } = z.toJSONSchema(OrderRow, { io: 'input' });
const OrderElement = z.unknown().meta(orderRowDocument);
const OrderArray = z
  .array(OrderElement, { error: (i) => (i.code === 'invalid_type' ? 'must be a JSON array of orders' : undefined) })
  .max(MAX_ORDERS_PER_REQUEST, `at most ${MAX_ORDERS_PER_REQUEST} orders per request`);
const ImportOrdersObject = z.object({
  orders: OrderArray,
  /** Keep orders of customers the ledger does not know yet (they match once the customer appears); default: reject them. */
  allowUnknown: z.boolean().default(false),
}).strict();
const BODY_SHAPE = 'the body must be a JSON array of orders, or { "orders": [...], "allowUnknown": true }';
/** A JSON array of orders (unknown customers rejected), or `{ orders, allowUnknown }`. */
export const ImportOrdersBody = z.union([OrderArray, ImportOrdersObject], {
  // Name the problem of the form the client meant rather than zod's "Invalid input" for the union.
  error: (iss) => {
    if (iss.code !== 'invalid_union') return undefined;
    const input = iss.input;
    const branch = Array.isArray(input) ? iss.errors[0] : typeof input === 'object' && input !== null && 'orders' in input ? iss.errors[1] : undefined;
    const first = branch?.[0];
    if (!first) return BODY_SHAPE;
    if (first.code === 'invalid_type' && first.path.length === 0) return BODY_SHAPE;
    return first.path.length ? `${first.path.join('.')}: ${first.message}` : first.message;
  },
});
export const ImportSummary = z.object({
  inserted: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  rejected: z.array(z.object({
    index: z.number(),
    /** invalid_order | duplicate_order (the same externalOrderId earlier in the request) | unknown_customer. */
    code: z.enum(['invalid_order', 'duplicate_order', 'unknown_customer']),
    errors: z.array(z.string()),
  })),
});

// ---------------------------------------------------------------- timeline

export const TimelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `cursor` of the last entry seen. */
  before: z.string().max(100).optional(),
});
export const TimelineView = z.object({
  items: z.array(z.object({
    cursor: z.string(),
    at: z.string(),
    source: z.string(),
    kind: z.string(),
    id: z.number(),
    userId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })),
  nextCursor: z.string().nullable(),
});
