import type { Db } from '../../../db/connection';
import type { Config } from '../../../lib/config';
import type { WeComClient } from '../../../wecom/client';
import type { ApiRouter } from '../../apiRouter';

export interface ArchiveValueRoutesDeps {
  db: Db;
  corpId: string;
  client: WeComClient;
  config: Config;
}

/** RFM scores, stages, warnings, auto-tag rules. */
export function archiveValueRoutes(_api: ApiRouter, _d: ArchiveValueRoutesDeps): void {
  // filled in by the capability
}
