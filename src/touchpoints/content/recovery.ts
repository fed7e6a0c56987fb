import type { Db } from '../../db/connection';
import type { WeComClient } from '../../wecom/client';
import { recoverChannels } from './channels';
import { recoverGroupWelcomes } from './groupWelcome';
import { settleStaleWelcomes, warmWelcomeMedia } from './welcome';

/**
 * One pass over what crashes and unclear failures left owed to WeCom:
 * channels being created, updated or deleted; group welcome mirrors; welcome
 * sends left without an outcome. It also keeps welcome media uploaded (a
 * WelcomeCode's 20 s should not wait on an upload). Each step works only on rows whose lease has
 * passed, so instances may run it side by side; `owner` (the worker's id) holds
 * the leases it takes. Returns rows handled.
 */
export async function recoverContent(db: Db, client: WeComClient, corpId: string, now: Date, owner: string): Promise<number> {
  const channels = await recoverChannels(db, client, corpId, now, owner);
  const templates = await recoverGroupWelcomes(db, client, corpId, now, owner);
  await settleStaleWelcomes(db, corpId, now);
  await warmWelcomeMedia(db, client, corpId, now);
  return channels + templates;
}
