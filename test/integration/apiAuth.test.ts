import http from 'node:http';
import { sql } from 'drizzle-orm';
import type { Service } from '../../src/service';
import { getTestDb } from '../helpers/db';
import { auth, getJson, startTestService, testConfig } from '../helpers/service';

/**
 * Generated from the router itself: every route in the OpenAPI document,
 * called without a token — as spelled, in other cases, with `..`, `.` and
 * `%2e` segments, with a trailing slash — answers 401, 404 (or 405 where the
 * spelling matches another route's path) and changes
 * nothing in the database.
 */

let database: Awaited<ReturnType<typeof getTestDb>>;
let service: Service;
beforeAll(async () => {
  database = await getTestDb();
  // No workers: nothing but the requests under test may change a row.
  service = await startTestService(database, testConfig(), { worker: false });
});
afterAll(async () => {
  await service?.stop();
  await database?.close();
});

/** Sends the path exactly as written (fetch and URL would resolve `..` before sending). */
function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(['GET', 'DELETE'].includes(method) ? undefined : '{}');
  });
}

/** A fingerprint of every table's rows (content, not just counts). */
async function fingerprint(): Promise<Record<string, string>> {
  const tables = await database.db.execute<{ name: string }>(
    sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const out: Record<string, string> = {};
  for (const { name } of (tables as unknown as { rows: Array<{ name: string }> }).rows) {
    const r = await database.db.execute<{ h: string }>(sql.raw(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from "${name}" t`));
    out[name] = (r as unknown as { rows: Array<{ h: string }> }).rows[0]!.h;
  }
  return out;
}

const upperFirst = (seg: string) => seg.charAt(0).toUpperCase() + seg.slice(1);

/** The spellings of one route's path that must never reach its handler without a token. */
function spellings(path: string): string[] {
  const rest = path.slice('/api'.length); // '/contacts/1'
  const segs = path.split('/').filter(Boolean);
  return [
    path,
    path.toUpperCase(),
    '/' + segs.map(upperFirst).join('/'),
    `/Api${rest}`,
    `/API${rest}`,
    `/api/../API${rest}`,
    `/api/../api${rest}`,
    `/api/./${rest.slice(1)}`,
    `/api/%2e%2e/api${rest}`,
    `/api/%2E/${rest.slice(1)}`,
    `/%61pi${rest}`,
    `//api${rest}`,
    `${path}/`,
    `${path}%2f`,
  ];
}

test('every /api route refuses a caller without a token, however its path is spelled, and changes nothing', async () => {
  const doc = await getJson<{ paths: Record<string, Record<string, unknown>> }>(`${service.url}/api/openapi.json`);
  expect(doc.status).toBe(200);
  const routes = Object.entries(doc.body.paths).flatMap(([p, methods]) =>
    Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: p.replace(/\{[^}]+\}/g, '1') })),
  );
  // The document is the router's own list: a handful of routes would mean it is not.
  expect(routes.length).toBeGreaterThan(60);
  routes.push({ method: 'GET', path: '/api/openapi.json' });

  const before = await fingerprint();
  const reached: string[] = [];
  for (const r of routes) {
    for (const p of spellings(r.path)) {
      const res = await rawRequest(service.url, r.method, p);
      // 405: the spelling matches another route's path (`recompute%2f` as an :id) whose method differs — no handler ran.
      const expectedCode = { 401: 'unauthorized', 404: 'not_found', 405: 'method_not_allowed' }[res.status];
      if (!expectedCode) reached.push(`${r.method} ${p} → ${res.status} ${res.text.slice(0, 80)}`);
      else expect(JSON.parse(res.text).error.code).toBe(expectedCode);
    }
    // A wrong token is no token.
    const bad = await rawRequest(service.url, r.method, r.path, { authorization: 'Bearer not-the-token' });
    if (bad.status !== 401) reached.push(`${r.method} ${r.path} (bad token) → ${bad.status}`);
  }
  expect(reached).toEqual([]);
  expect(await fingerprint()).toEqual(before);
});

test('the spelled form with the token reaches the route; other spellings are 404 even with it', async () => {
  expect((await rawRequest(service.url, 'GET', '/api/contacts?limit=1', auth)).status).toBe(200);
  for (const p of ['/API/contacts?limit=1', '/Api/contacts', '/api/Contacts', '/api/contacts/', '/api/../api/contacts']) {
    expect({ p, status: (await rawRequest(service.url, 'GET', p, auth)).status }).toEqual({ p, status: 404 });
  }
});

test('probes and the callback route are case-sensitive too', async () => {
  expect((await rawRequest(service.url, 'GET', '/healthz')).status).toBe(200);
  expect((await rawRequest(service.url, 'GET', '/HEALTHZ')).status).toBe(404);
  expect((await rawRequest(service.url, 'POST', '/WECOM/callback')).status).toBe(404);
});
