import type { Executor } from '../../db/connection';
import { enqueueAppMessage, type AppText } from '../../notify';
import { alerts } from '../schema';
import { leadersOf } from './directory';

export type AlertKind = 'rep_deleted_customer' | 'customer_deleted_rep' | 'employee_departed';

/**
 * Raises an alert once per cause (`sourceKey`), and queues the app message to
 * the employee's department leaders in the same transaction.
 */
export async function raiseAlert(
  ex: Executor,
  corpId: string,
  a: { kind: AlertKind; userId: string; externalUserId?: string; sourceKey: string; detail?: Record<string, unknown>; message?: AppText },
): Promise<boolean> {
  const recipients = a.message ? await leadersOf(ex, corpId, a.userId) : [];
  const rows = await ex
    .insert(alerts)
    .values({
      corpId, kind: a.kind, userId: a.userId, externalUserId: a.externalUserId ?? null, recipients,
      sourceKey: a.sourceKey, detail: a.detail ?? null,
    })
    .onConflictDoNothing()
    .returning({ id: alerts.id });
  const alert = rows[0];
  if (!alert) return false;
  if (a.message && recipients.length) {
    await enqueueAppMessage(ex, corpId, { toUserIds: recipients, content: a.message, purpose: 'alert', sourceKey: `alert:${alert.id}` });
  }
  return true;
}
