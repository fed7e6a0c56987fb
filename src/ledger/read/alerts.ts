import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { alerts } from '../schema';

export interface AlertFilter {
  kind?: string;
  userId?: string;
  /** Id cursor: only alerts older than this. */
  before?: number;
  limit: number;
}

export interface AlertRow {
  id: number;
  kind: string;
  userId: string;
  externalUserId: string | null;
  recipients: string[];
  createdAt: Date;
  detail: unknown;
}

/** Alerts about relations and employees in the scope (the alert's employee is one of the scope's), newest first. */
export async function listAlerts(ex: Executor, scope: Scope, f: AlertFilter): Promise<AlertRow[]> {
  const conds: SQL[] = [eq(alerts.corpId, scope.corpId), scope.employee(sql`${alerts.userId}`)];
  if (f.kind) conds.push(eq(alerts.kind, f.kind));
  if (f.userId !== undefined) conds.push(eq(alerts.userId, f.userId));
  if (f.before !== undefined) conds.push(lt(alerts.id, f.before));
  return ex
    .select({
      id: alerts.id, kind: alerts.kind, userId: alerts.userId, externalUserId: alerts.externalUserId,
      recipients: alerts.recipients, createdAt: alerts.createdAt, detail: alerts.detail,
    })
    .from(alerts)
    .where(and(...conds))
    .orderBy(desc(alerts.id))
    .limit(f.limit);
}
