import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/db/connection';
import { createApp } from '../../src/http/app';
import { ledgerRoutes, type SyncApi } from '../../src/http/routes/ledger/routes';
import type { SyncJobView } from '../../src/http/routes/ledger/schema';
import { systemClock } from '../../src/lib/clock';
import { createLogger } from '../../src/lib/logger';
import {
  alerts, customerGroups, employees, externalContacts, groupHistory, groupMembers, relationHistory, relations,
  relationTags, tagGroups, tags, type RelationStatus,
} from '../../src/ledger/schema';
import { getTestDb } from '../helpers/db';
import { auth, freshCorpId, getJson, testConfig } from '../helpers/service';

let database: Awaited<ReturnType<typeof getTestDb>>;
let db: Db;
beforeAll(async () => {
  database = await getTestDb();
  db = database.db;
});
afterAll(async () => {
  await database.close();
});

// ---------------------------------------------------------------- the API under test, per corp

const JOB: SyncJobView = {
  id: 7, status: 'running', phase: 'contacts', progress: { done: 3, total: 10 }, counts: { contacts: 3 },
  warnings: [{ phase: 'groups', api: 'groupchat/list', errcode: 48002, message: 'api forbidden' }],
  startedAt: '2024-05-01T00:00:00.000Z', finishedAt: null, createdAt: '2024-05-01T00:00:00.000Z',
};

/** A stub of the lead's sync: records requests, knows one job. */
function stubSync(): SyncApi & { requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    async requestFullSync(trigger) {
      requests.push(trigger);
      return { jobId: JOB.id, created: requests.length === 1 };
    },
    async getJob(jobId) {
      return jobId === JOB.id ? JOB : undefined;
    },
  };
}

interface Api {
  url: string;
  corpId: string;
  sync: ReturnType<typeof stubSync>;
  get<T = any>(path: string): Promise<{ status: number; body: T; text: string }>;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  })));
});

/** The app with the ledger routes mounted for a fresh corp, on port 0. */
async function serve(corpId = freshCorpId()): Promise<Api> {
  const config = testConfig({ WECOM_CORP_ID: corpId });
  const sync = stubSync();
  const app = createApp({
    config, db, ping: () => database.ping(), log: createLogger('silent'), clock: systemClock, onEventStored: () => undefined,
    routes: [(api) => ledgerRoutes(api, { db, corpId, sync })],
  });
  const server = http.createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, corpId, sync,
    async get(path) {
      const res = await fetch(url + path, { headers: auth });
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text), text };
    },
  };
}

// ---------------------------------------------------------------- factories

const PHONE = '13800138000';
const daysAgo = (n: number) => new Date(Date.now() - n * 24 * 3600 * 1000);

async function employee(corpId: string, userId: string, o: Partial<typeof employees.$inferInsert> = {}) {
  await db.insert(employees).values({ corpId, userId, name: `Rep ${userId}`, departmentIds: [1], ...o });
}

async function contact(corpId: string, externalUserId: string, o: Partial<typeof externalContacts.$inferInsert> = {}) {
  await db.insert(externalContacts).values({ corpId, externalUserId, name: `Customer ${externalUserId}`, type: 1, ...o });
}

/** A relation, with remark_mobiles always set: it must never come out of the API. */
async function relation(
  corpId: string, userId: string, externalUserId: string, status: RelationStatus = 'active',
  o: Partial<typeof relations.$inferInsert> = {},
): Promise<number> {
  const [row] = await db
    .insert(relations)
    .values({ corpId, userId, externalUserId, status, remarkMobiles: [PHONE], remark: `r-${userId}`, ...o })
    .returning({ id: relations.id });
  return row!.id;
}

async function tagGroup(corpId: string, groupId: string, sortOrder: number, o: Partial<typeof tagGroups.$inferInsert> = {}) {
  await db.insert(tagGroups).values({ corpId, groupId, name: `Group ${groupId}`, sortOrder, ...o });
}

async function tag(corpId: string, tagId: string, groupId: string, sortOrder: number, o: Partial<typeof tags.$inferInsert> = {}) {
  await db.insert(tags).values({ corpId, tagId, groupId, name: `Tag ${tagId}`, sortOrder, ...o });
}

async function tagRelation(corpId: string, relationId: number, ...tagIds: string[]) {
  await db.insert(relationTags).values(tagIds.map((tagId) => ({ corpId, relationId, tagId })));
}

async function history(corpId: string, relationId: number, userId: string, externalUserId: string, change: string, o: Partial<typeof relationHistory.$inferInsert> = {}) {
  await db.insert(relationHistory).values({ corpId, relationId, userId, externalUserId, change, cause: 'callback', ...o });
}

async function group(corpId: string, chatId: string, o: Partial<typeof customerGroups.$inferInsert> = {}) {
  await db.insert(customerGroups).values({ corpId, chatId, name: `Chat ${chatId}`, ownerUserId: 'rep1', ...o });
}

async function member(corpId: string, chatId: string, memberId: string, type: 1 | 2, o: Partial<typeof groupMembers.$inferInsert> = {}) {
  await db.insert(groupMembers).values({ corpId, chatId, memberId, type, ...o });
}

async function alert(corpId: string, kind: string, userId: string, o: Partial<typeof alerts.$inferInsert> = {}): Promise<number> {
  const [row] = await db
    .insert(alerts)
    .values({ corpId, kind, userId, sourceKey: `${kind}:${Math.random()}`, ...o })
    .returning({ id: alerts.id });
  return row!.id;
}

const ids = (body: { items: Array<{ externalUserId: string }> }) => body.items.map((i) => i.externalUserId);

// ---------------------------------------------------------------- employees

describe('GET /api/employees', () => {
  it('counts only active relations and filters by status, department and q', async () => {
    const api = await serve();
    const c = api.corpId;
    await employee(c, 'rep2', { name: 'Zhang Wei', departmentIds: [2, 3] });
    await employee(c, 'rep1', { name: 'Li Na' });
    await employee(c, 'rep3', { name: 'Gone Guy', status: 'departed' });
    for (const [ext, status] of [['wm1', 'active'], ['wm2', 'active'], ['wm3', 'removed_by_rep'], ['wm4', 'removed_by_customer'], ['wm5', 'transferred']] as const) {
      await contact(c, ext);
      await relation(c, 'rep1', ext, status);
    }
    await relation(c, 'rep2', 'wm1', 'active');
    await relation(c, 'rep3', 'wm2', 'awaiting_handover');
    // Another corp's relations never count.
    const other = freshCorpId();
    await employee(other, 'rep1');
    await relation(other, 'rep1', 'wm9', 'active');

    const { status, body, text } = await api.get('/api/employees');
    expect(status).toBe(200);
    expect(body.items).toEqual([
      { userId: 'rep1', name: 'Li Na', departmentIds: [1], status: 'active', customerCount: 2 },
      { userId: 'rep2', name: 'Zhang Wei', departmentIds: [2, 3], status: 'active', customerCount: 1 },
      { userId: 'rep3', name: 'Gone Guy', departmentIds: [1], status: 'departed', customerCount: 0 },
    ]);
    expect(text).not.toContain(PHONE);

    expect((await api.get('/api/employees?status=departed')).body.items.map((e: any) => e.userId)).toEqual(['rep3']);
    expect((await api.get('/api/employees?department=3')).body.items.map((e: any) => e.userId)).toEqual(['rep2']);
    expect((await api.get('/api/employees?q=WEI')).body.items.map((e: any) => e.userId)).toEqual(['rep2']);
    expect((await api.get('/api/employees?q=%25')).body.items).toEqual([]);
    expect((await api.get('/api/employees?status=fired')).status).toBe(400);
  });
});

// ---------------------------------------------------------------- contacts

describe('GET /api/contacts', () => {
  it('lists customers with every owner and their distinct live tags', async () => {
    const api = await serve();
    const c = api.corpId;
    await tagGroup(c, 'g1', 5);
    await tag(c, 't-vip', 'g1', 10);
    await tag(c, 't-new', 'g1', 1);
    await tag(c, 't-old', 'g1', 3, { deletedAt: new Date() });
    await contact(c, 'wm1', { name: 'Alice', corpName: 'ACME' });
    const r1 = await relation(c, 'rep1', 'wm1', 'active', { addedAt: new Date('2024-01-02T03:04:05Z'), state: 'qr-expo' });
    const r2 = await relation(c, 'rep2', 'wm1', 'removed_by_customer', { addedAt: null });
    await tagRelation(c, r1, 't-vip', 't-new', 't-old');
    await tagRelation(c, r2, 't-vip');

    const { status, body, text } = await api.get('/api/contacts');
    expect(status).toBe(200);
    expect(body).toEqual({
      items: [{
        externalUserId: 'wm1', name: 'Alice', type: 1, corpName: 'ACME', connected: true,
        owners: [
          { userId: 'rep1', status: 'active', createdAt: '2024-01-02T03:04:05.000Z', remark: 'r-rep1', state: 'qr-expo' },
          { userId: 'rep2', status: 'removed_by_customer', createdAt: null, remark: 'r-rep2', state: null },
        ],
        tags: [
          { tagId: 't-vip', name: 'Tag t-vip', groupName: 'Group g1' },
          { tagId: 't-new', name: 'Tag t-new', groupName: 'Group g1' },
        ],
      }],
      nextCursor: null,
    });
    expect(text).not.toContain(PHONE);
    expect(text).not.toMatch(/mobile/i);
  });

  it('filters by owner, status (of that owner, or of any relation) and tag', async () => {
    const api = await serve();
    const c = api.corpId;
    await tagGroup(c, 'g', 0);
    await tag(c, 'vip', 'g', 0);
    for (const id of ['wmA', 'wmB', 'wmC', 'wmD']) await contact(c, id);
    const a1 = await relation(c, 'rep1', 'wmA', 'active');
    await relation(c, 'rep2', 'wmA', 'removed_by_rep');
    await relation(c, 'rep1', 'wmB', 'removed_by_customer');
    const c2 = await relation(c, 'rep2', 'wmC', 'active');
    // wmD has no relation at all.
    await tagRelation(c, a1, 'vip');
    await tagRelation(c, c2, 'vip');
    // Another corp with the same ids must not leak in.
    const other = freshCorpId();
    await contact(other, 'wmA');
    await contact(other, 'wmZ');
    await relation(other, 'rep1', 'wmZ', 'active');

    const q = async (qs: string) => ids((await api.get(`/api/contacts?${qs}`)).body);
    expect(await q('')).toEqual(['wmA', 'wmB', 'wmC', 'wmD']);
    expect(await q('owner=rep1')).toEqual(['wmA', 'wmB']);
    expect(await q('owner=rep2')).toEqual(['wmA', 'wmC']);
    expect(await q('owner=rep1&status=active')).toEqual(['wmA']);
    expect(await q('owner=rep2&status=removed_by_rep')).toEqual(['wmA']);
    expect(await q('owner=rep1&status=removed_by_rep')).toEqual([]);
    expect(await q('status=removed_by_rep')).toEqual(['wmA']);
    expect(await q('status=active')).toEqual(['wmA', 'wmC']);
    expect(await q('tag=vip')).toEqual(['wmA', 'wmC']);
    expect(await q('tag=vip&owner=rep2')).toEqual(['wmC']); // rep2's relation with wmA carries no tag
    expect(await q('tag=nope')).toEqual([]);
    expect(await q('owner=nobody')).toEqual([]);
    expect((await api.get('/api/contacts?status=deleted')).status).toBe(400);
  });

  it('q is a case-insensitive substring; LIKE wildcards and quotes match only themselves', async () => {
    const api = await serve();
    const c = api.corpId;
    const names: Record<string, string> = {
      wm1: 'Alice 100% Real', wm2: "O'Brien", wm3: 'Bob_Smith', wm4: 'BobXSmith', wm5: 'alice lower', wm6: 'back\\slash',
      wm7: "x' or 1=1 -- not quite",
    };
    for (const [id, name] of Object.entries(names)) await contact(c, id, { name });
    const q = async (text: string) => ids((await api.get(`/api/contacts?q=${encodeURIComponent(text)}`)).body);

    expect(await q('ALICE')).toEqual(['wm1', 'wm5']);
    expect(await q('100%')).toEqual(['wm1']);
    expect(await q('%')).toEqual(['wm1']);
    expect(await q('_')).toEqual(['wm3']);
    expect(await q('b_s')).toEqual(['wm3']);
    expect(await q("o'b")).toEqual(['wm2']);
    expect(await q('\\')).toEqual(['wm6']);
    expect(await q("x' or 1=1 --")).toEqual(['wm7']); // only the customer literally named so
    expect(await q("zz' or 1=1 --")).toEqual([]);
    expect(await q("'; drop table external_contacts; --")).toEqual([]);
    expect(await q('')).toHaveLength(7); // the table is still there
  });

  it('keyset paging visits every contact exactly once, filters included', async () => {
    const api = await serve();
    const c = api.corpId;
    const all: string[] = [];
    for (let i = 0; i < 23; i++) {
      const id = `wm${String(i).padStart(3, '0')}`;
      all.push(id);
      await contact(c, id);
      await relation(c, i % 2 ? 'rep1' : 'rep2', id);
    }
    const walk = async (qs: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const path: string = `/api/contacts?limit=5${qs}${cursor ? `&cursor=${cursor}` : ''}`;
        const { status, body } = await api.get(path);
        expect(status).toBe(200);
        expect(body.items.length).toBeLessThanOrEqual(5);
        seen.push(...ids(body));
        cursor = body.nextCursor;
        if (++pages > 20) throw new Error('paging does not end');
      } while (cursor);
      return seen;
    };
    expect(await walk('')).toEqual(all);
    expect(await walk('&owner=rep1')).toEqual(all.filter((_, i) => i % 2));
    // A page exactly as long as what is left: no cursor to an empty page.
    const { body } = await api.get('/api/contacts?limit=23');
    expect(body.items).toHaveLength(23);
    expect(body.nextCursor).toBeNull();
  });

  it('rejects a bad limit or a forged cursor with 400 and the error shape', async () => {
    const api = await serve();
    for (const qs of ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'cursor=%25%25%25', 'cursor=not+base64!', 'cursor=']) {
      const { status, body } = await api.get(`/api/contacts?${qs}`);
      expect({ qs, status }).toEqual({ qs, status: 400 });
      expect(body).toEqual({ error: { code: 'validation_failed', message: expect.any(String), details: expect.any(Array) } });
    }
    expect((await api.get('/api/contacts?limit=200')).status).toBe(200);
  });
});

describe('GET /api/contacts/:externalUserId', () => {
  it('returns profile, relations with tags, history newest first and groups; no phone numbers', async () => {
    const api = await serve();
    const c = api.corpId;
    await tagGroup(c, 'g', 0);
    await tag(c, 'vip', 'g', 0);
    await contact(c, 'wmX', { name: 'Xu', gender: 2, corpFullName: 'Xu Holdings Ltd', position: 'CEO', firstSeenAt: new Date('2023-01-01T00:00:00Z') });
    const r1 = await relation(c, 'rep1', 'wmX', 'active', { addWay: 1, operUserId: 'rep1', addedAt: new Date('2023-01-01T00:00:00Z'), description: 'met at expo' });
    const r2 = await relation(c, 'rep2', 'wmX', 'removed_by_rep', { addedAt: new Date('2023-02-01T00:00:00Z') });
    await tagRelation(c, r1, 'vip');
    await history(c, r1, 'rep1', 'wmX', 'added', { toStatus: 'active', at: new Date('2023-01-01T00:00:00Z') });
    await history(c, r2, 'rep2', 'wmX', 'added', { toStatus: 'active', at: new Date('2023-02-01T00:00:00Z') });
    await history(c, r1, 'rep1', 'wmX', 'edited', { detail: { remark: ['a', 'b'], remarkMobiles: [[], [PHONE]], nested: { remark_mobiles: [PHONE] } } });
    await history(c, r2, 'rep2', 'wmX', 'removed_by_rep', { fromStatus: 'active', toStatus: 'removed_by_rep', cause: 'sync' });
    await group(c, 'chat1', { name: 'VIP lounge' });
    await member(c, 'chat1', 'wmX', 2);
    await group(c, 'chat2', { status: 'dismissed' });
    await member(c, 'chat2', 'wmX', 2, { status: 'left', leftAt: new Date() });

    const { status, body, text } = await api.get('/api/contacts/wmX');
    expect(status).toBe(200);
    expect(body.profile).toEqual({
      externalUserId: 'wmX', name: 'Xu', type: 1, gender: 2, corpName: null, corpFullName: 'Xu Holdings Ltd', position: 'CEO',
      connected: true, firstSeenAt: '2023-01-01T00:00:00.000Z', disconnectedAt: null,
    });
    expect(body.relations).toEqual([
      {
        userId: 'rep1', status: 'active', remark: 'r-rep1', description: 'met at expo', addWay: 1, state: null, operUserId: 'rep1',
        createdAt: '2023-01-01T00:00:00.000Z', statusChangedAt: expect.any(String), tags: [{ tagId: 'vip', name: 'Tag vip', groupName: 'Group g' }],
      },
      expect.objectContaining({ userId: 'rep2', status: 'removed_by_rep', createdAt: '2023-02-01T00:00:00.000Z', tags: [] }),
    ]);
    expect(body.history.map((h: any) => h.change)).toEqual(['removed_by_rep', 'edited', 'added', 'added']);
    expect(body.history[0]).toEqual({
      id: expect.any(Number), userId: 'rep2', change: 'removed_by_rep', fromStatus: 'active', toStatus: 'removed_by_rep',
      cause: 'sync', at: expect.any(String), detail: null,
    });
    expect(body.history[1].detail).toEqual({ remark: ['a', 'b'], nested: {} });
    expect(body.groups).toEqual([
      { chatId: 'chat1', name: 'VIP lounge', status: 'active', memberStatus: 'active' },
      { chatId: 'chat2', name: 'Chat chat2', status: 'dismissed', memberStatus: 'left' },
    ]);
    expect(text).not.toContain(PHONE);
    expect(text).not.toMatch(/mobile/i);
  });

  it('caps history at 200 entries', async () => {
    const api = await serve();
    const c = api.corpId;
    await contact(c, 'wmH');
    const r = await relation(c, 'rep1', 'wmH');
    await db.insert(relationHistory).values(Array.from({ length: 205 }, (_, i) => ({
      corpId: c, relationId: r, userId: 'rep1', externalUserId: 'wmH', change: 'edited', cause: 'sync', detail: { i },
    })));
    const { body } = await api.get('/api/contacts/wmH');
    expect(body.history).toHaveLength(200);
    expect(body.history[0].detail).toEqual({ i: 204 });
  });

  it('404s with the error shape for an unknown customer or one of another corp', async () => {
    const api = await serve();
    const other = freshCorpId();
    await contact(other, 'wmOther');
    for (const id of ['wmNobody', 'wmOther', encodeURIComponent("x' or 1=1 --")]) {
      const { status, body } = await api.get(`/api/contacts/${id}`);
      expect(status).toBe(404);
      expect(body).toEqual({ error: { code: 'not_found', message: 'contact not found' } });
    }
  });
});

// ---------------------------------------------------------------- groups

describe('customer groups', () => {
  it('lists groups with active member and customer counts, filtered and paged', async () => {
    const api = await serve();
    const c = api.corpId;
    await group(c, 'chatA', { ownerUserId: 'rep1', createdAt: new Date('2024-03-01T00:00:00Z') });
    await member(c, 'chatA', 'rep1', 1);
    await member(c, 'chatA', 'wm1', 2);
    await member(c, 'chatA', 'wm2', 2);
    await member(c, 'chatA', 'wm3', 2, { status: 'left', leftAt: new Date() });
    await group(c, 'chatB', { ownerUserId: 'rep2', status: 'dismissed' });
    await group(c, 'chatC', { ownerUserId: 'rep1' });
    await member(c, 'chatC', 'rep1', 1);
    const other = freshCorpId();
    await group(other, 'chatA');
    await member(other, 'chatA', 'wm9', 2);

    const { body } = await api.get('/api/groups');
    expect(body).toEqual({
      items: [
        { chatId: 'chatA', name: 'Chat chatA', ownerUserId: 'rep1', status: 'active', memberCount: 3, customerCount: 2, createdAt: '2024-03-01T00:00:00.000Z' },
        { chatId: 'chatB', name: 'Chat chatB', ownerUserId: 'rep2', status: 'dismissed', memberCount: 0, customerCount: 0, createdAt: null },
        { chatId: 'chatC', name: 'Chat chatC', ownerUserId: 'rep1', status: 'active', memberCount: 1, customerCount: 0, createdAt: null },
      ],
      nextCursor: null,
    });
    const chats = async (qs: string) => (await api.get(`/api/groups?${qs}`)).body.items.map((g: any) => g.chatId);
    expect(await chats('owner=rep1')).toEqual(['chatA', 'chatC']);
    expect(await chats('status=dismissed')).toEqual(['chatB']);

    const first = await api.get('/api/groups?limit=2');
    expect(first.body.items.map((g: any) => g.chatId)).toEqual(['chatA', 'chatB']);
    const second = await api.get(`/api/groups?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ chatId: 'chatC' })], nextCursor: null });
    expect((await api.get('/api/groups?status=open')).status).toBe(400);
  });

  it('shows one group with members and history, or 404', async () => {
    const api = await serve();
    const c = api.corpId;
    await group(c, 'chatD', { notice: 'be nice', memberVersion: 'v7', ownerUserId: 'rep1' });
    await member(c, 'chatD', 'wm2', 2, { status: 'left', leftAt: new Date('2024-04-02T00:00:00Z'), joinedAt: new Date('2024-04-01T00:00:00Z') });
    await member(c, 'chatD', 'rep1', 1, { isAdmin: true, joinScene: 1, joinedAt: new Date('2024-03-01T00:00:00Z'), name: 'Owner' });
    await member(c, 'chatD', 'wm1', 2, { invitorUserId: 'rep1', joinScene: 3, joinedAt: new Date('2024-03-02T00:00:00Z') });
    await db.insert(groupHistory).values([
      { corpId: c, chatId: 'chatD', change: 'created', cause: 'sync' },
      { corpId: c, chatId: 'chatD', memberId: 'wm2', change: 'member_left', cause: 'callback', detail: { quitScene: 0, mobile: PHONE } },
    ]);

    const { status, body, text } = await api.get('/api/groups/chatD');
    expect(status).toBe(200);
    expect(body).toMatchObject({ chatId: 'chatD', notice: 'be nice', memberVersion: 'v7', status: 'active', dismissedAt: null });
    expect(body.members.map((m: any) => [m.memberId, m.status])).toEqual([['rep1', 'active'], ['wm1', 'active'], ['wm2', 'left']]);
    expect(body.members[0]).toEqual({
      memberId: 'rep1', type: 1, name: 'Owner', joinScene: 1, joinedAt: '2024-03-01T00:00:00.000Z', invitorUserId: null,
      isAdmin: true, status: 'active', leftAt: null,
    });
    expect(body.history).toEqual([
      { id: expect.any(Number), memberId: 'wm2', change: 'member_left', cause: 'callback', at: expect.any(String), detail: { quitScene: 0 } },
      { id: expect.any(Number), memberId: null, change: 'created', cause: 'sync', at: expect.any(String), detail: null },
    ]);
    expect(text).not.toContain(PHONE);

    const missing = await api.get('/api/groups/chatNope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

// ---------------------------------------------------------------- tags

describe('GET /api/tags', () => {
  it('lists live groups and tags, bigger order first, counting customers on active relations', async () => {
    const api = await serve();
    const c = api.corpId;
    await tagGroup(c, 'gLow', 1);
    await tagGroup(c, 'gHigh', 9);
    await tagGroup(c, 'gDead', 5, { deletedAt: new Date() });
    await tag(c, 'a', 'gHigh', 1);
    await tag(c, 'b', 'gHigh', 2);
    await tag(c, 'c', 'gLow', 0);
    await tag(c, 'dead', 'gHigh', 3, { deletedAt: new Date() });
    await tag(c, 'orphan', 'gDead', 0);
    for (const id of ['wm1', 'wm2', 'wm3']) await contact(c, id);
    // wm1 tagged 'a' by two reps: one customer. wm2 tagged 'a' on a removed relation: not counted.
    await tagRelation(c, await relation(c, 'rep1', 'wm1'), 'a', 'b');
    await tagRelation(c, await relation(c, 'rep2', 'wm1'), 'a');
    await tagRelation(c, await relation(c, 'rep1', 'wm2', 'removed_by_customer'), 'a');
    await tagRelation(c, await relation(c, 'rep1', 'wm3'), 'a', 'dead');

    const { status, body } = await api.get('/api/tags');
    expect(status).toBe(200);
    expect(body).toEqual({
      groups: [
        {
          groupId: 'gHigh', name: 'Group gHigh', order: 9,
          tags: [
            { tagId: 'b', name: 'Tag b', order: 2, customerCount: 1 },
            { tagId: 'a', name: 'Tag a', order: 1, customerCount: 2 },
          ],
        },
        { groupId: 'gLow', name: 'Group gLow', order: 1, tags: [{ tagId: 'c', name: 'Tag c', order: 0, customerCount: 0 }] },
      ],
    });
  });
});

// ---------------------------------------------------------------- sync

describe('sync', () => {
  it('POST /api/sync answers 202 with the job; GET /api/sync/:jobId shows it or 404s', async () => {
    const api = await serve();
    const post = () => fetch(`${api.url}/api/sync`, { method: 'POST', headers: auth });
    const first = await post();
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ jobId: 7, created: true });
    expect(await (await post()).json()).toEqual({ jobId: 7, created: false });
    expect(api.sync.requests).toEqual(['api', 'api']);

    expect(await api.get('/api/sync/7')).toMatchObject({ status: 200, body: JOB });
    expect(await api.get('/api/sync/8')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await api.get('/api/sync/abc')).status).toBe(400);
  });
});

// ---------------------------------------------------------------- alerts

describe('GET /api/alerts', () => {
  it('lists newest first, filters by kind and userId, pages with nextBefore', async () => {
    const api = await serve();
    const c = api.corpId;
    const a1 = await alert(c, 'rep_deleted_customer', 'rep1', { externalUserId: 'wm1', recipients: ['boss'], detail: { remark: 'x', remarkMobiles: [PHONE] } });
    const a2 = await alert(c, 'customer_deleted_rep', 'rep2', { externalUserId: 'wm2' });
    const a3 = await alert(c, 'rep_deleted_customer', 'rep2');
    await alert(freshCorpId(), 'rep_deleted_customer', 'rep1');

    const { body, text } = await api.get('/api/alerts');
    expect(body.items.map((a: any) => a.id)).toEqual([a3, a2, a1]);
    expect(body.nextBefore).toBeNull();
    expect(body.items[2]).toEqual({
      id: a1, kind: 'rep_deleted_customer', userId: 'rep1', externalUserId: 'wm1', recipients: ['boss'],
      createdAt: expect.any(String), detail: { remark: 'x' },
    });
    expect(text).not.toContain(PHONE);

    expect((await api.get('/api/alerts?kind=rep_deleted_customer')).body.items.map((a: any) => a.id)).toEqual([a3, a1]);
    expect((await api.get('/api/alerts?userId=rep2')).body.items.map((a: any) => a.id)).toEqual([a3, a2]);
    const page1 = (await api.get('/api/alerts?limit=2')).body;
    expect(page1.items.map((a: any) => a.id)).toEqual([a3, a2]);
    expect(page1.nextBefore).toBe(a2);
    expect((await api.get(`/api/alerts?limit=2&before=${page1.nextBefore}`)).body.items.map((a: any) => a.id)).toEqual([a1]);
    expect((await api.get('/api/alerts?limit=500')).status).toBe(400);
  });
});

// ---------------------------------------------------------------- stats

describe('GET /api/stats/relations', () => {
  it('counts relations by status and removals over the last 30 days', async () => {
    const api = await serve();
    const c = api.corpId;
    const statuses: RelationStatus[] = ['active', 'active', 'removed_by_rep', 'removed_by_customer', 'transferred'];
    const rels: number[] = [];
    for (const [i, s] of statuses.entries()) rels.push(await relation(c, `rep${i}`, `wm${i}`, s));
    const removed = (userId: string, change: string, days: number) =>
      history(c, rels[0]!, userId, `wm-${Math.random()}`, change, { at: daysAgo(days) });
    await removed('repA', 'removed_by_rep', 1);
    await removed('repA', 'removed_by_rep', 2);
    await removed('repB', 'removed_by_rep', 3);
    await removed('repB', 'removed_by_rep', 45); // outside the window
    await removed('repC', 'removed_by_customer', 5);
    await removed('repA', 'added', 1);
    await relation(freshCorpId(), 'repA', 'wm1', 'removed_by_rep');

    const { status, body } = await api.get('/api/stats/relations');
    expect(status).toBe(200);
    expect(body).toEqual({
      byStatus: { active: 2, removed_by_rep: 1, removed_by_customer: 1, transferred: 1, awaiting_handover: 0, removed: 0 },
      removedLast30Days: { byRep: 3, byCustomer: 1 },
      topDeletingReps: [{ userId: 'repA', count: 2 }, { userId: 'repB', count: 1 }],
      customersLostByRep: [{ userId: 'repC', count: 1 }],
    });
  });

  it('keeps only the top 10 reps', async () => {
    const api = await serve();
    const c = api.corpId;
    const r = await relation(c, 'rep', 'wm');
    for (let i = 0; i < 12; i++) {
      for (let k = 0; k <= i; k++) await history(c, r, `rep${String(i).padStart(2, '0')}`, 'wm', 'removed_by_rep', { at: daysAgo(1) });
    }
    const { body } = await api.get('/api/stats/relations');
    expect(body.topDeletingReps).toHaveLength(10);
    expect(body.topDeletingReps[0]).toEqual({ userId: 'rep11', count: 12 });
    expect(body.topDeletingReps[9]).toEqual({ userId: 'rep02', count: 3 });
  });
});

// ---------------------------------------------------------------- the document

describe('OpenAPI', () => {
  it('describes every ledger route', async () => {
    const api = await serve();
    const { body } = await getJson(`${api.url}/api/openapi.json`);
    for (const path of [
      '/api/employees', '/api/contacts', '/api/contacts/{externalUserId}', '/api/groups', '/api/groups/{chatId}', '/api/tags',
      '/api/sync', '/api/sync/{jobId}', '/api/alerts', '/api/stats/relations',
    ]) expect(Object.keys(body.paths)).toContain(path);
    expect(body.paths['/api/sync'].post.responses['202']).toBeDefined();
    const params = body.paths['/api/contacts'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['owner', 'tag', 'status', 'q', 'cursor', 'limit']));
  });
});
