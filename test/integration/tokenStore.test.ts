import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/connection';
import { getTestDb, openSecondConnection } from '../helpers/db';
import { createLogger } from '../../src/lib/logger';
import { DbTokenStore, WeComClient } from '../../src/wecom/client';

/**
 * Two clients (two "instances") sharing one database must fetch one token
 * between them. On PGlite (one connection) the lock is trivially exclusive;
 * with DATABASE_URL each client gets its own pool, which is the real test.
 */

const SECRET = 'it-contact-secret';

/** A stand-in WeCom that mints a new token per gettoken and accepts only the latest one. */
function startFakeWeCom() {
  const state = { gettokenCalls: 0, current: undefined as string | undefined, apiCalls: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (body: object) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/cgi-bin/gettoken') {
      if (url.searchParams.get('corpsecret') !== SECRET) return send({ errcode: 40001, errmsg: 'invalid credential' });
      state.gettokenCalls += 1;
      const token = `IT-TOKEN-${state.gettokenCalls}`;
      // Slow enough that concurrent callers overlap with the refresh.
      setTimeout(() => {
        state.current = token;
        send({ errcode: 0, errmsg: 'ok', access_token: token, expires_in: 7200 });
      }, 50);
      return;
    }
    if (url.pathname === '/cgi-bin/externalcontact/get_follow_user_list') {
      state.apiCalls += 1;
      const token = url.searchParams.get('access_token');
      if (!token || token !== state.current) return send({ errcode: 40014, errmsg: 'invalid access_token' });
      return send({ errcode: 0, errmsg: 'ok', follow_user: ['liwei'] });
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise<{ baseUrl: string; state: typeof state; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        baseUrl: `http://127.0.0.1:${port}`,
        state,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

describe('DbTokenStore shared by two clients', () => {
  let first: Database & { url?: string };
  let second: Database;
  let wecom: Awaited<ReturnType<typeof startFakeWeCom>>;
  let corpId: string;

  beforeAll(async () => {
    first = await getTestDb();
    // PGlite in memory cannot be opened twice: both "instances" share the one handle.
    second = first.url ? await openSecondConnection(first.url) : first;
    wecom = await startFakeWeCom();
  });

  afterAll(async () => {
    await wecom.close();
    if (second !== first) await second.close();
    await first.close();
  });

  beforeEach(() => {
    // A fresh corp per test: parallel runs against one server never share rows.
    corpId = `wwit-${randomUUID()}`;
    wecom.state.gettokenCalls = 0;
    wecom.state.current = undefined;
  });

  const clientOn = (database: Database) =>
    new WeComClient({
      baseUrl: wecom.baseUrl,
      corpId,
      secrets: { contact: SECRET },
      tokenStore: new DbTokenStore(database.db, corpId),
      logger: createLogger('silent'),
      concurrencyPerApi: 10,
      retry: { baseMs: 1, capMs: 5 },
    });

  test('concurrent calls from both clients cause one gettoken', async () => {
    const a = clientOn(first);
    const b = clientOn(second);

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).customers.listFollowUsers()),
    );

    expect(results).toEqual(Array.from({ length: 10 }, () => ['liwei']));
    expect(wecom.state.gettokenCalls).toBe(1);
    await expect(new DbTokenStore(first.db, corpId).get('contact')).resolves.toMatchObject({ accessToken: 'IT-TOKEN-1' });
  });

  test('a token WeCom stops accepting is replaced once for both clients', async () => {
    const a = clientOn(first);
    const b = clientOn(second);
    await Promise.all([a.customers.listFollowUsers(), b.customers.listFollowUsers()]);
    expect(wecom.state.gettokenCalls).toBe(1);

    wecom.state.current = 'REVOKED'; // e.g. the secret was reset: every token held so far is refused (40014)
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).customers.listFollowUsers()),
    );

    expect(results).toEqual(Array.from({ length: 10 }, () => ['liwei']));
    expect(wecom.state.gettokenCalls).toBe(2);
    await expect(new DbTokenStore(second.db, corpId).get('contact')).resolves.toMatchObject({ accessToken: 'IT-TOKEN-2' });
  });

  test('tokens are kept per corp: another corp does not reuse ours', async () => {
    const a = clientOn(first);
    await a.customers.listFollowUsers();
    const ours = await new DbTokenStore(first.db, corpId).get('contact');
    await expect(new DbTokenStore(first.db, `${corpId}-other`).get('contact')).resolves.toBeUndefined();
    expect(ours?.accessToken).toBe('IT-TOKEN-1');
  });
});
