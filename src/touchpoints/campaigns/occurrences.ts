import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/connection';
import { specOf } from './definition';
import { decideOccurrences, hasOccurrenceAfter, occurrencesBetween } from './schedule';
import type { CampaignSettings } from './settings';
import { campaignRuns, campaigns } from './schema';

/**
 * The scheduler tick: every active campaign's occurrences since its cursor
 * become runs, keyed by (campaign, scheduled time), so however many instances
 * tick at once each occurrence exists once. After downtime the latest
 * occurrence inside the grace window is caught up; the others are recorded as
 * missed (see decideOccurrences). A campaign with no occurrence left is
 * completed. Returns the runs created.
 */
export async function materialiseOccurrences(db: Db, corpId: string, now: Date, s: CampaignSettings): Promise<number> {
  const active = await db.select().from(campaigns).where(and(eq(campaigns.corpId, corpId), eq(campaigns.status, 'active')));
  let created = 0;
  for (const c of active) {
    const spec = specOf(c);
    if (!spec) continue;
    const from = c.plannedThrough ?? c.activatedAt ?? now;
    if (from.getTime() >= now.getTime()) continue;
    const fates = decideOccurrences(occurrencesBetween(spec, from, now), now, s.graceMs);
    const done = !hasOccurrenceAfter(spec, now);
    created += await db.transaction(async (tx) => {
      // The cursor moves only from where we read it: a scheduler that got here first makes this a no-op.
      const moved = await tx.update(campaigns)
        .set({ plannedThrough: now, ...(done ? { status: 'completed' as const, finishedAt: now } : {}) })
        .where(and(eq(campaigns.corpId, corpId), eq(campaigns.id, c.id), eq(campaigns.status, 'active'), c.plannedThrough
          // JS dates carry milliseconds; a cursor written by SQL may carry microseconds.
          ? sql`date_trunc('milliseconds', ${campaigns.plannedThrough}) = ${c.plannedThrough.toISOString()}::timestamptz`
          : isNull(campaigns.plannedThrough)))
        .returning({ id: campaigns.id });
      if (moved.length === 0 || fates.length === 0) return 0;
      const rows = await tx.insert(campaignRuns).values(fates.map((f) => ({
        corpId, campaignId: c.id, scheduledAt: f.at, availableAt: f.at, status: f.status,
        ...(f.status === 'missed' ? { reason: f.reason, completedAt: now } : {}),
      }))).onConflictDoNothing({ target: [campaignRuns.campaignId, campaignRuns.scheduledAt] }).returning({ id: campaignRuns.id });
      return rows.length;
    });
  }
  return created;
}
