import { and, eq } from 'drizzle-orm';
import { createSession, sessions } from '../../src/access';
import { departments, employees } from '../../src/ledger';
import type { Service } from '../../src/service';
import { getTestDb } from '../helpers/db';
import { auth, freshCorpId, startTestService, testConfig } from '../helpers/service';

/**
 * Identity and roles over real HTTP: named API tokens, /api/me, roles set by
 * an admin, sessions (CSRF on writes, idle and absolute expiry, logout, an
 * employee leaving ends their sessions).
 */

let database: Awaited<ReturnType<typeof getTestDb>>;
let service: Service;
const corpId = freshCorpId();
let now = new Date('2026-11-02T02:00:00Z');
const clock = { now: () => now };
const IDLE_MIN = 30;

beforeAll(async () => {
  database = await getTestDb();
  await database.db.insert(departments).values([
    { corpId, id: 1, name: '公司', parentId: null },
    { corpId, id: 2, name: '华东销售', parentId: 1 },
    { corpId, id: 3, name: '华南销售', parentId: 1, leaderUserIds: ['mgr_b'] },
    { corpId, id: 4, name: '深圳组', parentId: 3 },
  ]);
  await database.db.insert(employees).values([
    { corpId, userId: 'rep_a', name: '张三', departmentIds: [2] },
    { corpId, userId: 'mgr_b', name: '李经理', departmentIds: [3], leaderOf: [3] },
    { corpId, userId: 'rep_b', name: '王五', departmentIds: [4] },
    { corpId, userId: 'boss', name: '老板', departmentIds: [1] },
  ]);
  service = await startTestService(database, testConfig({ WECOM_CORP_ID: corpId, LIFELONG_ADMINS: 'boss', SESSION_IDLE_MIN: String(IDLE_MIN), SESSION_MAX_H: '24' }), {
    worker: false, clock,
  });
});
afterAll(async () => {
  await service?.stop();
  await database?.close();
});

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${service.url}${path}`, {
    method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function tokenFor(req: Record<string, unknown>): Promise<string> {
  const r = await call('POST', '/api/tokens', auth, { name: 'test', ...req });
  expect(r.status).toBe(201);
  return r.body.token as string;
}

describe('API tokens and /api/me', () => {
  it('a rep token sees the rep; a manager token the departments they lead, with sub-departments', async () => {
    const rep = await call('GET', '/api/me', bearer(await tokenFor({ role: 'rep', userId: 'rep_a' })));
    expect(rep.status).toBe(200);
    expect(rep.body).toMatchObject({ userId: 'rep_a', name: '张三', role: 'rep', via: 'api_token', scope: { wholeCorp: false, userIds: ['rep_a'] } });
    expect(rep.body.departments).toEqual([{ id: 2, name: '华东销售' }]);

    const mgr = await call('GET', '/api/me', bearer(await tokenFor({ role: 'manager', userId: 'mgr_b' })));
    expect(mgr.body.scope.userIds).toEqual(['mgr_b', 'rep_b']);
    const granted = await call('GET', '/api/me', bearer(await tokenFor({ role: 'manager', departmentIds: [2] })));
    expect(granted.body.scope.userIds).toEqual(['rep_a']);

    const admin = await call('GET', '/api/me', auth);
    expect(admin.body).toMatchObject({ role: 'admin', via: 'admin_token', scope: { wholeCorp: true, userIds: null } });
  });

  it('tokens are shown once, listed without the secret, and revoked at once', async () => {
    const created = await call('POST', '/api/tokens', auth, { name: 'crm 同步', role: 'manager', userId: 'mgr_b' });
    expect(created.body.token).toMatch(/^llt_/);
    const list = await call('GET', '/api/tokens', auth);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(list.body.items.find((t: any) => t.id === created.body.id)).toMatchObject({ name: 'crm 同步', role: 'manager', revokedAt: null });
    const rows = await database.db.select().from((await import('../../src/access')).apiTokens).where(eq((await import('../../src/access')).apiTokens.id, created.body.id));
    expect(rows[0]!.tokenHash).not.toContain(created.body.token);

    expect((await call('GET', '/api/me', bearer(created.body.token))).status).toBe(200);
    expect((await call('DELETE', `/api/tokens/${created.body.id}`, auth)).status).toBe(200);
    const after = await call('GET', '/api/me', bearer(created.body.token));
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
  });

  it('an expired token is refused; a rep token needs its employee; unknown employees are refused', async () => {
    const token = await tokenFor({ role: 'admin', expiresAt: new Date(now.getTime() + 60_000).toISOString() });
    expect((await call('GET', '/api/me', bearer(token))).status).toBe(200);
    now = new Date(now.getTime() + 61_000);
    expect((await call('GET', '/api/me', bearer(token))).status).toBe(401);
    expect((await call('POST', '/api/tokens', auth, { name: 'x', role: 'rep' })).body.error.code).toBe('validation_failed');
    expect((await call('POST', '/api/tokens', auth, { name: 'x', role: 'rep', userId: 'nobody' })).body.error.code).toBe('unknown_employee');
    expect((await call('GET', '/api/me', bearer('llt_made_up'))).status).toBe(401);
  });

  it('only admins manage tokens and roles', async () => {
    const mgr = bearer(await tokenFor({ role: 'manager', userId: 'mgr_b' }));
    expect((await call('POST', '/api/tokens', mgr, { name: 'x', role: 'admin' })).status).toBe(403);
    expect((await call('GET', '/api/tokens', mgr)).status).toBe(403);
    expect((await call('PUT', '/api/employees/rep_b/role', mgr, { role: 'admin' })).status).toBe(403);
  });
});

describe('roles', () => {
  it('defaults: LIFELONG_ADMINS are admins, leaders managers, the rest reps; an admin may change them', async () => {
    expect((await call('GET', '/api/employees/boss/role', auth)).body).toMatchObject({ role: 'admin', source: 'admins_list' });
    expect((await call('GET', '/api/employees/mgr_b/role', auth)).body).toMatchObject({ role: 'manager', source: 'leader', leaderOf: [3] });
    expect((await call('GET', '/api/employees/rep_a/role', auth)).body).toMatchObject({ role: 'rep', source: 'default' });

    const set = await call('PUT', '/api/employees/rep_a/role', auth, { role: 'manager', departmentIds: [4] });
    expect(set.body).toMatchObject({ role: 'manager', grantedDepartmentIds: [4], source: 'set' });
    const session = await createSession(database.db, corpId, { userId: 'rep_a', kind: 'web' }, { idleMs: IDLE_MIN * 60_000, maxMs: 86_400_000 }, now);
    const me = await call('GET', '/api/me', { cookie: `lifelong_session=${session.id}` });
    expect(me.body).toMatchObject({ role: 'manager', scope: { userIds: ['rep_a', 'rep_b'] } });
    await call('PUT', '/api/employees/rep_a/role', auth, { role: 'rep' });
    expect((await call('GET', '/api/me', { cookie: `lifelong_session=${session.id}` })).body.role).toBe('rep');
    expect((await call('PUT', '/api/employees/nobody/role', auth, { role: 'rep' })).status).toBe(404);
  });
});

describe('sessions', () => {
  const times = { idleMs: IDLE_MIN * 60_000, maxMs: 86_400_000 };
  const cookieOf = (id: string) => ({ cookie: `lifelong_session=${id}` });

  it('a cookie write needs the CSRF token; logout ends the session', async () => {
    const s = await createSession(database.db, corpId, { userId: 'rep_b', kind: 'web' }, times, now);
    const me = await call('GET', '/api/me', cookieOf(s.id));
    expect(me.body).toMatchObject({ userId: 'rep_b', via: 'session', csrfToken: s.csrfToken });
    const refused = await call('POST', '/api/logout', cookieOf(s.id), {});
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_failed');
    expect((await call('POST', '/api/logout', { ...cookieOf(s.id), 'x-csrf-token': 'wrong' }, {})).status).toBe(403);
    const out = await call('POST', '/api/logout', { ...cookieOf(s.id), 'x-csrf-token': s.csrfToken }, {});
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('lifelong_session=;');
    expect((await call('GET', '/api/me', cookieOf(s.id))).status).toBe(401);
  });

  it('idle and absolute expiry', async () => {
    const s = await createSession(database.db, corpId, { userId: 'rep_b', kind: 'sidebar' }, times, now);
    now = new Date(now.getTime() + (IDLE_MIN - 1) * 60_000);
    expect((await call('GET', '/api/me', cookieOf(s.id))).status).toBe(200);
    now = new Date(now.getTime() + (IDLE_MIN - 1) * 60_000);
    expect((await call('GET', '/api/me', cookieOf(s.id))).status).toBe(200); // used in between: not idle
    now = new Date(now.getTime() + IDLE_MIN * 60_000);
    expect((await call('GET', '/api/me', cookieOf(s.id))).status).toBe(401);

    const long = await createSession(database.db, corpId, { userId: 'rep_b', kind: 'web' }, times, now);
    for (let h = 0; h < 24; h += 0.4) {
      now = new Date(now.getTime() + 0.4 * 3_600_000);
      const r = await call('GET', '/api/me', cookieOf(long.id));
      if (h + 0.4 >= 24) expect(r.status).toBe(401);
    }
  });

  it("an employee who leaves or is disabled loses their sessions on the next request", async () => {
    const s = await createSession(database.db, corpId, { userId: 'rep_b', kind: 'web' }, times, now);
    expect((await call('GET', '/api/me', cookieOf(s.id))).status).toBe(200);
    await database.db.update(employees).set({ status: 'departed', departedAt: now }).where(and(eq(employees.corpId, corpId), eq(employees.userId, 'rep_b')));
    const r = await call('GET', '/api/me', cookieOf(s.id));
    expect(r.status).toBe(401);
    const [row] = await database.db.select().from(sessions).where(eq(sessions.corpId, corpId)).orderBy(sessions.createdAt);
    const mine = (await database.db.select().from(sessions).where(and(eq(sessions.corpId, corpId), eq(sessions.userId, 'rep_b')))).find((x) => x.revokedReason === 'employee_departed');
    expect(row).toBeDefined();
    expect(mine).toBeDefined();
    await database.db.update(employees).set({ status: 'active', departedAt: null }).where(and(eq(employees.corpId, corpId), eq(employees.userId, 'rep_b')));
    // A revoked session stays revoked.
    expect((await call('GET', '/api/me', cookieOf(s.id))).status).toBe(401);
  });

  it('a made-up cookie is refused', async () => {
    expect((await call('GET', '/api/me', cookieOf('made-up'))).status).toBe(401);
    expect((await call('GET', '/api/me', {})).status).toBe(401);
  });
});
