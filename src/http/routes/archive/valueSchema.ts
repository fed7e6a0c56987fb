import { z } from 'zod';
import { StageRules, WARNING_KINDS } from '../../../archive';

const stage = z.enum(['new', 'growing', 'mature', 'dormant', 'churned']);
const tier = z.enum(['key', 'growth', 'regular', 'low', 'none']);

export const RecomputeView = z.object({
  runId: z.string(),
  at: z.string(),
  customers: z.number(),
  paying: z.number(),
  scoresChanged: z.number(),
  stageChanges: z.number(),
  warnings: z.object({ entered_dormant: z.number(), key_account_decline: z.number(), removed_rep: z.number() }),
  autoTags: z.object({ rules: z.number(), changes: z.number() }),
  timings: z.object({ scores: z.number(), stages: z.number(), warnings: z.number(), autoTags: z.number(), total: z.number() }),
});

export const CustomerParams = z.object({ externalUserId: z.string().min(1).max(128) });
export const ScoreView = z.object({
  externalUserId: z.string(),
  /** Days since the last paid order, as of the request. */
  recencyDays: z.number().nullable(),
  lastOrderAt: z.string().nullable(),
  frequency: z.number(),
  monetary: z.string(),
  r: z.number().nullable(),
  f: z.number().nullable(),
  m: z.number().nullable(),
  tier,
  /** When these scores last changed (a recompute that changes nothing leaves it). */
  changedAt: z.string(),
  stage: stage.nullable(),
  stageSince: z.string().nullable(),
});

export const Funnel = z.object({ stages: z.array(z.object({ stage, customers: z.number() })) });
export { StageRules };

export const WarningQuery = z.object({
  kind: z.enum(WARNING_KINDS as [string, ...string[]]).optional(),
  tier: tier.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().positive().optional(),
});
export const WarningList = z.object({
  items: z.array(
    z.object({
      id: z.number(),
      externalUserId: z.string(),
      name: z.string().nullable(),
      userId: z.string().nullable(),
      kind: z.string(),
      tier: z.string().nullable(),
      stage: z.string().nullable(),
      detail: z.unknown(),
      createdAt: z.string(),
      digestSentAt: z.string().nullable(),
    }),
  ),
  nextBefore: z.number().nullable(),
});

export const WarningParams = z.object({ id: z.coerce.number().int().positive() });
export const ResolveWarningBody = z.object({ resolution: z.string().max(500).nullable().optional() }).default({});
export const ResolvedWarning = z.object({ id: z.number(), resolvedAt: z.string(), resolvedBy: z.string(), resolution: z.string().nullable() });

export const CreateAutoTagRule = z.object({
  name: z.string().min(1).max(200),
  /** A segment rule; validated by the segment rule parser (errors name the path). */
  rule: z.unknown(),
  tagId: z.string().min(1).max(128),
  action: z.enum(['add', 'remove']),
  enabled: z.boolean().optional(),
});
export const AutoTagRuleView = z.object({
  id: z.number(),
  name: z.string(),
  rule: z.unknown(),
  tagId: z.string(),
  action: z.enum(['add', 'remove']),
  enabled: z.boolean(),
  createdAt: z.string(),
});
export const AutoTagRuleList = z.object({ items: z.array(AutoTagRuleView) });
export const RuleIdParams = z.object({ id: z.coerce.number().int().positive() });
export const Deleted = z.object({ deleted: z.literal(true) });
