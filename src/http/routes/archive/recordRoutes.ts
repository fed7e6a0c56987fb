import {
  addFollowUp, archiveField, assertCustomer, defineField, fieldValuesOf, getComplaint, importOrders, listComplaints, listFields,
  listFollowUps, openComplaint, resolveComplaint, setFieldValues, timeToResolveSeconds,
  type ComplaintRow, type FieldRow, type FieldValue, type FollowUpRow,
} from '../../../archive';
import type { Db } from '../../../db/connection';
import type { Config } from '../../../lib/config';
import type { Clock } from '../../../lib/clock';
import { notFound } from '../../../lib/errors';
import { timelineOf } from '../../../views/timeline';
import type { WeComClient } from '../../../wecom/client';
import type { ApiRouter } from '../../apiRouter';
import {
  ComplaintList, ComplaintListQuery, ComplaintView, CreateComplaint, CreateFollowUp, CustomerParams, DefineField, FieldList, FieldListQuery,
  FieldValues, FieldView, FollowUpList, FollowUpView, IdParams, ImportOrdersBody, ImportSummary, PageQuery, ResolveComplaint, SetFieldValues,
  TimelineQuery, TimelineView,
} from './recordSchema';

export interface ArchiveRecordRoutesDeps {
  db: Db;
  corpId: string;
  /** The time the service decides by (the simulator's in demo mode). */
  clock: Clock;
  client: WeComClient;
  config: Config;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

// Presenters list their fields explicitly.
const presentField = (f: FieldRow) => ({
  id: f.id, key: f.key, label: f.label, type: f.type, options: f.options, required: f.required, validation: f.validation,
  createdAt: f.createdAt.toISOString(), archivedAt: iso(f.archivedAt),
});
const presentValue = (v: FieldValue) => ({ ...v, updatedAt: v.updatedAt.toISOString() });
const presentFollowUp = (f: FollowUpRow) => ({
  id: f.id, externalUserId: f.externalUserId, userId: f.userId, at: f.at.toISOString(), channel: f.channel, content: f.content,
  nextFollowUpAt: iso(f.nextFollowUpAt), remindedAt: iso(f.remindedAt),
});
const presentComplaint = (c: ComplaintRow) => ({
  id: c.id, externalUserId: c.externalUserId, userId: c.userId, content: c.content, status: c.status, openedAt: c.openedAt.toISOString(),
  resolvedAt: iso(c.resolvedAt), resolvedBy: c.resolvedBy, resolution: c.resolution, timeToResolveSeconds: timeToResolveSeconds(c),
});
const nextBefore = <T extends { id: number }>(rows: T[], limit: number) => (rows.length === limit ? rows.at(-1)!.id : null);

/** Custom fields, follow-ups, complaints, orders, timeline. */
export function archiveRecordRoutes(api: ApiRouter, d: ArchiveRecordRoutesDeps): void {
  // ---------------------------------------------------------------- custom fields
  api.route({
    method: 'post', path: '/api/fields', status: 201, tags: ['archive'], summary: 'Define a custom field',
    body: DefineField, response: FieldView,
    handler: async ({ body }) => presentField(await defineField(d.db, d.corpId, body)),
  });
  api.route({
    method: 'get', path: '/api/fields', tags: ['archive'], summary: 'Custom field definitions (archived ones on request)',
    query: FieldListQuery, response: FieldList,
    handler: async ({ query }) => ({ items: (await listFields(d.db, d.corpId, { includeArchived: query.includeArchived === 'true' })).map(presentField) }),
  });
  api.route({
    method: 'post', path: '/api/fields/:id/archive', tags: ['archive'], summary: 'Archive a field: its values are kept but can no longer be set',
    params: IdParams, response: FieldView,
    handler: async ({ params }) => presentField(await archiveField(d.db, d.corpId, params.id, d.clock.now())),
  });
  api.route({
    method: 'put', path: '/api/contacts/:externalUserId/fields', tags: ['archive'],
    summary: "Set a customer's field values by key (null clears); all or nothing, every problem names its field",
    params: CustomerParams, body: SetFieldValues, response: FieldValues,
    async handler({ params, body, actor }) {
      const values = await d.db.transaction((tx) => setFieldValues(tx, d.corpId, params.externalUserId, body, actor.id));
      return { items: values.map(presentValue) };
    },
  });
  api.route({
    method: 'get', path: '/api/contacts/:externalUserId/fields', tags: ['archive'], summary: "A customer's field values",
    params: CustomerParams, response: FieldValues,
    handler: async ({ params }) => ({ items: (await fieldValuesOf(d.db, d.corpId, params.externalUserId)).map(presentValue) }),
  });

  // ---------------------------------------------------------------- follow-ups
  api.route({
    method: 'post', path: '/api/contacts/:externalUserId/follow-ups', status: 201, tags: ['archive'],
    summary: 'Record a follow-up; with nextFollowUpAt its rep gets a reminder when due. userId (default: the caller) must be a current employee: 400 unknown_employee / employee_departed',
    params: CustomerParams, body: CreateFollowUp, response: FollowUpView,
    async handler({ params, body, actor }) {
      const row = await addFollowUp(d.db, d.corpId, {
        externalUserId: params.externalUserId, userId: body.userId ?? actor.id, channel: body.channel, content: body.content,
        ...(body.at ? { at: new Date(body.at) } : {}),
        nextFollowUpAt: body.nextFollowUpAt ? new Date(body.nextFollowUpAt) : null,
      });
      return presentFollowUp(row);
    },
  });
  api.route({
    method: 'get', path: '/api/contacts/:externalUserId/follow-ups', tags: ['archive'], summary: "A customer's follow-ups, newest first",
    params: CustomerParams, query: PageQuery, response: FollowUpList,
    async handler({ params, query }) {
      await assertCustomer(d.db, d.corpId, params.externalUserId);
      const rows = await listFollowUps(d.db, d.corpId, params.externalUserId, query);
      return { items: rows.map(presentFollowUp), nextBefore: nextBefore(rows, query.limit) };
    },
  });

  // ---------------------------------------------------------------- complaints
  api.route({
    method: 'post', path: '/api/contacts/:externalUserId/complaints', status: 201, tags: ['archive'], summary: 'Open a complaint',
    params: CustomerParams, body: CreateComplaint, response: ComplaintView,
    async handler({ params, body, actor }) {
      return presentComplaint(await openComplaint(d.db, d.corpId, {
        externalUserId: params.externalUserId, userId: body.userId ?? actor.id, content: body.content,
        ...(body.openedAt ? { openedAt: new Date(body.openedAt) } : {}),
      }));
    },
  });
  api.route({
    method: 'post', path: '/api/complaints/:id/resolve', tags: ['archive'], summary: 'Resolve an open complaint (answers the time it took)',
    params: IdParams, body: ResolveComplaint, response: ComplaintView,
    async handler({ params, body, actor }) {
      return presentComplaint(await resolveComplaint(d.db, d.corpId, params.id, { resolution: body.resolution, resolvedBy: actor.id, now: d.clock.now() }));
    },
  });
  api.route({
    method: 'get', path: '/api/complaints/:id', tags: ['archive'], summary: 'One complaint',
    params: IdParams, response: ComplaintView,
    async handler({ params }) {
      const c = await getComplaint(d.db, d.corpId, params.id);
      if (!c) throw notFound(`complaint ${params.id}`);
      return presentComplaint(c);
    },
  });
  api.route({
    method: 'get', path: '/api/complaints', tags: ['archive'], summary: 'Complaints, newest first', query: ComplaintListQuery, response: ComplaintList,
    async handler({ query }) {
      const rows = await listComplaints(d.db, d.corpId, query);
      return { items: rows.map(presentComplaint), nextBefore: nextBefore(rows, query.limit) };
    },
  });

  // ---------------------------------------------------------------- orders
  api.route({
    method: 'post', path: '/api/orders', tags: ['archive'],
    summary: 'Import orders (≤5000): idempotent by externalOrderId; good rows are kept, bad ones (and, unless allowUnknown, those of unknown customers) reported by index',
    body: ImportOrdersBody, response: ImportSummary,
    async handler({ body }) {
      const { orders, allowUnknown } = Array.isArray(body) ? { orders: body, allowUnknown: false } : body;
      return importOrders(d.db, d.corpId, orders, 'api', { allowUnknown });
    },
  });

  // ---------------------------------------------------------------- timeline
  api.route({
    method: 'get', path: '/api/contacts/:externalUserId/timeline', tags: ['archive'],
    summary: "A customer's history across relations, handovers, follow-ups, complaints, orders, stages and interactions, newest first",
    params: CustomerParams, query: TimelineQuery, response: TimelineView,
    async handler({ params, query }) {
      const t = await timelineOf(d.db, d.corpId, params.externalUserId, query);
      return { items: t.entries.map((e) => ({ ...e, at: e.at.toISOString() })), nextCursor: t.nextCursor };
    },
  });
}
