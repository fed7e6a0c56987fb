import { TAG_CHANGES_TABLE } from '../archive';
import { workQueue } from '../db/workRow';
import { EVENTS_TABLE } from '../events';
import { handoverQueue } from '../handover';
import { SYNC_JOBS_TABLE } from '../ledger';
import { APP_MESSAGES_TABLE } from '../notify';
import { campaignDispatchQueue, campaignResultsQueue, campaignRunsQueue } from '../touchpoints/campaigns';
import { channelMirror, groupWelcomeMirror } from '../touchpoints/content';

export const eventQueue = workQueue({ name: 'events', table: EVENTS_TABLE });
export const syncQueue = workQueue({ name: 'sync', table: SYNC_JOBS_TABLE });
export const appMessageQueue = workQueue({ name: 'app_messages', table: APP_MESSAGES_TABLE });
export const tagChangeQueue = workQueue({ name: 'tag_changes', table: TAG_CHANGES_TABLE });

/** Every queue of work rows, and the entity rows owing WeCom a mirror call, for /metrics (lifelong_work_rows). */
export const workQueues = [
  eventQueue, syncQueue, appMessageQueue, tagChangeQueue, handoverQueue, campaignRunsQueue, campaignDispatchQueue, campaignResultsQueue,
  channelMirror, groupWelcomeMirror,
];
