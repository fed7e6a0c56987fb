import { z } from 'zod';

const userId = z.string().min(1).max(64);

export const CreateHandover = z.object({
  from: userId,
  takeovers: z.array(userId).min(1).max(50),
  rule: z.enum(['one', 'round_robin', 'balance']).default('one'),
  customers: z
    .discriminatedUnion('mode', [
      z.object({ mode: z.literal('all') }),
      z.object({ mode: z.literal('tag'), tagIds: z.array(z.string().min(1)).min(1).max(100) }),
      z.object({ mode: z.literal('list'), externalUserIds: z.array(z.string().min(1).max(64)).min(1).max(100_000) }),
      z.object({ mode: z.literal('none') }),
    ])
    .default({ mode: 'all' }),
  groups: z
    .discriminatedUnion('mode', [
      z.object({ mode: z.literal('all') }),
      z.object({ mode: z.literal('list'), chatIds: z.array(z.string().min(1).max(64)).min(1).max(10_000) }),
      z.object({ mode: z.literal('none') }),
    ])
    .default({ mode: 'all' }),
  /** On-job only: what the customer is shown (WeCom: ≤200 characters). */
  transferMessage: z.string().min(1).max(200).optional(),
  notifyUserIds: z.array(userId).max(50).optional(),
});

export const SetTakeovers = z.object({
  takeovers: z.array(userId).min(1).max(50),
  rule: z.enum(['one', 'round_robin', 'balance']).default('one'),
});

export const HandoverItem = z.object({
  type: z.enum(['customer', 'group']),
  id: z.string(),
  to: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  errcode: z.number().nullable(),
  /** Not sent before this (group transfers are spread over days by WeCom's daily cap). */
  scheduledFor: z.string().nullable(),
  takeoverAt: z.string().nullable(),
  finalAt: z.string().nullable(),
});

const PlanSummary = z.object({
  id: z.number(),
  kind: z.enum(['onjob', 'resigned']),
  status: z.string(),
  from: z.string(),
  takeovers: z.array(z.string()),
  rule: z.string(),
  automatic: z.boolean(),
  /** Why an automatic draft has no takeover (set one with PUT /api/handovers/:id/takeovers); null otherwise. */
  unassignedReason: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  confirmedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
});

export const HandoverView = PlanSummary.extend({ items: z.array(HandoverItem) });
export const HandoverList = z.object({ items: z.array(PlanSummary), nextBefore: z.number().nullable() });
export const HandoverListQuery = z.object({
  status: z.enum(['draft', 'confirmed', 'completed', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});
export const PlanIdParams = z.object({ id: z.coerce.number().int().positive() });

export const UnassignedQuery = z.object({ refresh: z.enum(['true', 'false']).optional() });
export const UnassignedList = z.object({
  items: z.array(z.object({ userId: z.string(), customers: z.number(), inOpenHandover: z.number(), dimissionAt: z.string().nullable() })),
});
export const PlanUnassigned = z.object({
  takeovers: z.array(userId).min(1).max(50),
  rule: z.enum(['one', 'round_robin', 'balance']).default('balance'),
  /** Also hand over the departed reps' groups. */
  includeGroups: z.boolean().default(true),
});
export const PlansCreated = z.object({ planIds: z.array(z.number()) });

export const AuditQuery = z.object({
  planId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().positive().optional(),
});
export const AuditList = z.object({
  items: z.array(z.object({ id: z.number(), planId: z.number().nullable(), actor: z.string(), action: z.string(), detail: z.unknown(), at: z.string() })),
  nextBefore: z.number().nullable(),
});
