/** client.auth.exchangeLoginCode (auth/getuserinfo) against nock: app token, answers, and what is (not) retried. */
import nock from 'nock';
import { ConfigError } from '../../src/lib/config';
import { createLogger } from '../../src/lib/logger';
import {
  MemoryTokenStore, WeComClient, WeComHttpError, WeComPlatformError, appErrorCode, isInvalidLoginCode, type WeComClientOptions,
} from '../../src/wecom/client';

const BASE = 'http://wecom.test';
const CORP = 'wwtestcorp0001';
const CONTACT_SECRET = 'contact-secret-7Hq2';
const AGENT_SECRET = 'agent-secret-P9zX';
const PATH = '/cgi-bin/auth/getuserinfo';

/** gettoken: TOKEN-<secret kind>-<n>, recording which secret asked. */
function mockGettoken(): string[] {
  const calls: string[] = [];
  nock(BASE).persist().get('/cgi-bin/gettoken').query(true).reply((uri) => {
    const q = new URL(uri, BASE).searchParams;
    const kind = q.get('corpsecret') === AGENT_SECRET ? 'agent' : q.get('corpsecret') === CONTACT_SECRET ? 'contact' : undefined;
    if (!kind || q.get('corpid') !== CORP) return [200, { errcode: 40001, errmsg: 'invalid credential' }];
    calls.push(kind);
    return [200, { errcode: 0, errmsg: 'ok', access_token: `TOKEN-${kind}-${calls.length}`, expires_in: 7200 }];
  });
  return calls;
}

/** Answers getuserinfo with `replies` in order (the last repeats) and records token and code of each request. */
function mockGetUserInfo(replies: Array<[number, unknown] | { slowMs: number }>) {
  const seen: Array<{ token: string | null; code: string | null }> = [];
  replies.forEach((r, i) => {
    const scope = i === replies.length - 1 ? nock(BASE).persist() : nock(BASE);
    scope.on('request', (req: { path: string }) => {
      const q = new URL(req.path, BASE).searchParams;
      seen.push({ token: q.get('access_token'), code: q.get('code') });
    });
    const interceptor = scope.get(PATH).query(true);
    // A slow answer rather than nock's replyWithError: the latter leaves an unhandled socket error behind under load.
    if ('slowMs' in r) interceptor.delay(r.slowMs).reply(200, { errcode: 0, errmsg: 'ok', userid: 'late' });
    else interceptor.reply(r[0], r[1] as nock.Body);
  });
  return seen;
}

const makeClient = (over: Partial<WeComClientOptions> = {}) => new WeComClient({
  baseUrl: BASE, corpId: CORP, secrets: { contact: CONTACT_SECRET, agent: AGENT_SECRET }, agentId: 1000002,
  tokenStore: new MemoryTokenStore(), logger: createLogger('silent'), retry: { baseMs: 1, capMs: 4, rateLimitWaitMs: 5 }, ...over,
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('auth.exchangeLoginCode', () => {
  test('a member: the app (agent) token, the code as a query parameter, the userid back', async () => {
    const tokens = mockGettoken();
    const seen = mockGetUserInfo([[200, { errcode: 0, errmsg: 'ok', userid: 'liwei' }]]);
    await expect(makeClient().auth.exchangeLoginCode('CODE-1')).resolves.toEqual({ kind: 'member', userId: 'liwei' });
    expect(tokens).toEqual(['agent']);
    expect(seen).toEqual([{ token: 'TOKEN-agent-1', code: 'CODE-1' }]);
  });

  test('user_ticket (snsapi_privateinfo) and a non-member (openid) are told apart', async () => {
    mockGettoken();
    mockGetUserInfo([
      [200, { errcode: 0, errmsg: 'ok', userid: 'liwei', user_ticket: 'TICKET' }],
      [200, { errcode: 0, errmsg: 'ok', openid: 'oAbc', external_userid: 'wmXyz' }],
    ]);
    const client = makeClient();
    await expect(client.auth.exchangeLoginCode('A')).resolves.toEqual({ kind: 'member', userId: 'liwei', userTicket: 'TICKET' });
    await expect(client.auth.exchangeLoginCode('B')).resolves.toEqual({ kind: 'non_member', openId: 'oAbc', externalUserId: 'wmXyz' });
  });

  test('40029 (bad, used or expired code) surfaces at once as a platform error, recognisable and not retried', async () => {
    mockGettoken();
    const seen = mockGetUserInfo([[200, { errcode: 40029, errmsg: 'invalid code, hint: [x]' }]]);
    const failure = makeClient().auth.exchangeLoginCode('USED');
    await expect(failure).rejects.toBeInstanceOf(WeComPlatformError);
    await expect(failure).rejects.toMatchObject({ kind: 'platform', errcode: 40029, api: 'auth/getuserinfo' });
    const err = (await failure.catch((e: unknown) => e)) as WeComPlatformError;
    expect(isInvalidLoginCode(err)).toBe(true);
    expect(appErrorCode(err)).toBe('wecom_error');
    expect(seen).toHaveLength(1);
    expect(isInvalidLoginCode(new WeComPlatformError('auth/getuserinfo', 60020))).toBe(false);
    expect(isInvalidLoginCode(new Error('x'))).toBe(false);
  });

  test('transient failures are not retried either: the first attempt may have used the code up', async () => {
    mockGettoken();
    const slow = mockGetUserInfo([{ slowMs: 300 }, [200, { errcode: 0, errmsg: 'ok', userid: 'liwei' }]]);
    await expect(makeClient({ timeoutMs: 50 }).auth.exchangeLoginCode('C')).rejects.toMatchObject({ kind: 'request', reason: 'timeout' });
    expect(slow).toHaveLength(1);
    nock.cleanAll();
    mockGettoken();
    const busy = mockGetUserInfo([[200, { errcode: -1, errmsg: 'system busy' }], [200, { errcode: 0, errmsg: 'ok', userid: 'liwei' }]]);
    await expect(makeClient().auth.exchangeLoginCode('D')).rejects.toMatchObject({ errcode: -1 });
    expect(busy).toHaveLength(1);
  });

  test('a refused token (42001) is refreshed and the exchange retried once', async () => {
    const tokens = mockGettoken();
    const seen = mockGetUserInfo([[200, { errcode: 42001, errmsg: 'access_token expired' }], [200, { errcode: 0, errmsg: 'ok', userid: 'liwei' }]]);
    await expect(makeClient().auth.exchangeLoginCode('E')).resolves.toEqual({ kind: 'member', userId: 'liwei' });
    expect(tokens).toEqual(['agent', 'agent']);
    expect(seen.map((s) => s.token)).toEqual(['TOKEN-agent-1', 'TOKEN-agent-2']);
  });

  test('60020 (untrusted IP) maps to a permission problem; no agent secret is a ConfigError; an empty success is an http error', async () => {
    mockGettoken();
    mockGetUserInfo([[200, { errcode: 60020, errmsg: 'not allow to access from your ip' }]]);
    const ip = (await makeClient().auth.exchangeLoginCode('F').catch((e: unknown) => e)) as WeComPlatformError;
    expect(ip).toMatchObject({ errcode: 60020 });
    expect(appErrorCode(ip)).toBe('wecom_permission');

    await expect(makeClient({ secrets: { contact: CONTACT_SECRET } }).auth.exchangeLoginCode('G')).rejects.toBeInstanceOf(ConfigError);

    nock.cleanAll();
    mockGettoken();
    mockGetUserInfo([[200, { errcode: 0, errmsg: 'ok' }]]);
    await expect(makeClient().auth.exchangeLoginCode('H')).rejects.toBeInstanceOf(WeComHttpError);
  });
});
