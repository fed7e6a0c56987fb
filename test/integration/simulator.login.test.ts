/**
 * WeCom sign-in against the simulator over real HTTP: the authorize pages (web
 * login and OAuth2) list the corp's employees, choosing one redirects with a
 * one-time code, and the real client exchanges it through auth/getuserinfo.
 */
import axios, { type AxiosInstance } from 'axios';
import { createLogger } from '../../src/lib/logger';
import {
  createSimulator, demoSimulatorOptions, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CONTACT_SECRET, DEMO_CORP_ID, SIGN_IN_CODE_TTL_SECONDS,
  type Simulator,
} from '../../src/simulator';
import { isInvalidLoginCode, MemoryTokenStore, WeComClient } from '../../src/wecom/client';

const T0 = Date.parse('2026-04-01T02:00:00Z');
/** Where the service would receive the code; a loopback host, trusted by default. */
const REDIRECT = 'http://127.0.0.1:3000/auth/wecom/callback?next=%2Fcustomers';

let sim: Simulator;
let raw: AxiosInstance;
let client: WeComClient;

beforeEach(async () => {
  sim = createSimulator(demoSimulatorOptions({
    seed: 11,
    // A frozen base clock: only advanceTime moves simulated time (code expiry).
    clock: { now: () => new Date(T0) },
    counts: { employees: 8, customers: 50, groups: 2, departments: 3 },
  }));
  const { url } = await sim.listen();
  raw = axios.create({ baseURL: url, validateStatus: () => true, maxRedirects: 0, proxy: false });
  client = new WeComClient({
    baseUrl: url, corpId: DEMO_CORP_ID, secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET }, agentId: DEMO_AGENT_ID,
    tokenStore: new MemoryTokenStore(), logger: createLogger('silent'), retry: { baseMs: 1, capMs: 4, rateLimitWaitMs: 5 },
  });
});

afterEach(async () => {
  await sim.close();
});

const ssoParams = (over: Record<string, string> = {}) => ({
  login_type: 'CorpApp', appid: DEMO_CORP_ID, agentid: String(DEMO_AGENT_ID), redirect_uri: REDIRECT, state: 'st-42', ...over,
});
const oauthParams = (over: Record<string, string> = {}) => ({
  appid: DEMO_CORP_ID, redirect_uri: REDIRECT, response_type: 'code', scope: 'snsapi_base', state: 'side-7', agentid: String(DEMO_AGENT_ID), ...over,
});

/** The choose link of `userid` on a page, as a browser would resolve it (entities decoded). */
function chooseLink(html: string, userid: string): string {
  const links = [...html.matchAll(/<a class="choose" href="([^"]+)">/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  const link = links.find((l) => new URLSearchParams(l.split('?')[1]).get('userid') === userid);
  if (!link) throw new Error(`no choose link for ${userid}`);
  return link;
}

/** Page → click the employee → the 302's Location, parsed. */
async function signIn(path: string, params: Record<string, string>, userid: string): Promise<URL> {
  const page = await raw.get(path, { params });
  expect(page.status).toBe(200);
  const redirect = await raw.get(chooseLink(page.data as string, userid));
  expect(redirect.status).toBe(302);
  return new URL(redirect.headers.location as string);
}

const firstActive = () => sim.world.activeEmployees().find((e) => e.status === 1)!;

describe('web login page (/wwlogin/sso/login)', () => {
  it('lists the active employees with departments and leaders under the simulator banner', async () => {
    const res = await raw.get('/wwlogin/sso/login', { params: ssoParams() });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.data as string;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('企业微信模拟器 — 演示登录，不是真实的企业微信');
    const employees = sim.world.activeEmployees();
    expect(employees.length).toBeGreaterThan(0);
    for (const e of employees) {
      expect(html).toContain(e.name);
      expect(html).toContain(e.userid);
      for (const d of e.department) expect(html).toContain(sim.world.departments.get(d)!.name);
    }
    // Some seeded employee leads a department, and the page says so.
    expect(employees.some((e) => e.is_leader_in_dept.includes(1))).toBe(true);
    expect(html).toContain('<span class="lead">负责人</span>');
    expect([...html.matchAll(/class="choose"/g)]).toHaveLength(employees.filter((e) => e.status === 1).length);
  });

  it('redirects to redirect_uri with a code and the same state, keeping its query; the client exchanges the code once', async () => {
    const who = firstActive();
    const to = await signIn('/wwlogin/sso/login', ssoParams(), who.userid);
    expect(`${to.origin}${to.pathname}`).toBe('http://127.0.0.1:3000/auth/wecom/callback');
    expect(to.searchParams.get('next')).toBe('/customers');
    expect(to.searchParams.get('state')).toBe('st-42');
    const code = to.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(sim.signInCodes()).toEqual([expect.objectContaining({ code, userid: who.userid, agentid: DEMO_AGENT_ID, flow: 'sso' })]);

    await expect(client.auth.exchangeLoginCode(code)).resolves.toEqual({ kind: 'member', userId: who.userid });

    // Single use: the second exchange is 40029, and the client does not retry it.
    const again = client.auth.exchangeLoginCode(code);
    await expect(again).rejects.toMatchObject({ kind: 'platform', errcode: 40029, api: 'auth/getuserinfo' });
    expect(isInvalidLoginCode(await again.catch((e: unknown) => e))).toBe(true);
    expect(sim.calls.count('auth/getuserinfo')).toBe(2);
    expect(sim.signInCodes()).toEqual([]);
  });

  it('codes expire after 5 simulated minutes', async () => {
    const who = firstActive();
    const early = (await signIn('/wwlogin/sso/login', ssoParams(), who.userid)).searchParams.get('code')!;
    const late = (await signIn('/wwlogin/sso/login', ssoParams(), who.userid)).searchParams.get('code')!;
    expect(early).not.toBe(late);
    sim.advanceTime(SIGN_IN_CODE_TTL_SECONDS * 1000 - 1000);
    await expect(client.auth.exchangeLoginCode(early)).resolves.toEqual({ kind: 'member', userId: who.userid });
    sim.advanceTime(2000);
    await expect(client.auth.exchangeLoginCode(late)).rejects.toMatchObject({ errcode: 40029 });
  });

  it('refuses a redirect_uri outside the trusted domains with a 50001 page, and trusts what the control adds', async () => {
    const foreign = { redirect_uri: 'https://crm.example.com/auth/wecom/callback' };
    const refused = await raw.get('/wwlogin/sso/login', { params: ssoParams(foreign) });
    expect(refused.status).toBe(400);
    expect(refused.headers['error-code']).toBe('50001');
    expect(refused.data).toContain('50001');
    expect(refused.data).toContain('企业微信模拟器');
    expect(refused.data).not.toContain('class="choose"');
    // The choose step checks again: no code for a hand-made link either.
    const forged = await raw.get('/wwlogin/sso/choose', { params: { ...ssoParams(foreign), userid: firstActive().userid } });
    expect(forged.status).toBe(400);
    expect(forged.headers.location).toBeUndefined();
    expect(sim.signInCodes()).toEqual([]);

    const set = await raw.post('/__sim/sign-in', { trustedDomains: ['CRM.example.com'] });
    expect(set.status).toBe(200);
    expect(set.data.settings).toEqual({ trustedDomains: ['crm.example.com'], trustLoopback: true, trustedIps: null });
    const to = await signIn('/wwlogin/sso/login', ssoParams(foreign), firstActive().userid);
    expect(to.origin).toBe('https://crm.example.com');

    // Loopback can be distrusted too.
    await raw.post('/__sim/sign-in', { trustLoopback: false });
    const local = await raw.get('/wwlogin/sso/login', { params: ssoParams() });
    expect(local.status).toBe(400);
    expect(local.headers['error-code']).toBe('50001');
  });

  it('refuses another corp id (40013), another agentid (40056) and a bad control patch', async () => {
    const wrongCorp = await raw.get('/wwlogin/sso/login', { params: ssoParams({ appid: 'wwsomeoneelse' }) });
    expect(wrongCorp.status).toBe(400);
    expect(wrongCorp.headers['error-code']).toBe('40013');
    expect(wrongCorp.data).toContain('40013');
    const wrongAgent = await raw.get('/wwlogin/sso/login', { params: ssoParams({ agentid: '1000999' }) });
    expect(wrongAgent.headers['error-code']).toBe('40056');
    const badPatch = await raw.post('/__sim/sign-in', { trustedIps: ['not-an-ip'] });
    expect(badPatch.status).toBe(400);
  });

  it('escapes what it echoes: state and appid cannot inject markup', async () => {
    const state = '"><script>alert(1)</script>';
    const page = await raw.get('/wwlogin/sso/login', { params: ssoParams({ state }) });
    expect(page.status).toBe(200);
    expect(page.data).not.toContain('<script>');
    const to = await signIn('/wwlogin/sso/login', ssoParams({ state }), firstActive().userid);
    expect(to.searchParams.get('state')).toBe(state);
    const bad = await raw.get('/wwlogin/sso/login', { params: ssoParams({ appid: '<img src=x onerror=alert(1)>' }) });
    expect(bad.data).not.toContain('<img');
    expect(bad.data).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('auth/getuserinfo', () => {
  it('answers 60020 from an IP outside the app\'s trusted IPs, without using up the code', async () => {
    const who = firstActive();
    const code = (await signIn('/wwlogin/sso/login', ssoParams(), who.userid)).searchParams.get('code')!;
    await raw.post('/__sim/sign-in', { trustedIps: ['10.1.2.3'] });
    await expect(client.auth.exchangeLoginCode(code)).rejects.toMatchObject({ kind: 'platform', errcode: 60020 });
    await raw.post('/__sim/sign-in', { trustedIps: ['127.0.0.1'] });
    await expect(client.auth.exchangeLoginCode(code)).resolves.toEqual({ kind: 'member', userId: who.userid });
  });

  it('needs the app\'s token: the 客户联系 secret\'s token gets 40029 and leaves the code usable; no code → 41008', async () => {
    const who = firstActive();
    const code = (await signIn('/wwlogin/sso/login', ssoParams(), who.userid)).searchParams.get('code')!;
    const token = async (corpsecret: string) => (await raw.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret } })).data.access_token as string;
    const contact = await raw.get('/cgi-bin/auth/getuserinfo', { params: { access_token: await token(DEMO_CONTACT_SECRET), code } });
    expect(contact.data).toMatchObject({ errcode: 40029 });
    expect(contact.data.errmsg).toMatch(/^invalid code, hint: /);
    const agent = await token(DEMO_AGENT_SECRET);
    const missing = await raw.get('/cgi-bin/auth/getuserinfo', { params: { access_token: agent } });
    expect(missing.data).toMatchObject({ errcode: 41008 });
    const ok = await raw.get('/cgi-bin/auth/getuserinfo', { params: { access_token: agent, code } });
    expect(ok.data).toEqual({ errcode: 0, errmsg: 'ok', userid: who.userid });
  });

  it('refreshes a refused token once and then exchanges the code (42001 is not the code\'s fault)', async () => {
    const who = firstActive();
    const code = (await signIn('/wwlogin/sso/login', ssoParams(), who.userid)).searchParams.get('code')!;
    await client.auth.exchangeLoginCode((await signIn('/wwlogin/sso/login', ssoParams(), who.userid)).searchParams.get('code')!);
    sim.expireTokens();
    await expect(client.auth.exchangeLoginCode(code)).resolves.toEqual({ kind: 'member', userId: who.userid });
  });
});

describe('OAuth2 page (/connect/oauth2/authorize)', () => {
  it('works the same: employees listed, 302 with code and state, code exchanged once', async () => {
    const page = await raw.get('/connect/oauth2/authorize', { params: oauthParams() });
    expect(page.status).toBe(200);
    expect(page.data).toContain('企业微信模拟器 — 演示登录，不是真实的企业微信');
    const who = sim.world.activeEmployees().filter((e) => e.status === 1).at(-1)!;
    expect(page.data).toContain(who.name);
    const to = await signIn('/connect/oauth2/authorize', oauthParams(), who.userid);
    expect(to.searchParams.get('state')).toBe('side-7');
    expect(to.searchParams.get('next')).toBe('/customers');
    const code = to.searchParams.get('code')!;
    expect(sim.signInCodes()).toEqual([expect.objectContaining({ code, flow: 'oauth2', userid: who.userid })]);
    await expect(client.auth.exchangeLoginCode(code)).resolves.toEqual({ kind: 'member', userId: who.userid });
    await expect(client.auth.exchangeLoginCode(code)).rejects.toMatchObject({ errcode: 40029 });
  });

  it('validates like WeCom: wrong appid 40013, untrusted redirect 50001, bad scope 40058', async () => {
    const corp = await raw.get('/connect/oauth2/authorize', { params: oauthParams({ appid: 'wwother' }) });
    expect(corp.headers['error-code']).toBe('40013');
    const domain = await raw.get('/connect/oauth2/authorize', { params: oauthParams({ redirect_uri: 'https://evil.example.net/cb' }) });
    expect(domain.status).toBe(400);
    expect(domain.headers['error-code']).toBe('50001');
    expect(domain.data).toContain('50001');
    const scope = await raw.get('/connect/oauth2/authorize', { params: oauthParams({ scope: 'snsapi_userinfo' }) });
    expect(scope.headers['error-code']).toBe('40058');
  });
});
