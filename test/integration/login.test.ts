import { getTestDb } from '../helpers/db';
import { eventually } from '../helpers/service';
import { startWorld, syncNow, type TestWorld } from '../helpers/world';

/**
 * Sign-in end to end against the simulator, as a browser does it: our
 * /auth/login → WeCom's page (the simulator's) → choose an employee → our
 * /auth/callback with code and state → a session cookie → /api/me.
 */

jest.setTimeout(60_000);

let database: Awaited<ReturnType<typeof getTestDb>>;
let w: TestWorld;
let employee: { userid: string; name: string };

beforeAll(async () => {
  database = await getTestDb();
  w = await startWorld(database);
  await syncNow(w);
  const t = w.sim.truth();
  employee = t.employees.find((e) => e.status === 1)!;
});
afterAll(async () => {
  await w?.close();
  await database?.close();
});

/** A cookie jar of one browser. */
class Browser {
  jar = new Map<string, string>();
  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async get(url: string, extra: Record<string, string> = {}) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: this.cookieHeader(), ...extra } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=');
      if (v) this.jar.set(k!, v);
      else this.jar.delete(k!);
    }
    return res;
  }
}

/** Our /auth/login (or the sidebar's) → WeCom's page → the employee's link: answers our callback URL with code and state. */
async function throughWeCom(b: Browser, start: string, userid: string): Promise<string> {
  const login = await b.get(`${w.service.url}${start}`);
  expect(login.status).toBe(302);
  const page = login.headers.get('location')!;
  const html = await (await b.get(page)).text();
  expect(html).toContain('企业微信模拟器');
  const link = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).find((h) => h.includes(`userid=${encodeURIComponent(userid)}`));
  expect(link).toBeDefined();
  const chosen = await b.get(new URL(link!, page).toString());
  expect(chosen.status).toBe(302);
  const callback = chosen.headers.get('location')!;
  expect(callback.startsWith(`${w.service.url}/auth/callback?`)).toBe(true);
  return callback;
}

describe('WeCom sign-in', () => {
  it('web login: code exchange opens a session; the same callback again is refused', async () => {
    const b = new Browser();
    const callback = await throughWeCom(b, '/auth/login?returnTo=/customers', employee.userid);
    const done = await b.get(callback);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/customers');
    const setCookies = done.headers.getSetCookie().join('\n');
    expect(setCookies).toMatch(/lifelong_session=[^;]+;.*httponly/i);
    expect(setCookies).toMatch(/samesite=lax/i);
    const me = (await (await b.get(`${w.service.url}/api/me`)).json()) as any;
    expect(me).toMatchObject({ userId: employee.userid, name: employee.name, via: 'session' });
    expect(me.csrfToken).toBe(b.jar.get('lifelong_csrf'));

    const replay = await b.get(callback);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as any).error.code).toBe('login_failed');
  });

  it('a replayed code with a fresh state is refused by WeCom (40029)', async () => {
    const b = new Browser();
    const first = await throughWeCom(b, '/auth/login', employee.userid);
    expect((await b.get(first)).status).toBe(302);
    const code = new URL(first).searchParams.get('code')!;
    const login = await b.get(`${w.service.url}/auth/login`);
    const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
    const r = await b.get(`${w.service.url}/auth/callback?code=${code}&state=${state}`);
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).error.message).toContain('40029');
  });

  it('a wrong state, or a state from another browser, is refused before the code is spent', async () => {
    const b = new Browser();
    const callback = new URL(await throughWeCom(b, '/auth/login', employee.userid));
    const wrong = new URL(callback);
    wrong.searchParams.set('state', 'forged');
    expect((await b.get(wrong.toString())).status).toBe(401);
    const other = new Browser();
    expect((await other.get(callback.toString())).status).toBe(401);
    expect((await other.get(`${w.service.url}/api/me`)).status).toBe(401);
  });

  it('the sidebar signs in through OAuth2 and lands on /sidebar', async () => {
    const b = new Browser();
    const login = await b.get(`${w.service.url}/auth/sidebar/login`);
    const target = new URL(login.headers.get('location')!);
    expect(target.pathname).toBe('/connect/oauth2/authorize');
    expect(target.searchParams.get('scope')).toBe('snsapi_base');
    expect(target.searchParams.get('response_type')).toBe('code');
    const callback = await throughWeCom(b, '/auth/sidebar/login', employee.userid);
    const done = await b.get(callback);
    expect(done.headers.get('location')).toBe('/sidebar');
    expect(((await (await b.get(`${w.service.url}/api/me`)).json()) as any).userId).toBe(employee.userid);
  });

  it('returnTo cannot send the browser off-site', async () => {
    const b = new Browser();
    const callback = await throughWeCom(b, '/auth/login?returnTo=//evil.example.com/x', employee.userid);
    expect((await b.get(callback)).headers.get('location')).toBe('/');
  });

  it("a departed employee's session dies with the callback that says so", async () => {
    const leaver = w.sim.truth().employees.find((e) => e.status === 1 && e.userid !== employee.userid)!;
    const b = new Browser();
    expect((await b.get(await throughWeCom(b, '/auth/login', leaver.userid))).status).toBe(302);
    expect((await b.get(`${w.service.url}/api/me`)).status).toBe(200);
    w.sim.act('employeeLeaves', { userid: leaver.userid });
    await eventually(async () => (await b.get(`${w.service.url}/api/me`)).status === 401, 20_000);
    // And they cannot sign in again.
    const page = await b.get(`${w.service.url}/auth/login`);
    const html = await (await b.get(page.headers.get('location')!)).text();
    expect(html).not.toContain(`userid=${encodeURIComponent(leaver.userid)}`);
  });
});
