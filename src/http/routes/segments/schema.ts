import { z } from 'zod';

/**
 * The rule's grammar is validated by the segments capability (parseRule),
 * which names the bad path; here it is any JSON object. Not z.unknown():
 * zod-to-openapi marks a property optional when its schema accepts
 * `undefined`, which z.unknown() does, while zod's object still requires the
 * key, so the document said optional what the server refused.
 */
const Rule = z
  .record(z.string(), z.unknown())
  .describe(
    'A segment rule: { all: [...] } | { any: [...] } | { not: rule } or one condition (tag, stage, tier, score, field, owner, department, channel, inGroup, lastOrder, lastInteraction, added, orderCount, totalSpend). The root may carry includeDisconnected: true.',
  );

export const PreviewBody = z.object({
  rule: Rule,
  sampleSize: z.number().int().min(0).max(100).default(10),
  /** Also count customers with no active relation. */
  includeDisconnected: z.boolean().default(false),
});
export const PreviewView = z.object({
  count: z.number(),
  sample: z.array(z.object({ externalUserId: z.string(), name: z.string() })),
});

const name = z.string().trim().min(1).max(100);
const description = z.string().max(1000).nullable();

export const CreateSegment = z.object({ name, description: description.optional(), rule: Rule });
export const UpdateSegment = z
  .object({ name: name.optional(), description: description.optional(), rule: Rule.optional() })
  .refine((b) => b.name !== undefined || b.description !== undefined || b.rule !== undefined, 'nothing to update');

export const SegmentView = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string().nullable(),
  rule: z.unknown(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  materialisedAt: z.string().nullable(),
  memberCount: z.number().nullable(),
});
export const SegmentList = z.object({ items: z.array(SegmentView) });
export const SegmentIdParams = z.object({ id: z.coerce.number().int().positive() });
export const Deleted = z.object({ deleted: z.literal(true) });

export const MembersQuery = z.object({
  cursor: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const MemberList = z.object({
  items: z.array(z.object({ externalUserId: z.string(), name: z.string(), materialisedAt: z.string() })),
  nextCursor: z.string().nullable(),
});
