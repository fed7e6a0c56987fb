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
import { assertCan, type Actor } from '../../../policy';
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
/** Whom a follow-up or complaint is recorded for: the named employee, else the caller's own employee (out of scope → 404 in the capability). */
const authorOf = (actor: Actor, named: string | undefined) => named ?? actor.userId ?? actor.id;

const nextBefore = <T extends { id: number }>(rows: T[], limit: number) => (rows.length === limit ? rows.at(-1)!.id : null);

/** Custom fields, follow-ups, complaints, orders, timeline. */
export function archiveRecordRoutes(api: ApiRouter, d: ArchiveRecordRoutesDeps): void {
  // ---------------------------------------------------------------- custom fields
  api.route({
    method: 'post', path: '/api/fields', status: 201, tags: ['archive'], summary: 'Define a custom field',
    body: DefineField, response: FieldView,
    async handler({ body, actor, scope }) {
      assertCan(actor, 'settings.edit');
      return presentField(await defineField(d.db, scope, body));
    },
  });
  api.route({
    method: 'get', path: '/api/fields', tags: ['archive'], summary: 'Custom field definitions (archived ones on request)',
    query: FieldListQuery, response: FieldList,
    handler: async ({ query, scope }) => ({ items: (await listFields(d.db, scope, { includeArchived: query.includeArchived === 'true' })).map(presentField) }),
  });
  api.route({
    method: 'post', path: '/api/fields/:id/archive', tags: ['archive'], summary: 'Archive a field: its values are kept but can no longer be set',
    params: IdParams, response: FieldView,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'settings.edit');
      return presentField(await archiveField(d.db, scope, params.id, d.clock.now()));
    },
  });
  api.route({
    method: 'put', path: '/api/contacts/:externalUserId/fields', tags: ['archive'],
    summary: "Set a customer's field values by key (null clears); all or nothing, every problem names its field",
    params: CustomerParams, body: SetFieldValues, response: FieldValues,
    async handler({ params, body, actor, scope }) {
      const by = assertCan(actor, 'record.write');
      const values = await d.db.transaction((tx) => setFieldValues(tx, scope, params.externalUserId, body, by));
      return { items: values.map(presentValue) };
    },
  });
  api.route({
    method: 'get', path: '/api/contacts/:externalUserId/fields', tags: ['archive'], summary: "A customer's field values",
    params: CustomerParams, response: FieldValues,
    handler: async ({ params, scope }) => ({ items: (await fieldValuesOf(d.db, scope, params.externalUserId)).map(presentValue) }),
  });

  // ---------------------------------------------------------------- follow-ups
  api.route({
    method: 'post', path: '/api/contacts/:externalUserId/follow-ups', status: 201, tags: ['archive'],
    summary: 'Record a follow-up; with nextFollowUpAt its rep gets a reminder when due. userId (default: the caller) must be a current employee in the caller\'s scope: 404 out of scope, 400 unknown_employee / employee_departed',
    params: CustomerParams, body: CreateFollowUp, response: FollowUpView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'record.write');
      const row = await addFollowUp(d.db, scope, {
        externalUserId: params.externalUserId, userId: authorOf(actor, body.userId), channel: body.channel, content: body.content,
        ...(body.at ? { at: new Date(body.at) } : {}),
        nextFollowUpAt: body.nextFollowUpAt ? new Date(body.nextFollowUpAt) : null,
      });
      return presentFollowUp(row);
    },
  });
  api.route({
    method: 'get', path: '/api/contacts/:externalUserId/follow-ups', tags: ['archive'], summary: "A customer's follow-ups, newest first",
    params: CustomerParams, query: PageQuery, response: FollowUpList,
    async handler({ params, query, scope }) {
      await assertCustomer(d.db, scope, params.externalUserId);
      const rows = await listFollowUps(d.db, scope, params.externalUserId, query);
      return { items: rows.map(presentFollowUp), nextBefore: nextBefore(rows, query.limit) };
    },
  });

  // ---------------------------------------------------------------- complaints
  api.route({
    method: 'post', path: '/api/contacts/:externalUserId/complaints', status: 201, tags: ['archive'], summary: 'Open a complaint',
    params: CustomerParams, body: CreateComplaint, response: ComplaintView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'record.write');
      return presentComplaint(await openComplaint(d.db, scope, {
        externalUserId: params.externalUserId, userId: authorOf(actor, body.userId), content: body.content,
        ...(body.openedAt ? { openedAt: new Date(body.openedAt) } : {}),
      }));
    },
  });
  api.route({
    method: 'post', path: '/api/complaints/:id/resolve', tags: ['archive'], summary: 'Resolve an open complaint (answers the time it took)',
    params: IdParams, body: ResolveComplaint, response: ComplaintView,
    async handler({ params, body, actor, scope }) {
      const by = assertCan(actor, 'record.write');
      return presentComplaint(await resolveComplaint(d.db, scope, params.id, { resolution: body.resolution, resolvedBy: by, now: d.clock.now() }));
    },
  });
  api.route({
    method: 'get', path: '/api/complaints/:id', tags: ['archive'], summary: 'One complaint',
    params: IdParams, response: ComplaintView,
    async handler({ params, scope }) {
      const c = await getComplaint(d.db, scope, params.id);
      if (!c) throw notFound(`complaint ${params.id}`);
      return presentComplaint(c);
    },
  });
  api.route({
    method: 'get', path: '/api/complaints', tags: ['archive'], summary: 'Complaints, newest first', query: ComplaintListQuery, response: ComplaintList,
    async handler({ query, scope }) {
      const rows = await listComplaints(d.db, scope, query);
      return { items: rows.map(presentComplaint), nextBefore: nextBefore(rows, query.limit) };
    },
  });

  // ---------------------------------------------------------------- orders
  api.route({
    method: 'post', path: '/api/orders', tags: ['archive'],
    summary: 'Import orders (≤5000): idempotent by externalOrderId; good rows are kept, bad ones (and, unless allowUnknown, those of unknown customers) reported by index',
    body: ImportOrdersBody, response: ImportSummary,
    async handler({ body, actor, scope }) {
      assertCan(actor, 'orders.write');
      const { orders, allowUnknown } = Array.isArray(body) ? { orders: body, allowUnknown: false } : body;
      return importOrders(d.db, scope, orders, 'api', { allowUnknown });
    },
  });

  // ---------------------------------------------------------------- timeline
  api.route({
    method: 'get', path: '/api/contacts/:externalUserId/timeline', tags: ['archive'],
    summary: "A customer's history across relations, handovers, follow-ups, complaints, orders, stages and interactions, newest first",
    params: CustomerParams, query: TimelineQuery, response: TimelineView,
    async handler({ params, query, scope }) {
      const t = await timelineOf(d.db, scope, params.externalUserId, query);
      return { items: t.entries.map((e) => ({ ...e, at: e.at.toISOString() })), nextCursor: t.nextCursor };
    },
  });
}
