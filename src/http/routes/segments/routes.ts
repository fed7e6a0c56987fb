import type { Db } from '../../../db/connection';
import type { Scope } from '../../../db/scope';
import type { Clock } from '../../../lib/clock';
import { notFound } from '../../../lib/errors';
import type { Config } from '../../../lib/config';
import {
  createSegment, deleteSegment, getSegment, listSegments, materialiseSegment, membersOf, previewSegment, updateSegment,
} from '../../../segments';
import type { WeComClient } from '../../../wecom/client';
import { assertCan } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import { presentSegment } from '../../presenters/segments';
import {
  CreateSegment, Deleted, MemberList, MembersQuery, PreviewBody, PreviewView, SegmentIdParams, SegmentList, SegmentView, UpdateSegment,
} from './schema';

export interface SegmentRoutesDeps {
  db: Db;
  corpId: string;
  /** The time the service decides by (the simulator's in demo mode). */
  clock: Clock;
  client: WeComClient;
  config: Config;
}

/**
 * Segments: preview, CRUD, materialise.
 * Scope: a segment is visible when its creator is in the caller's scope (else 404); previews, materialised
 * members and member pages count only customers in the caller's scope. Reps read; 'segment.edit' changes.
 */
export function segmentRoutes(api: ApiRouter, d: SegmentRoutesDeps): void {
  const load = async (scope: Scope, id: number) => {
    const s = await getSegment(d.db, scope, id);
    if (!s) throw notFound(`segment ${id}`);
    return s;
  };

  api.route({
    method: 'post', path: '/api/segments/preview', tags: ['segments'],
    summary: 'How many customers a rule matches now, with a sample (400 invalid_rule names the bad path, e.g. an unknown custom field)',
    body: PreviewBody, response: PreviewView,
    handler: ({ body, scope }) =>
      previewSegment(d.db, scope, body.rule, d.clock.now(), body.sampleSize, { includeDisconnected: body.includeDisconnected }),
  });

  api.route({
    method: 'post', path: '/api/segments', status: 201, tags: ['segments'], summary: 'Save a segment (name unique per corp: 409)',
    body: CreateSegment, response: SegmentView,
    async handler({ body, actor, scope }) {
      const who = assertCan(actor, 'segment.edit');
      return presentSegment(await createSegment(d.db, scope, body, who, d.clock.now()));
    },
  });

  api.route({
    method: 'get', path: '/api/segments', tags: ['segments'], summary: 'Saved segments, by name', response: SegmentList,
    handler: async ({ scope }) => ({ items: (await listSegments(d.db, scope)).map(presentSegment) }),
  });

  api.route({
    method: 'get', path: '/api/segments/:id', tags: ['segments'], summary: 'One saved segment', params: SegmentIdParams, response: SegmentView,
    handler: async ({ params, scope }) => presentSegment(await load(scope, params.id)),
  });

  api.route({
    method: 'put', path: '/api/segments/:id', tags: ['segments'], summary: 'Change a segment (name, description, rule)',
    params: SegmentIdParams, body: UpdateSegment, response: SegmentView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'segment.edit');
      return presentSegment(await updateSegment(d.db, scope, params.id, body, d.clock.now()));
    },
  });

  api.route({
    method: 'delete', path: '/api/segments/:id', tags: ['segments'], summary: 'Delete a segment and its materialised members',
    params: SegmentIdParams, response: Deleted,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'segment.edit');
      await deleteSegment(d.db, scope, params.id);
      return { deleted: true as const };
    },
  });

  api.route({
    method: 'post', path: '/api/segments/:id/materialise', tags: ['segments'],
    summary: 'Replace the stored members with who the rule matches now',
    params: SegmentIdParams, response: SegmentView,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'segment.edit');
      return presentSegment(await materialiseSegment(d.db, scope, params.id, d.clock.now()));
    },
  });

  api.route({
    method: 'get', path: '/api/segments/:id/members', tags: ['segments'], summary: 'Materialised members, paged by cursor',
    params: SegmentIdParams, query: MembersQuery, response: MemberList,
    async handler({ params, query, scope }) {
      await load(scope, params.id);
      const page = await membersOf(d.db, scope, params.id, query);
      return {
        items: page.items.map((m) => ({ externalUserId: m.externalUserId, name: m.name, materialisedAt: m.materialisedAt.toISOString() })),
        nextCursor: page.nextCursor,
      };
    },
  });
}
