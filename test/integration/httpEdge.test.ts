import net from 'node:net';
import type { Service } from '../../src/service';
import { getTestDb } from '../helpers/db';
import { auth, startTestService, testConfig } from '../helpers/service';
import { startWorld, type TestWorld } from '../helpers/world';

/** What reaches the edge badly formed gets a clear 4xx, never a 500, and nothing is stored. */

let database: Awaited<ReturnType<typeof getTestDb>>;
let service: Service;
beforeAll(async () => {
  database = await getTestDb();
  service = await startTestService(database, testConfig(), { worker: false, bodyTimeoutMs: 300 });
});
afterAll(async () => {
  await service?.stop();
  await database?.close();
});

async function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(`${service.url}${path}`, { method, body, headers: { ...auth, ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('NUL characters', () => {
  test.each([
    ['a follow-up text', '/api/contacts/wmx/follow-ups', { text: 'call back 138\u00000000', userId: 'u1' }, 'body.text'],
    ['a segment name', '/api/segments', { name: 'vip\u0000', rule: { all: [] } }, 'body.name'],
    ['a rule value', '/api/segments/preview', { rule: { all: [{ tag: 'a\u0000b' }] } }, 'body.rule.all[0].tag'],
    ['a template text', '/api/templates', { name: 't', kind: 'message', text: 'hi\u0000' }, 'body.text'],
    ['an order id', '/api/orders', { orders: [{ externalOrderId: 'o\u00001', externalUserId: 'wm1', amount: 1, orderedAt: '2024-01-01T00:00:00Z' }] }, 'body.orders[0].externalOrderId'],
    ['an object key', '/api/segments', { name: 'n', rule: { all: [] }, ['x\u0000']: 1 }, 'body.x\\u0000'],
  ])('in %s: 400 invalid_text naming the field', async (_, path, body, field) => {
    const r = await send('POST', path, JSON.stringify(body));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_text');
    expect(r.body.error.details).toEqual({ field });
  });

  test('in the query string or the path: 400 invalid_text', async () => {
    const q = await send('GET', '/api/contacts?q=abc%00def');
    expect(q.status).toBe(400);
    expect(q.body.error).toMatchObject({ code: 'invalid_text', details: { field: 'query.q' } });
    const p = await send('GET', '/api/contacts/wm%00x');
    expect(p.status).toBe(400);
    expect(p.body.error).toMatchObject({ code: 'invalid_text', details: { field: 'path' } });
  });
});

describe('bodies', () => {
  test('a body sent as text/plain is refused with 415, not parsed as JSON', async () => {
    const r = await send('POST', '/api/segments', JSON.stringify({ name: 'plain', rule: { all: [] } }), { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('unsupported_media_type');
    const list = await send('GET', '/api/segments');
    expect(list.body.items.map((s: { name: string }) => s.name)).not.toContain('plain');
  });

  test('invalid UTF-8 is refused with 400 invalid_encoding instead of being stored as U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"name":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('","rule":{"all":[]}}')]);
    const r = await send('POST', '/api/segments', bytes);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_encoding');
  });

  test('a body that does not arrive in time gets 408 request_timeout, not a connection held for a minute', async () => {
    const u = new URL(service.url);
    const socket = net.connect(Number(u.port), u.hostname);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (c) => (text += c));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write(`POST /api/segments HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth.authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`);
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('"request_timeout"');
  });
});

test('a method a route does not take answers 405 with Allow, not 404', async () => {
  const r = await send('DELETE', '/api/contacts');
  expect(r.status).toBe(405);
  expect(r.body.error.code).toBe('method_not_allowed');
  expect(r.headers.get('allow')).toContain('GET');
  expect((await send('GET', '/api/no-such-thing')).status).toBe(404);
});

describe('WeCom errors reaching a route', () => {
  let world: TestWorld;
  let db: Awaited<ReturnType<typeof getTestDb>>;
  beforeAll(async () => {
    db = await getTestDb();
    world = await startWorld(db);
  });
  afterAll(async () => {
    await world?.close();
    await db?.close();
  });
  const refresh = async () => {
    const res = await fetch(`${world.service.url}/api/unassigned?refresh=true`, { headers: auth });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
  };

  test('rate limit → 429 wecom_rate_limited with Retry-After', async () => {
    world.sim.injectFault({ api: 'externalcontact/get_unassigned_list', errcode: 45009, count: 10 });
    const r = await refresh();
    world.sim.faults.clear();
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('wecom_rate_limited');
    expect(r.retryAfter).toBe('60');
  });

  test('busy or HTTP 5xx → 503 wecom_unavailable', async () => {
    world.sim.injectFault({ api: 'externalcontact/get_unassigned_list', errcode: -1, count: 10 });
    const busy = await refresh();
    world.sim.faults.clear();
    expect(busy.status).toBe(503);
    expect(busy.body.error.code).toBe('wecom_unavailable');
    world.sim.injectFault({ api: 'externalcontact/get_unassigned_list', http5xx: 10 });
    const down = await refresh();
    world.sim.faults.clear();
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('wecom_unavailable');
  });

  test('a missing permission → 502 wecom_permission naming what to grant', async () => {
    world.sim.denyApi('externalcontact/get_unassigned_list', 48002);
    const r = await refresh();
    world.sim.allowApi('externalcontact/get_unassigned_list');
    expect(r.status).toBe(502);
    expect(r.body.error.code).toBe('wecom_permission');
    expect(r.body.error.details).toMatchObject({ errcode: 48002, api: 'externalcontact/get_unassigned_list' });
    expect(r.body.error.message).toContain('可调用接口的应用');
  });

  test('any other errcode → 502 wecom_error with the errcode', async () => {
    world.sim.injectFault({ api: 'externalcontact/get_unassigned_list', errcode: 40058, count: 10 });
    const r = await refresh();
    world.sim.faults.clear();
    expect(r.status).toBe(502);
    expect(r.body.error).toMatchObject({ code: 'wecom_error', details: { errcode: 40058 } });
  });
});
