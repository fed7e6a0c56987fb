import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { getTestDb } from '../helpers/db';
import { auth } from '../helpers/service';
import { startWorld, syncNow, type TestWorld } from '../helpers/world';

/**
 * The access matrix, generated from the router: every route in the OpenAPI
 * document (a new route is covered without touching this file), called by
 * a rep, a manager, an admin, an expired token and an anonymous caller,
 * with ids inside and outside each caller's scope. Asserted for every cell:
 * - anonymous and expired callers get 401;
 * - an id outside the caller's scope answers 404 (or 403 when the caller's
 *   role may not use the route at all, whatever the id) — never the object;
 * - no response body, whatever the route and status, carries the id of a
 *   customer or group outside the caller's scope.
 */

jest.setTimeout(180_000);

let database: Awaited<ReturnType<typeof getTestDb>>;
let w: TestWorld;

interface Operation { method: string; path: string }
let operations: Operation[] = [];

/** One caller: a bearer token, what it sees (employees), and the objects it owns or does not. */
interface Caller {
  name: string;
  headers: Record<string, string>;
  /** Customer and group ids this caller must never see. */
  foreignMarkers: string[];
  own: Ids;
  foreign: Ids;
}
interface Ids { externalUserId: string; chatId: string; userId: string; handover: number; campaign: number; segment: number; complaint: number; channel: number }

const callers: Caller[] = [];
/** A 1×1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
let admin: Ids;
let expired: Record<string, string>;
let templateId = 0;
let mediaId = '';
let fieldId = 0;
let jobId = 0;

const api = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const res = await fetch(`${w.service.url}${path}`, {
    method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined || method === 'GET' ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
};
const json = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
  const r = await api(method, path, headers, body);
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
  return JSON.parse(r.text);
};

/** Employees of these departments and below (the test's own reading of the directory). */
async function employeesUnder(departmentIds: number[]): Promise<string[]> {
  const deps = rowsOf<{ id: number; parent_id: number | null }>(await database.db.execute(sql`select id, parent_id from departments where corp_id = ${w.corpId}`));
  const all = new Set(departmentIds);
  for (let grew = true; grew;) {
    grew = false;
    for (const d of deps) if (d.parent_id !== null && all.has(d.parent_id) && !all.has(d.id)) { all.add(d.id); grew = true; }
  }
  const emps = rowsOf<{ user_id: string; department_ids: number[] }>(await database.db.execute(sql`select user_id, department_ids from employees where corp_id = ${w.corpId}`));
  return emps.filter((e) => e.department_ids.some((d) => all.has(d))).map((e) => e.user_id);
}

/** Customers and groups with no link to any of these employees. */
async function outside(userIds: string[]): Promise<{ customers: string[]; groups: string[] }> {
  const list = `{${userIds.join(',')}}`;
  const customers = rowsOf<{ id: string }>(await database.db.execute(sql`
    select c.external_user_id as id from external_contacts c where c.corp_id = ${w.corpId}
      and not exists (select 1 from relations r where r.corp_id = c.corp_id and r.external_user_id = c.external_user_id and r.user_id = any(${list}::text[]))
      -- The members of a group the caller owns are theirs to see as members (WeCom shows them to the owner too).
      and not exists (select 1 from group_members gm join customer_groups g on g.corp_id = gm.corp_id and g.chat_id = gm.chat_id
        where gm.corp_id = c.corp_id and gm.member_id = c.external_user_id and g.owner_user_id = any(${list}::text[]))`));
  const groups = rowsOf<{ id: string }>(await database.db.execute(sql`
    select chat_id as id from customer_groups where corp_id = ${w.corpId} and (owner_user_id is null or not owner_user_id = any(${list}::text[]))`));
  return { customers: customers.map((r) => r.id), groups: groups.map((r) => r.id) };
}

async function customerOf(userId: string): Promise<string> {
  const [row] = rowsOf<{ id: string }>(await database.db.execute(sql`
    select external_user_id as id from relations where corp_id = ${w.corpId} and user_id = ${userId} and status = 'active' order by external_user_id limit 1`));
  return row!.id;
}
async function groupOf(userIds: string[]): Promise<string> {
  const [row] = rowsOf<{ id: string }>(await database.db.execute(sql`
    select chat_id as id from customer_groups where corp_id = ${w.corpId} and owner_user_id = any(${`{${userIds.join(',')}}`}::text[]) order by chat_id limit 1`));
  return row!.id;
}

/** Objects a caller owns, made through the API (as the admin, or as the caller where the object records its creator). */
async function objectsFor(userIds: string[], takeover: string, creator: Record<string, string>, tag: string): Promise<Ids> {
  const [userId] = userIds;
  const externalUserId = await customerOf(userId!);
  const chatId = await groupOf(userIds);
  const handover = (await json('POST', '/api/handovers', auth, { from: userId, takeovers: [takeover], customers: { mode: 'none' }, groups: { mode: 'none' } })).id;
  const segment = (await json('POST', '/api/segments', creator, { name: `分群 ${tag}`, rule: { stage: { in: ['new', 'growing'] } } })).id;
  const campaign = (await json('POST', '/api/campaigns', creator, {
    name: `触达 ${tag}`, kind: 'push', audience: { type: 'segment', segmentId: segment }, content: { type: 'inline', text: '您好' },
  })).id;
  const complaint = (await json('POST', `/api/contacts/${externalUserId}/complaints`, auth, { userId, content: `投诉 ${tag}` })).id;
  const channel = (await json('POST', '/api/channels', auth, { name: `渠道 ${tag}`, userIds: [userId] })).id;
  return { externalUserId, chatId, userId: userId!, handover, campaign, segment, complaint, channel };
}

beforeAll(async () => {
  database = await getTestDb();
  w = await startWorld(database, { counts: { employees: 16, departments: 5, customers: 300, groups: 12 } });
  jobId = await syncNow(w);
  operations = [];
  const doc = await json('GET', '/api/openapi.json', auth);
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) operations.push({ method: method.toUpperCase(), path: path.replace(/\{(\w+)\}/g, ':$1') });
  }

  // A manager: a leader of a department below the root; a rep: someone with customers outside that department.
  const leaders = rowsOf<{ id: number; leader: string }>(await database.db.execute(sql`
    select id, leader_user_ids[1] as leader from departments where corp_id = ${w.corpId} and parent_id is not null and cardinality(leader_user_ids) > 0 order by id`));
  // The department whose manager leaves the most reps with customers outside their scope.
  let best: { dept: (typeof leaders)[number]; managerUsers: string[]; reps: Array<{ user_id: string }> } | undefined;
  for (const dept of leaders) {
    const managerUsers = [...new Set([dept.leader, ...(await employeesUnder([dept.id]))])];
    const reps = rowsOf<{ user_id: string }>(await database.db.execute(sql`
      select r.user_id from relations r join employees e on e.corp_id = r.corp_id and e.user_id = r.user_id
      where r.corp_id = ${w.corpId} and r.status = 'active' and e.status = 'active' and not r.user_id = any(${`{${managerUsers.join(',')}}`}::text[])
        and cardinality(e.leader_of) = 0
        and exists (select 1 from customer_groups g where g.corp_id = r.corp_id and g.owner_user_id = r.user_id)
      group by r.user_id order by count(*) desc, r.user_id limit 2`));
    const owns = rowsOf(await database.db.execute(sql`select 1 from customer_groups where corp_id = ${w.corpId} and owner_user_id = any(${`{${managerUsers.join(',')}}`}::text[]) limit 1`));
    if (reps.length === 2 && owns.length > 0 && (!best || managerUsers.length > 1)) best = { dept, managerUsers, reps };
    if (best && best.managerUsers.length > 1) break;
  }
  expect(best).toBeDefined();
  const { dept, managerUsers, reps } = best!;
  const repUser = reps[0]!.user_id;

  const token = async (body: Record<string, unknown>) => ({ authorization: `Bearer ${(await json('POST', '/api/tokens', auth, { name: 'matrix', ...body })).token}` });
  const repHeaders = await token({ role: 'rep', userId: repUser });
  const managerHeaders = await token({ role: 'manager', userId: dept.leader });
  const soon = await json('POST', '/api/tokens', auth, { name: 'expiring', role: 'admin', expiresAt: new Date(Date.now() + 1500).toISOString() });
  expired = { authorization: `Bearer ${soon.token}` };

  // Reps may not create segments or campaigns: the rep's own are made by the admin (so they are not the rep's to see).
  const repOwn = await objectsFor([repUser], reps[1]!.user_id, auth, 'rep');
  const mgrUsers = managerUsers.filter((u) => u !== dept.leader);
  const mgrOwn = await objectsFor([...mgrUsers, dept.leader], dept.leader, managerHeaders, 'mgr');
  admin = await objectsFor([reps[1]!.user_id], repUser, auth, 'admin');
  templateId = (await json('POST', '/api/templates', auth, { kind: 'message', name: '问候', text: '您好 {{customer.name}}' })).id;
  mediaId = String((await json('POST', '/api/media', auth, { filename: 'a.png', contentType: 'image/png', dataBase64: PNG })).id);
  fieldId = (await json('POST', '/api/fields', auth, { key: 'city', label: '城市', type: 'text' })).id;

  const repOut = await outside([repUser]);
  const mgrOut = await outside(managerUsers);
  // The rep's "foreign" objects are the manager's and vice versa; the admin's belong to neither (checked by outside()).
  callers.push(
    { name: 'rep', headers: repHeaders, foreignMarkers: [...repOut.customers, ...repOut.groups], own: repOwn, foreign: { ...mgrOwn, externalUserId: repOut.customers[0]!, chatId: repOut.groups[0]! } },
    { name: 'manager', headers: managerHeaders, foreignMarkers: [...mgrOut.customers, ...mgrOut.groups], own: mgrOwn, foreign: { ...admin, externalUserId: mgrOut.customers[0]!, chatId: mgrOut.groups[0]!, userId: repUser } },
  );
  // The objects meant as foreign really are outside.
  expect(repOut.customers).toContain(callers[0]!.foreign.externalUserId);
  expect(mgrOut.customers).not.toContain(mgrOwn.externalUserId);
  await new Promise((r) => setTimeout(r, 1600)); // the expiring token lapses
});
afterAll(async () => {
  await w?.close();
  await database?.close();
});

/** The path with its parameters filled from one set of ids. */
function fill(op: Operation, ids: Ids): string {
  return op.path.replace(/:(\w+)/g, (_, name: string) => {
    if (name === 'externalUserId') return ids.externalUserId;
    if (name === 'chatId') return ids.chatId;
    if (name === 'userId') return ids.userId;
    if (name === 'jobId') return String(jobId);
    if (op.path.startsWith('/api/handovers')) return String(ids.handover);
    if (op.path.startsWith('/api/campaigns')) return String(ids.campaign);
    if (op.path.startsWith('/api/segments')) return String(ids.segment);
    if (op.path.startsWith('/api/complaints')) return String(ids.complaint);
    if (op.path.startsWith('/api/channels')) return String(ids.channel);
    if (op.path.startsWith('/api/templates')) return String(templateId);
    if (op.path.startsWith('/api/media')) return mediaId;
    if (op.path.startsWith('/api/fields')) return String(fieldId);
    return '1';
  });
}

/** Whether the path names an object that belongs to someone (so a foreign id must be refused). */
const scoped = (op: Operation) =>
  /:(externalUserId|chatId|userId)\b/.test(op.path) || /^\/api\/(handovers|campaigns|segments|complaints|channels)\/:id/.test(op.path);

/** Valid bodies, so a refusal comes from the scope and not from validation; the rest send {}. */
function bodyFor(op: Operation, ids: Ids): unknown {
  const key = `${op.method} ${op.path}`;
  const bodies: Record<string, unknown> = {
    'PUT /api/contacts/:externalUserId/fields': { city: '上海' },
    'POST /api/contacts/:externalUserId/follow-ups': { channel: 'wecom_chat', content: '回访' },
    'POST /api/contacts/:externalUserId/complaints': { content: '投诉' },
    'POST /api/complaints/:id/resolve': { resolution: '已处理' },
    'PUT /api/handovers/:id/takeovers': { takeovers: [ids.userId] },
    'POST /api/handovers': { from: ids.userId, takeovers: [ids.userId], customers: { mode: 'none' }, groups: { mode: 'none' } },
    'PUT /api/segments/:id': { name: `改名 ${ids.segment}` },
    'PUT /api/campaigns/:id': { name: `改名 ${ids.campaign}` },
    'POST /api/templates/:id/preview': { externalUserId: ids.externalUserId },
    'POST /api/templates/:id/render': { externalUserId: ids.externalUserId, userId: ids.userId },
    'PATCH /api/channels/:id': { name: `改名 ${ids.channel}` },
    'PUT /api/employees/:userId/role': { role: 'rep' },
  };
  return bodies[key] ?? {};
}

/** Routes whose body names a customer or employee: with foreign ids they must be refused too. */
const bodyScoped = new Set(['POST /api/handovers', 'POST /api/templates/:id/preview', 'POST /api/templates/:id/render']);

// Routes that would end the session or change what every other cell sees are left to their own tests.
const SKIP = new Set(['POST /api/logout', 'POST /api/sync', 'POST /api/scores/recompute']);

describe('access matrix (every route × rep, manager, admin, expired, anonymous)', () => {
  it('covers every route in the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(80);
  });

  it('anonymous and expired callers get 401 everywhere', async () => {
    for (const op of operations) {
      const path = fill(op, admin);
      for (const headers of [{}, expired]) {
        const r = await api(op.method, path, headers, {});
        expect({ op: `${op.method} ${op.path}`, status: r.status }).toEqual({ op: `${op.method} ${op.path}`, status: 401 });
      }
    }
  });

  it('foreign ids answer 404 (or the role refusal), and no body carries a foreign customer or group', async () => {
    const cells: string[] = [];
    for (const c of callers) {
      for (const op of operations) {
        const key = `${op.method} ${op.path}`;
        if (SKIP.has(key)) continue;
        const path = fill(op, c.foreign);
        const body = bodyFor(op, c.foreign);
        const r = await api(op.method, path, c.headers, body);
        cells.push(`${c.name} ${key} ${r.status}`);
        expect({ cell: `${c.name} ${key}`, status: r.status < 500 }).toEqual({ cell: `${c.name} ${key}`, status: true });
        // An id the caller sent may be echoed ("customer … not found"); any other foreign id is a leak.
        const sent = path + JSON.stringify(body);
        for (const m of c.foreignMarkers) if (!sent.includes(m) && r.text.includes(m)) throw new Error(`${c.name} ${key} (foreign ids) answered ${r.status} carrying ${m}: ${r.text.slice(0, 300)}`);
        if (scoped(op) || bodyScoped.has(key)) {
          expect({ cell: `${c.name} ${key}`, status: [403, 404].includes(r.status) ? 'refused' : r.status }).toEqual({ cell: `${c.name} ${key}`, status: 'refused' });
          if (r.status === 403) {
            // A 403 must be the role's, not the object's: the same route with the caller's own ids is refused too.
            const mine = await api(op.method, fill(op, c.own), c.headers, bodyFor(op, c.own));
            expect({ cell: `${c.name} ${key} (own ids)`, status: mine.status }).toEqual({ cell: `${c.name} ${key} (own ids)`, status: 403 });
          }
        }
      }
    }
    expect(cells.length).toBeGreaterThan(150);
  });

  it('own ids: whatever a route answers, it carries nothing from outside the scope', async () => {
    for (const c of callers) {
      for (const op of operations) {
        const key = `${op.method} ${op.path}`;
        if (SKIP.has(key) || op.method === 'DELETE') continue;
        const r = await api(op.method, fill(op, c.own), c.headers, bodyFor(op, c.own));
        expect({ cell: `${c.name} ${key}`, ok: r.status < 500 }).toEqual({ cell: `${c.name} ${key}`, ok: true });
        for (const m of c.foreignMarkers) if (r.text.includes(m)) throw new Error(`${c.name} ${key} (own ids) answered ${r.status} carrying ${m}: ${r.text.slice(0, 300)}`);
      }
    }
  });

  it("the admin reads every caller's objects through every scoped read", async () => {
    let reads = 0;
    for (const c of callers) {
      for (const op of operations) {
        if (op.method !== 'GET' || !scoped(op)) continue;
        const r = await api('GET', fill(op, c.foreign), auth);
        // No recompute has run, so no customer has a score yet: 404 for everyone alike.
        const expected = op.path === '/api/scores/:externalUserId' ? 404 : 200;
        expect({ cell: `admin GET ${op.path}`, status: r.status }).toEqual({ cell: `admin GET ${op.path}`, status: expected });
        reads++;
      }
    }
    expect(reads).toBeGreaterThan(20);
  });

  it('a rep reads their own customer and group; the admin reads everyone', async () => {
    const [rep] = callers;
    expect((await api('GET', `/api/contacts/${rep!.own.externalUserId}`, rep!.headers)).status).toBe(200);
    expect((await api('GET', `/api/groups/${rep!.own.chatId}`, rep!.headers)).status).toBe(200);
    expect((await api('GET', `/api/contacts/${rep!.foreign.externalUserId}`, auth)).status).toBe(200);
    const list = JSON.parse((await api('GET', '/api/contacts?limit=200', rep!.headers)).text);
    expect(list.items.length).toBeGreaterThan(0);
  });
});
