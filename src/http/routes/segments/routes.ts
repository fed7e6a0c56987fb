import type { Db } from '../../../db/connection';
import type { Config } from '../../../lib/config';
import type { WeComClient } from '../../../wecom/client';
import type { ApiRouter } from '../../apiRouter';

export interface SegmentRoutesDeps {
  db: Db;
  corpId: string;
  client: WeComClient;
  config: Config;
}

/** Segments: preview, CRUD, materialise. */
export function segmentRoutes(_api: ApiRouter, _d: SegmentRoutesDeps): void {
  // filled in by the capability
}
