import type { Executor } from '../db/connection';
import type { AppText } from './messages';
import { appMessages } from './schema';

export { appMessages } from './schema';
export { appTexts, APP_TEXT_MAX_BYTES, type AppText, type AppTexts, type Locale, type UnassignedCause, type CampaignSuggestion } from './messages';
export const APP_MESSAGES_TABLE = 'app_messages';

/**
 * Queues an app message to employees in the caller's transaction, once per
 * `sourceKey`: the cause and its message commit together, and the
 * app-message worker sends it afterwards (outbox), recording the outcome.
 * The text comes from the catalogue (messages.ts), in the configured LOCALE.
 */
export async function enqueueAppMessage(
  ex: Executor,
  corpId: string,
  m: { toUserIds: string[]; content: AppText; purpose: string; sourceKey: string; detail?: unknown },
): Promise<boolean> {
  const to = [...new Set(m.toUserIds)].filter(Boolean);
  if (to.length === 0) return false;
  const rows = await ex
    .insert(appMessages)
    .values({ corpId, toUserIds: to, content: m.content, purpose: m.purpose, sourceKey: m.sourceKey, detail: m.detail ?? null })
    .onConflictDoNothing()
    .returning({ id: appMessages.id });
  return rows.length === 1;
}
