import nock from 'nock';
import { createLogger } from '../../src/lib/logger';
import { wecomCalls } from '../../src/lib/metrics';
import {
  MemoryTokenStore,
  WeComClient,
  WeComError,
  WeComHttpError,
  WeComPlatformError,
  WeComRateLimitedError,
  WeComRequestError,
  appErrorCode,
  errcodeOf,
  isWeComError,
  type WeComClientOptions,
} from '../../src/wecom/client';

const BASE = 'http://wecom.test';
const CORP = 'wwtestcorp0001';
const CONTACT_SECRET = 'contact-secret-7Hq2';
const AGENT_SECRET = 'agent-secret-P9zX';
const T0 = Date.parse('2025-01-01T00:00:00Z');

/** A movable clock; the client reads it for token expiry. */
function testClock(start = T0) {
  let now = start;
  return { now: () => new Date(now), set: (ms: number) => void (now = ms) };
}

interface TokenMock {
  /** gettoken requests seen, by secret. */
  calls: string[];
}

/** gettoken answering TOKEN-<n> for the n-th call, for either secret; optional delay to widen races. */
function mockGettoken(opts: { delayMs?: number; expiresIn?: number } = {}): TokenMock {
  const mock: TokenMock = { calls: [] };
  nock(BASE)
    .persist()
    .get('/cgi-bin/gettoken')
    .query(true)
    .delay(opts.delayMs ?? 0)
    .reply((uri) => {
      const q = new URL(uri, BASE).searchParams;
      if (q.get('corpid') !== CORP) return [200, { errcode: 40013, errmsg: 'invalid corpid' }];
      const secret = q.get('corpsecret') ?? '';
      if (secret !== CONTACT_SECRET && secret !== AGENT_SECRET) return [200, { errcode: 40001, errmsg: 'invalid credential' }];
      mock.calls.push(secret === CONTACT_SECRET ? 'contact' : 'agent');
      return [200, { errcode: 0, errmsg: 'ok', access_token: `TOKEN-${mock.calls.length}`, expires_in: opts.expiresIn ?? 7200 }];
    });
  return mock;
}

function makeClient(over: Partial<WeComClientOptions> = {}) {
  const tokenStore = (over.tokenStore as MemoryTokenStore | undefined) ?? new MemoryTokenStore();
  const client = new WeComClient({
    baseUrl: BASE,
    corpId: CORP,
    secrets: { contact: CONTACT_SECRET, agent: AGENT_SECRET },
    agentId: 1000002,
    logger: createLogger('silent'),
    retry: { baseMs: 1, capMs: 4, rateLimitWaitMs: 5 },
    ...over,
    tokenStore,
  });
  return { client, tokenStore };
}

/** A store that already holds `token` (as if another instance had fetched it), valid for an hour. */
function storeWith(token: string, now = Date.now()) {
  const store = new MemoryTokenStore();
  store.set('contact', { accessToken: token, expiresAt: new Date(now + 3600_000) });
  return store;
}

const FOLLOW = '/cgi-bin/externalcontact/get_follow_user_list';
const MARK_TAG = '/cgi-bin/externalcontact/mark_tag';

/** Counts requests to one path and answers them with `replies` in order (the last one repeats). */
function mockSequence(method: 'get' | 'post', path: string, replies: Array<[number, unknown] | 'network'>) {
  const seen: Array<{ token: string | null; body: unknown }> = [];
  replies.forEach((r, i) => {
    const scope = i === replies.length - 1 ? nock(BASE).persist() : nock(BASE);
    scope.on('request', (req: { path: string }, _interceptor: unknown, body: string) => {
      let parsed: unknown = body;
      try {
        parsed = body ? JSON.parse(body) : body;
      } catch {
        // not JSON: keep the text
      }
      seen.push({ token: new URL(req.path, BASE).searchParams.get('access_token'), body: parsed });
    });
    const interceptor = method === 'get' ? scope.get(path).query(true) : scope.post(path).query(true);
    if (r === 'network') interceptor.replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    else interceptor.reply(r[0], r[1] as nock.Body);
  });
  return seen;
}

const ok = (extra: object = {}): [number, unknown] => [200, { errcode: 0, errmsg: 'ok', ...extra }];
const fail = (errcode: number, errmsg = 'failed'): [number, unknown] => [200, { errcode, errmsg }];

async function counterValue(labels: { api: string; outcome: string }): Promise<number> {
  const metric = await wecomCalls.get();
  return metric.values.find((v) => v.labels.api === labels.api && v.labels.outcome === labels.outcome)?.value ?? 0;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('access tokens', () => {
  test('fetched once and cached across calls', async () => {
    const tokens = mockGettoken();
    const seen = mockSequence('get', FOLLOW, [ok({ follow_user: ['liwei'] })]);
    const { client } = makeClient();

    await expect(client.customers.listFollowUsers()).resolves.toEqual(['liwei']);
    await expect(client.customers.listFollowUsers()).resolves.toEqual(['liwei']);

    expect(tokens.calls).toEqual(['contact']);
    expect(seen.map((s) => s.token)).toEqual(['TOKEN-1', 'TOKEN-1']);
  });

  test('refreshed once it is inside the expiry margin, not before', async () => {
    const clock = testClock();
    const tokens = mockGettoken();
    const seen = mockSequence('get', FOLLOW, [ok({ follow_user: [] })]);
    const { client } = makeClient({ clock, refreshMarginMs: 300_000 });

    await client.customers.listFollowUsers();
    clock.set(T0 + (7200 - 301) * 1000);
    await client.customers.listFollowUsers();
    expect(tokens.calls).toHaveLength(1);

    clock.set(T0 + (7200 - 299) * 1000);
    await client.customers.listFollowUsers();
    expect(tokens.calls).toHaveLength(2);
    expect(seen.map((s) => s.token)).toEqual(['TOKEN-1', 'TOKEN-1', 'TOKEN-2']);
  });

  test('uses a fresh token another instance saved instead of calling gettoken', async () => {
    const tokens = mockGettoken();
    const seen = mockSequence('get', FOLLOW, [ok({ follow_user: [] })]);
    const { client } = makeClient({ tokenStore: storeWith('SHARED') });

    await client.customers.listFollowUsers();
    expect(tokens.calls).toHaveLength(0);
    expect(seen[0]!.token).toBe('SHARED');
  });

  test.each([40014, 42001])('errcode %i refreshes the token and retries the call once', async (errcode) => {
    const tokens = mockGettoken();
    const seen = mockSequence('get', FOLLOW, [fail(errcode, 'invalid access_token'), ok({ follow_user: ['liwei'] })]);
    const { client, tokenStore } = makeClient({ tokenStore: storeWith('STALE') });

    await expect(client.customers.listFollowUsers()).resolves.toEqual(['liwei']);
    expect(seen.map((s) => s.token)).toEqual(['STALE', 'TOKEN-1']);
    expect(tokens.calls).toHaveLength(1);
    await expect(tokenStore.get('contact')).resolves.toMatchObject({ accessToken: 'TOKEN-1' });
  });

  test('a non-idempotent write is retried once on a token errcode (WeCom did nothing)', async () => {
    mockGettoken();
    const seen = mockSequence('post', MARK_TAG, [fail(42001), ok()]);
    const { client } = makeClient({ tokenStore: storeWith('STALE') });

    await client.tags.mark({ userid: 'liwei', external_userid: 'wmA', add_tag: ['etVIP'] });
    expect(seen.map((s) => s.token)).toEqual(['STALE', 'TOKEN-1']);
  });

  test('a second token errcode surfaces as a platform error: refresh and retry happen only once', async () => {
    const tokens = mockGettoken();
    const seen = mockSequence('get', FOLLOW, [fail(40014, 'invalid access_token')]);
    const { client } = makeClient({ tokenStore: storeWith('STALE') });

    await expect(client.customers.listFollowUsers()).rejects.toMatchObject({
      kind: 'platform',
      api: 'externalcontact/get_follow_user_list',
      errcode: 40014,
      meaning: 'invalid access_token',
    });
    expect(seen).toHaveLength(2);
    expect(tokens.calls).toHaveLength(1);
  });

  test('40001 on gettoken is a configuration error, not a token errcode', async () => {
    const gettoken = nock(BASE).get('/cgi-bin/gettoken').query(true).once().reply(200, { errcode: 40001, errmsg: 'invalid credential' });
    const seen = mockSequence('get', FOLLOW, [ok()]);
    const { client } = makeClient();

    const p = client.customers.listFollowUsers();
    await expect(p).rejects.toBeInstanceOf(WeComPlatformError);
    await expect(p).rejects.toMatchObject({ kind: 'platform', api: 'gettoken', errcode: 40001 });
    expect(seen).toHaveLength(0);
    expect(gettoken.isDone()).toBe(true);
  });

  test('single flight: 20 concurrent calls without a cached token make one gettoken request', async () => {
    const tokens = mockGettoken({ delayMs: 30 });
    const seen = mockSequence('get', FOLLOW, [ok({ follow_user: [] })]);
    const { client } = makeClient({ concurrencyPerApi: 20 });

    await Promise.all(Array.from({ length: 20 }, () => client.customers.listFollowUsers()));
    expect(tokens.calls).toHaveLength(1);
    expect(seen).toHaveLength(20);
    expect(new Set(seen.map((s) => s.token))).toEqual(new Set(['TOKEN-1']));
  });

  test('single flight in process: concurrent callers share one refresh without queueing on the store lock', async () => {
    mockGettoken({ delayMs: 30 });
    mockSequence('get', FOLLOW, [ok({ follow_user: [] })]);
    const store = new MemoryTokenStore();
    const withLock = jest.spyOn(store, 'withLock');
    const { client } = makeClient({ tokenStore: store, concurrencyPerApi: 20 });

    await Promise.all(Array.from({ length: 20 }, () => client.customers.listFollowUsers()));
    expect(withLock).toHaveBeenCalledTimes(1);
  });

  test('concurrent token refusals share one refresh', async () => {
    const tokens = mockGettoken({ delayMs: 20 });
    const requests: string[] = [];
    nock(BASE)
      .persist()
      .get(FOLLOW)
      .query(true)
      .reply((uri) => {
        const token = new URL(uri, BASE).searchParams.get('access_token') ?? '';
        requests.push(token);
        return token === 'STALE' ? fail(40014) : ok({ follow_user: [] });
      });
    const { client } = makeClient({ tokenStore: storeWith('STALE'), concurrencyPerApi: 10 });

    await Promise.all(Array.from({ length: 10 }, () => client.customers.listFollowUsers()));
    expect(tokens.calls).toHaveLength(1);
    expect(requests.filter((t) => t === 'STALE')).toHaveLength(10);
    expect(requests.filter((t) => t === 'TOKEN-1')).toHaveLength(10);
  });

  test('a refused token that another instance already replaced is not refreshed again', async () => {
    const tokens = mockGettoken();
    const seen = mockSequence('get', FOLLOW, [ok({ follow_user: [] }), fail(40014), ok({ follow_user: [] })]);
    const store = storeWith('OLD');
    const { client } = makeClient({ tokenStore: store });

    await client.customers.listFollowUsers();
    store.set('contact', { accessToken: 'NEW', expiresAt: new Date(Date.now() + 3600_000) });
    await client.customers.listFollowUsers();

    expect(seen.map((s) => s.token)).toEqual(['OLD', 'OLD', 'NEW']);
    expect(tokens.calls).toHaveLength(0);
    await expect(store.get('contact')).resolves.toMatchObject({ accessToken: 'NEW' });
  });

  test('the token travels only in the query string', async () => {
    mockGettoken();
    const seen = mockSequence('post', MARK_TAG, [ok()]);
    const { client } = makeClient();
    await client.tags.mark({ userid: 'liwei', external_userid: 'wmA', remove_tag: ['etX'] });
    expect(seen[0]!.token).toBe('TOKEN-1');
    expect(JSON.stringify(seen[0]!.body)).not.toContain('TOKEN-1');
    expect(seen[0]!.body).toEqual({ userid: 'liwei', external_userid: 'wmA', remove_tag: ['etX'] });
  });
});

describe('retries', () => {
  test.each([
    ['errcode -1', fail(-1, 'system busy')],
    ['errcode 45033', fail(45033, 'api concurrent out of limit')],
    ['HTTP 502', [502, 'Bad Gateway'] as [number, unknown]],
    ['a network error', 'network' as const],
  ])('an idempotent read is retried after %s', async (_label, failure) => {
    mockGettoken();
    const seen = mockSequence('get', FOLLOW, [failure, failure, ok({ follow_user: ['liwei'] })]);
    const { client } = makeClient();

    await expect(client.customers.listFollowUsers()).resolves.toEqual(['liwei']);
    expect(seen).toHaveLength(3);
  });

  test('retries of a read are bounded by the attempt count', async () => {
    mockGettoken();
    const seen = mockSequence('get', FOLLOW, [fail(-1, 'system busy')]);
    const { client } = makeClient({ retry: { attempts: 3, baseMs: 1, capMs: 2 } });

    await expect(client.customers.listFollowUsers()).rejects.toMatchObject({ kind: 'platform', errcode: -1 });
    expect(seen).toHaveLength(3);
  });

  test.each([
    ['errcode -1', fail(-1, 'system busy')],
    ['HTTP 503', [503, ''] as [number, unknown]],
    ['a network error', 'network' as const],
  ])('a non-idempotent write is not retried after %s', async (_label, failure) => {
    mockGettoken();
    const seen = mockSequence('post', MARK_TAG, [failure, ok()]);
    const { client } = makeClient();

    await expect(client.tags.mark({ userid: 'liwei', external_userid: 'wmA', add_tag: ['etVIP'] })).rejects.toBeInstanceOf(WeComError);
    expect(seen).toHaveLength(1);
  });

  test('transfer_customer is sent exactly once on errcode -1', async () => {
    mockGettoken();
    const seen = mockSequence('post', '/cgi-bin/externalcontact/transfer_customer', [fail(-1, 'system busy')]);
    const { client } = makeClient();

    await expect(
      client.transfers.transferCustomer({ handover_userid: 'liwei', takeover_userid: 'zhaoming', external_userid: ['wmA'] }),
    ).rejects.toMatchObject({ kind: 'platform', errcode: -1, api: 'externalcontact/transfer_customer' });
    expect(seen).toHaveLength(1);
  });

  test('45009 on a read waits the longer window once, then surfaces as rate limited', async () => {
    mockGettoken();
    const seen = mockSequence('get', FOLLOW, [fail(45009, 'api freq out of limit')]);
    const { client } = makeClient({ retry: { rateLimitWaitMs: 5, rateLimitRetries: 1 } });

    await expect(client.customers.listFollowUsers()).rejects.toMatchObject({ kind: 'rate_limited', errcode: 45009 });
    expect(seen).toHaveLength(2);
  });

  test('45009 on a write surfaces at once as rate limited', async () => {
    mockGettoken();
    const seen = mockSequence('post', MARK_TAG, [fail(45009, 'api freq out of limit')]);
    const { client } = makeClient();

    const p = client.tags.mark({ userid: 'liwei', external_userid: 'wmA', add_tag: ['etVIP'] });
    await expect(p).rejects.toBeInstanceOf(WeComRateLimitedError);
    await expect(p).rejects.toMatchObject({ kind: 'rate_limited', errcode: 45009, api: 'externalcontact/mark_tag' });
    expect(seen).toHaveLength(1);
  });

  test('per-API concurrency stays within the limit', async () => {
    mockGettoken();
    let inFlight = 0;
    let peak = 0;
    nock(BASE)
      .persist()
      .get(FOLLOW)
      .query(true)
      .reply(async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 15));
        inFlight -= 1;
        return ok({ follow_user: [] });
      });
    const { client } = makeClient({ concurrencyPerApi: 2 });

    await Promise.all(Array.from({ length: 7 }, () => client.customers.listFollowUsers()));
    expect(peak).toBe(2);
  });
});

describe('typed failures', () => {
  test('request: network error, with the socket code and no URL', async () => {
    mockGettoken();
    mockSequence('post', MARK_TAG, ['network']);
    const { client } = makeClient();

    const p = client.tags.mark({ userid: 'liwei', external_userid: 'wmA', add_tag: ['etVIP'] });
    await expect(p).rejects.toBeInstanceOf(WeComRequestError);
    await expect(p).rejects.toMatchObject({ kind: 'request', api: 'externalcontact/mark_tag', reason: 'ECONNRESET' });
    await expect(p).rejects.toThrow('WeCom externalcontact/mark_tag: request failed (ECONNRESET)');
  });

  test('request: a call slower than the timeout', async () => {
    mockGettoken();
    nock(BASE).get(FOLLOW).query(true).delay(500).reply(200, { errcode: 0, follow_user: [] });
    const { client } = makeClient({ timeoutMs: 50, retry: { attempts: 1 } });

    await expect(client.customers.listFollowUsers()).rejects.toMatchObject({ kind: 'request', reason: 'timeout' });
  });

  test('http: a non-2xx status; 404 is not retried', async () => {
    mockGettoken();
    const seen = mockSequence('get', FOLLOW, [[404, '']]);
    const { client } = makeClient();

    const p = client.customers.listFollowUsers();
    await expect(p).rejects.toBeInstanceOf(WeComHttpError);
    await expect(p).rejects.toMatchObject({ kind: 'http', status: 404, api: 'externalcontact/get_follow_user_list' });
    expect(seen).toHaveLength(1);
  });

  test('http: a 200 whose body is not JSON', async () => {
    mockGettoken();
    mockSequence('get', FOLLOW, [[200, '<html>maintenance</html>']]);
    const { client } = makeClient();
    await expect(client.customers.listFollowUsers()).rejects.toMatchObject({ kind: 'http', status: 200 });
  });

  test('platform: errcode with meaning; errmsg kept on the error but not in its message', async () => {
    mockGettoken();
    mockSequence('get', '/cgi-bin/externalcontact/get', [fail(40096, 'invalid external userid wmSECRETID')]);
    const { client } = makeClient();

    const p = client.customers.get('wmSECRETID');
    await expect(p).rejects.toBeInstanceOf(WeComPlatformError);
    await expect(p).rejects.toMatchObject({
      kind: 'platform',
      api: 'externalcontact/get',
      errcode: 40096,
      errmsg: 'invalid external userid wmSECRETID',
      meaning: 'invalid external_userid',
    });
    const err = await p.catch((e: unknown) => e);
    expect(isWeComError(err)).toBe(true);
    expect(errcodeOf(err)).toBe(40096);
    expect((err as Error).message).toBe('WeCom externalcontact/get: errcode 40096 (invalid external_userid)');
    expect(appErrorCode(err as WeComError)).toBe('wecom_error');
  });

  test('rate_limited maps to the wecom_rate_limited app code; errcodeOf is undefined for other errors', () => {
    expect(appErrorCode(new WeComRateLimitedError('x', { errcode: 45009 }))).toBe('wecom_rate_limited');
    expect(appErrorCode(new WeComPlatformError('x', 48002))).toBe('wecom_permission');
    expect(appErrorCode(new WeComRequestError('x', 'timeout'))).toBe('wecom_unavailable');
    expect(errcodeOf(new Error('boom'))).toBeUndefined();
    expect(isWeComError(new Error('boom'))).toBe(false);
  });
});

describe('typed APIs', () => {
  test('externalcontact/list turns 84061 (no customers) into an empty list', async () => {
    mockGettoken();
    mockSequence('get', '/cgi-bin/externalcontact/list', [fail(84061, 'not external contact')]);
    const { client } = makeClient();
    await expect(client.customers.list('liwei')).resolves.toEqual([]);
  });

  test('externalcontact/list keeps other errcodes', async () => {
    mockGettoken();
    mockSequence('get', '/cgi-bin/externalcontact/list', [fail(60011)]);
    const { client } = makeClient();
    await expect(client.customers.list('liwei')).rejects.toMatchObject({ errcode: 60011 });
  });

  test('externalcontact/get pages follow_user to the end', async () => {
    mockGettoken();
    const contact = { external_userid: 'wmA', name: 'Chen Jie', type: 1 };
    const seen: Array<string | null> = [];
    nock(BASE)
      .persist()
      .get('/cgi-bin/externalcontact/get')
      .query(true)
      .reply((uri) => {
        const cursor = new URL(uri, BASE).searchParams.get('cursor');
        seen.push(cursor);
        return cursor === 'c2'
          ? ok({ external_contact: contact, follow_user: [{ userid: 'u2', createtime: 2 }], next_cursor: '' })
          : ok({ external_contact: contact, follow_user: [{ userid: 'u1', createtime: 1 }], next_cursor: 'c2' });
      });
    const { client } = makeClient();

    const detail = await client.customers.get('wmA');
    expect(detail.external_contact.name).toBe('Chen Jie');
    expect(detail.follow_user.map((f) => f.userid)).toEqual(['u1', 'u2']);
    expect(seen).toEqual([null, 'c2']);
  });

  test('batch/get_by_user iterator follows cursors and splits >100 userids into batches', async () => {
    mockGettoken();
    const bodies: Array<{ userid_list: string[]; cursor: string; limit: number }> = [];
    nock(BASE)
      .persist()
      .post('/cgi-bin/externalcontact/batch/get_by_user')
      .query(true)
      .reply((_uri, body) => {
        const b = body as { userid_list: string[]; cursor: string; limit: number };
        bodies.push(b);
        const next = b.cursor === '' ? 'p2' : b.cursor === 'p2' ? 'p3' : '';
        const rel = { external_contact: { external_userid: `wm-${b.userid_list[0]}-${b.cursor}`, name: 'x', type: 1 }, follow_info: { userid: b.userid_list[0], createtime: 1 } };
        return ok({ external_contact_list: [rel], next_cursor: next });
      });
    const { client } = makeClient();
    const userids = Array.from({ length: 150 }, (_, i) => `u${i}`);

    const pages = [];
    for await (const page of client.customers.iterateByUser(userids, 500)) pages.push(page);

    expect(pages).toHaveLength(6);
    expect(bodies.map((b) => [b.userid_list.length, b.cursor])).toEqual([
      [100, ''], [100, 'p2'], [100, 'p3'], [50, ''], [50, 'p2'], [50, 'p3'],
    ]);
    expect(bodies.every((b) => b.limit === 100)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBe('');
  });

  test('batch/get_by_user rejects more than 100 userids before calling WeCom', async () => {
    const { client } = makeClient();
    const userid_list = Array.from({ length: 101 }, (_, i) => `u${i}`);
    await expect(client.customers.batchGetByUser({ userid_list })).rejects.toThrow(RangeError);
  });

  test('groupchat/list validates limit and owner_filter, and groupchat/get asks for names', async () => {
    mockGettoken();
    const listBodies = mockSequence('post', '/cgi-bin/externalcontact/groupchat/list', [ok({ group_chat_list: [{ chat_id: 'wr1', status: 0 }], next_cursor: '' })]);
    const getBodies = mockSequence('post', '/cgi-bin/externalcontact/groupchat/get', [ok({ group_chat: { chat_id: 'wr1', owner: 'liwei', create_time: 1, member_list: [] } })]);
    const { client } = makeClient();

    await expect(client.groupChats.list({ limit: 1001 })).rejects.toThrow(RangeError);
    await expect(client.groupChats.list({ owner_filter: { userid_list: Array.from({ length: 101 }, (_, i) => `u${i}`) } })).rejects.toThrow(RangeError);
    await expect(client.groupChats.list({ owner_filter: { userid_list: ['liwei'] }, status_filter: 1 })).resolves.toEqual({
      items: [{ chat_id: 'wr1', status: 0 }],
      nextCursor: '',
    });
    await expect(client.groupChats.get('wr1')).resolves.toMatchObject({ chat_id: 'wr1', owner: 'liwei' });
    expect(listBodies.map((b) => b.body)).toEqual([{ status_filter: 1, owner_filter: { userid_list: ['liwei'] }, cursor: '', limit: 1000 }]);
    expect(getBodies[0]!.body).toEqual({ chat_id: 'wr1', need_name: 1 });
  });

  test('message/send uses the app secret and agentid, and joins recipients with |', async () => {
    const tokens = mockGettoken();
    const seen = mockSequence('post', '/cgi-bin/message/send', [ok({ invaliduser: 'ghost', msgid: 'm1' })]);
    const { client } = makeClient();

    await expect(
      client.messages.sendAppMessage({ touser: ['liwei', 'zhaoming', 'ghost'], msgtype: 'text', text: { content: 'hello' } }),
    ).resolves.toEqual({ invaliduser: 'ghost', msgid: 'm1' });
    expect(tokens.calls).toEqual(['agent']);
    expect(seen[0]!.body).toEqual({ touser: 'liwei|zhaoming|ghost', msgtype: 'text', text: { content: 'hello' }, agentid: 1000002 });
  });

  test('without a contact secret, customer-contact calls use the app secret', async () => {
    const tokens = mockGettoken();
    mockSequence('get', FOLLOW, [ok({ follow_user: [] })]);
    const { client } = makeClient({ secrets: { agent: AGENT_SECRET } });

    await client.customers.listFollowUsers();
    expect(tokens.calls).toEqual(['agent']);
  });

  test('message/send without an agent secret is a configuration error, not a call', async () => {
    const { client } = makeClient({ secrets: { contact: CONTACT_SECRET } });
    await expect(client.messages.sendAppMessage({ touser: ['liwei'], msgtype: 'text', text: { content: 'x' } })).rejects.toThrow(
      /WECOM_AGENT_SECRET/,
    );
  });
});

describe('observability', () => {
  test('logs never contain the secret, the access token or customer data', async () => {
    let out = '';
    const logger = createLogger('trace', { write: (chunk: string) => void (out += chunk) });
    mockGettoken();
    nock(BASE)
      .persist()
      .get('/cgi-bin/externalcontact/get')
      .query(true)
      .reply((uri) => {
        const id = new URL(uri, BASE).searchParams.get('external_userid');
        if (id === 'wmBAD') return fail(40096, 'invalid external userid for Chen Jie 13800000000');
        if (id === 'wmBUSY') return fail(-1, 'system busy');
        return ok({
          external_contact: { external_userid: 'wmA', name: 'Chen Jie', type: 1 },
          follow_user: [{ userid: 'liwei', remark: 'Chen (Acme)', remark_mobiles: ['13800000000'], createtime: 1 }],
        });
      });
    mockSequence('get', FOLLOW, [fail(42001, 'access_token expired'), ok({ follow_user: [] })]);
    mockSequence('post', MARK_TAG, ['network']);
    const { client } = makeClient({ logger, tokenStore: storeWith('STALE-TOKEN-SECRET'), retry: { attempts: 2, baseMs: 1, capMs: 2 } });

    await expect(client.customers.get('wmA')).resolves.toMatchObject({ external_contact: { name: 'Chen Jie' } });
    const failed = await client.customers.get('wmBAD').catch((e: unknown) => e);
    await expect(client.customers.get('wmBUSY')).rejects.toMatchObject({ errcode: -1 });
    await client.customers.listFollowUsers();
    await expect(client.tags.mark({ userid: 'liwei', external_userid: 'wmA', add_tag: ['et1'] })).rejects.toMatchObject({ kind: 'request' });
    // What a caller typically does with a failure: it must not leak either.
    logger.error({ err: failed }, 'customer fetch failed');

    expect(out).toContain('externalcontact/get');
    expect(out).toContain('wecom call failed; retrying');
    expect(out).toContain('WeCom externalcontact/get: errcode 40096');
    for (const secret of [CONTACT_SECRET, AGENT_SECRET, 'STALE-TOKEN-SECRET', 'TOKEN-1', 'Chen Jie', '13800000000', 'Chen (Acme)']) {
      expect(out).not.toContain(secret);
    }
  });

  test('every HTTP attempt is counted by API path and outcome', async () => {
    mockGettoken();
    mockSequence('get', FOLLOW, [fail(-1), 'network', ok({ follow_user: [] })]);
    mockSequence('get', '/cgi-bin/externalcontact/list', [fail(84061)]);
    const api = 'externalcontact/get_follow_user_list';
    const before = {
      ok: await counterValue({ api, outcome: 'ok' }),
      busy: await counterValue({ api, outcome: 'errcode_-1' }),
      network: await counterValue({ api, outcome: 'network_error' }),
      noRelation: await counterValue({ api: 'externalcontact/list', outcome: 'errcode_84061' }),
    };
    const { client } = makeClient();

    await client.customers.listFollowUsers();
    await client.customers.list('liwei');

    expect(await counterValue({ api, outcome: 'ok' })).toBe(before.ok + 1);
    expect(await counterValue({ api, outcome: 'errcode_-1' })).toBe(before.busy + 1);
    expect(await counterValue({ api, outcome: 'network_error' })).toBe(before.network + 1);
    expect(await counterValue({ api: 'externalcontact/list', outcome: 'errcode_84061' })).toBe(before.noRelation + 1);
  });
});
