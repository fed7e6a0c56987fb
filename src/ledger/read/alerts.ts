import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
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

export async function listAlerts(ex: Executor, corpId: string, f: AlertFilter): Promise<AlertRow[]> {
  const conds: SQL[] = [eq(alerts.corpId, corpId)];
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
