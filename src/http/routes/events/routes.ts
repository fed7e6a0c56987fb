import type { Db } from '../../../db/connection';
import { listEvents, retryDeadEvent } from '../../../events';
import { notFound } from '../../../lib/errors';
import { assertCan } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import { presentEvent } from '../../presenters/events';
import { EventIdParams, EventList, EventListQuery, RetryResult } from './schema';

export function eventRoutes(api: ApiRouter, d: { db: Db }): void {
  api.route({
    method: 'get',
    path: '/api/events',
    summary: 'Inbound WeCom events, newest first',
    tags: ['events'],
    query: EventListQuery,
    response: EventList,
    async handler({ query, actor, scope }) {
      assertCan(actor, 'ops.run');
      const rows = await listEvents(d.db, scope.corpId, query);
      const items = rows.map(presentEvent);
      return { items, nextBefore: rows.length === query.limit ? (rows.at(-1)?.id ?? null) : null };
    },
  });

  api.route({
    method: 'post',
    path: '/api/events/:id/retry',
    summary: 'Put a parked (dead) event back in the queue',
    tags: ['events'],
    params: EventIdParams,
    response: RetryResult,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'ops.run');
      if (!(await retryDeadEvent(d.db, scope.corpId, params.id))) throw notFound('dead event');
      return { id: params.id, status: 'pending' as const };
    },
  });
}
