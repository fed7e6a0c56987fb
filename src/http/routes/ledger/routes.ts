import type { Db } from '../../../db/connection';
import {
  getContact, getGroup, listAlerts, listContacts, listEmployees, listGroups, listTagGroups, relationStats,
} from '../../../ledger';
import { systemClock, type Clock } from '../../../lib/clock';
import { notFound } from '../../../lib/errors';
import { assertCan } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import {
  presentAlert, presentContactDetail, presentContactSummary, presentEmployee, presentGroupDetail, presentGroupSummary,
  presentRelationStats, presentTagTree,
} from '../../presenters/ledger';
import {
  AlertList, AlertListQuery, ContactDetail, ContactList, ContactListQuery, ContactParams, EmployeeList,
  EmployeeListQuery, encodeCursor, GroupDetail, GroupList, GroupListQuery, GroupParams, RelationStatsView,
  SyncJobParams, SyncJobView, SyncRequested, TagTree,
} from './schema';

/** What the routes need from the sync machinery (implemented by the ledger's sync). */
export interface SyncApi {
  /** Queues a full sync, or joins the one already pending. */
  requestFullSync(trigger: 'api'): Promise<{ jobId: number; created: boolean }>;
  getJob(jobId: number): Promise<SyncJobView | undefined>;
}

export interface LedgerRouteDeps {
  db: Db;
  /** The service's corp (reads do not use it: they go through the request's scope). */
  corpId: string;
  sync: SyncApi;
  /** Time source for windows such as "last 30 days" (system clock by default). */
  clock?: Clock;
}

const STATS_WINDOW_MS = 30 * 24 * 3600 * 1000;

/** The last key of a full page, encoded for the client; null when this page was the last one. */
const nextCursorOf = <T>(page: { rows: T[]; hasMore: boolean }, key: (row: T) => string): string | null => {
  const last = page.rows.at(-1);
  return page.hasMore && last ? encodeCursor(key(last)) : null;
};

export function ledgerRoutes(api: ApiRouter, d: LedgerRouteDeps): void {
  const clock = d.clock ?? systemClock;

  api.route({
    method: 'get',
    path: '/api/employees',
    summary: 'Employees with their number of active customers',
    tags: ['ledger'],
    query: EmployeeListQuery,
    response: EmployeeList,
    async handler({ query, scope }) {
      const rows = await listEmployees(d.db, scope, query);
      return { items: rows.map(presentEmployee) };
    },
  });

  api.route({
    method: 'get',
    path: '/api/contacts',
    summary: 'Customers with their owners and tags, keyset-paginated',
    tags: ['ledger'],
    query: ContactListQuery,
    response: ContactList,
    async handler({ query, scope }) {
      const { cursor, ...filter } = query;
      const page = await listContacts(d.db, scope, { ...filter, after: cursor });
      return { items: page.rows.map(presentContactSummary), nextCursor: nextCursorOf(page, (c) => c.externalUserId) };
    },
  });

  api.route({
    method: 'get',
    path: '/api/contacts/:externalUserId',
    summary: "A customer's profile, relations, relation history and groups",
    tags: ['ledger'],
    params: ContactParams,
    response: ContactDetail,
    async handler({ params, scope }) {
      const contact = await getContact(d.db, scope, params.externalUserId);
      if (!contact) throw notFound('contact');
      return presentContactDetail(contact);
    },
  });

  api.route({
    method: 'get',
    path: '/api/groups',
    summary: 'Customer groups with member counts, keyset-paginated',
    tags: ['ledger'],
    query: GroupListQuery,
    response: GroupList,
    async handler({ query, scope }) {
      const { cursor, ...filter } = query;
      const page = await listGroups(d.db, scope, { ...filter, after: cursor });
      return { items: page.rows.map(presentGroupSummary), nextCursor: nextCursorOf(page, (g) => g.chatId) };
    },
  });

  api.route({
    method: 'get',
    path: '/api/groups/:chatId',
    summary: 'A customer group with its members and history',
    tags: ['ledger'],
    params: GroupParams,
    response: GroupDetail,
    async handler({ params, scope }) {
      const group = await getGroup(d.db, scope, params.chatId);
      if (!group) throw notFound('group');
      return presentGroupDetail(group);
    },
  });

  api.route({
    method: 'get',
    path: '/api/tags',
    summary: 'Corp tag groups and tags with the number of customers carrying each',
    tags: ['ledger'],
    response: TagTree,
    async handler({ scope }) {
      return presentTagTree(await listTagGroups(d.db, scope));
    },
  });

  api.route({
    method: 'post',
    path: '/api/sync',
    summary: 'Start a full sync from WeCom (joins the pending one if any)',
    tags: ['ledger'],
    response: SyncRequested,
    status: 202,
    async handler({ actor }) {
      assertCan(actor, 'ops.run');
      const { jobId, created } = await d.sync.requestFullSync('api');
      return { jobId, created };
    },
  });

  api.route({
    method: 'get',
    path: '/api/sync/:jobId',
    summary: 'Progress of a sync job',
    tags: ['ledger'],
    params: SyncJobParams,
    response: SyncJobView,
    async handler({ params, actor }) {
      assertCan(actor, 'ops.run');
      const job = await d.sync.getJob(params.jobId);
      if (!job) throw notFound('sync job');
      return job;
    },
  });

  api.route({
    method: 'get',
    path: '/api/alerts',
    summary: 'Relationship alerts, newest first',
    tags: ['ledger'],
    query: AlertListQuery,
    response: AlertList,
    async handler({ query, scope }) {
      const rows = await listAlerts(d.db, scope, query);
      return { items: rows.map(presentAlert), nextBefore: rows.length === query.limit ? (rows.at(-1)?.id ?? null) : null };
    },
  });

  api.route({
    method: 'get',
    path: '/api/stats/relations',
    summary: 'Relations by status and removals over the last 30 days',
    tags: ['ledger'],
    response: RelationStatsView,
    async handler({ scope }) {
      const since = new Date(clock.now().getTime() - STATS_WINDOW_MS);
      return presentRelationStats(await relationStats(d.db, scope, since));
    },
  });
}
