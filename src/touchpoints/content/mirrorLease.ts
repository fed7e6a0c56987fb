import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { mirrorLease } from '../../db/workRow';

/** How long a WeCom call in flight owns its row (well above the client's timeout and retries). */
export const WECOM_LEASE_SECONDS = 120;
/** After an unclear failure, how long until anyone sends the idempotent call again. */
export const RETRY_AFTER_SECONDS = 30;

/**
 * Owner of the leases the content routes take for their synchronous WeCom
 * calls: one per process, as a worker's id is one per worker, so recovery
 * elsewhere can tell a route's call in flight from its own.
 */
export const ROUTES_LEASE_OWNER = `content-routes-${randomUUID().slice(0, 8)}`;

/** Channels owing WeCom add/update/del_contact_way. */
export const channelMirror = mirrorLease({
  name: 'channel_mirror',
  table: 'channels',
  owed: sql`status in ('creating', 'deleting') or (status = 'active' and version > wecom_synced_version)`,
});

/** Group welcome templates owing WeCom an add, edit or del. */
export const groupWelcomeMirror = mirrorLease({
  name: 'group_welcome_mirror',
  table: 'templates',
  owed: sql`wecom_status in ('adding', 'editing', 'deleting')`,
});
