import type { Db } from '../../../db/connection';
import type { Config } from '../../../lib/config';
import type { WeComClient } from '../../../wecom/client';
import type { ApiRouter } from '../../apiRouter';

export interface ArchiveRecordRoutesDeps {
  db: Db;
  corpId: string;
  client: WeComClient;
  config: Config;
}

/** Custom fields, follow-ups, complaints, orders, timeline. */
export function archiveRecordRoutes(_api: ApiRouter, _d: ArchiveRecordRoutesDeps): void {
  // filled in by the capability
}
