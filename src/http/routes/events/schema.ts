import { z } from 'zod';

export const EventListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  status: z.enum(['pending', 'done', 'dead']).optional(),
  type: z.string().max(100).optional(),
  before: z.coerce.number().int().positive().optional(),
});

export const EventItem = z.object({
  id: z.number(),
  msgType: z.string(),
  event: z.string().nullable(),
  changeType: z.string().nullable(),
  status: z.string(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
});

export const EventList = z.object({ items: z.array(EventItem), nextBefore: z.number().nullable() });
export const EventIdParams = z.object({ id: z.coerce.number().int().positive() });
export const RetryResult = z.object({ id: z.number(), status: z.literal('pending') });
