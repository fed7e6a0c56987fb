import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/connection';
import type { Scope } from '../db/scope';
import { conflict } from '../lib/errors';
import { applyAutoTagRules } from './autoTags';
import { recomputeScores } from './scores';
import { recomputeStages } from './stages';
import { raiseWarnings, type WarningKind } from './warnings';

/** First key of the advisory lock naming "archive recompute" (the second is the corp). */
const RECOMPUTE_LOCK_ID = 727_100_002;

export interface RecomputeSummary {
  runId: string;
  at: string;
  customers: number;
  paying: number;
  /** Customers whose scores or tier moved in this run. */
  scoresChanged: number;
  stageChanges: number;
  warnings: Record<WarningKind, number>;
  autoTags: { rules: number; changes: number };
  /** Milliseconds per step and in all. */
  timings: { scores: number; stages: number; warnings: number; autoTags: number; total: number };
}

/**
 * The nightly recompute: scores → stages → warnings → auto-tags, in one
 * transaction under a transaction-level advisory lock, so two instances never
 * run it at once (the second gets `conflict`) and a failure leaves the
 * previous results whole. `now` is explicit so tests can move time. Always
 * over the scope's whole corp: scores rank a customer among all paying
 * customers, so a recompute is a corp setting (the route asks settings.edit;
 * the nightly job passes corpScope).
 */
export async function recomputeArchive(db: Db, scope: Scope, now: Date): Promise<RecomputeSummary> {
  const corpId = scope.corpId;
  const runId = randomUUID();
  const started = performance.now();
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ ok: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${RECOMPUTE_LOCK_ID}, hashtext(${corpId})) as ok`));
    if (!lock?.ok) throw conflict('an archive recompute is already running');
    let t = performance.now();
    const lap = () => {
      const n = performance.now();
      const ms = Math.round(n - t);
      t = n;
      return ms;
    };
    const scores = await recomputeScores(tx, corpId, now);
    const tScores = lap();
    const stages = await recomputeStages(tx, corpId, now, runId);
    const tStages = lap();
    const warnings = await raiseWarnings(tx, corpId, now, stages.rules);
    const tWarnings = lap();
    const autoTags = await applyAutoTagRules(tx, corpId, now);
    const tAutoTags = lap();
    // Fresh statistics before segments query what just moved (autovacuum would get there a minute or more later).
    if (scores.changed + stages.changed > 0) await tx.execute(sql`analyze customer_scores, customer_stages`);
    return {
      runId, at: now.toISOString(), customers: scores.customers, paying: scores.paying, scoresChanged: scores.changed, stageChanges: stages.changed, warnings, autoTags,
      timings: { scores: tScores, stages: tStages, warnings: tWarnings, autoTags: tAutoTags, total: Math.round(performance.now() - started) },
    };
  });
}
