/**
 * The WeCom simulator over real HTTP on port 0: seeding, tokens, paging rules,
 * errcodes, fault injection, call counting and callback delivery to a local
 * receiver (decrypted and signature-checked with @wecom/crypto).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt, getSignature } from '@wecom/crypto';
import axios, { type AxiosInstance } from 'axios';
import { parseStringPromise } from 'xml2js';
import {
  createSimulator, demoSimulatorOptions, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET,
  DEMO_CORP_ID, seedWorld, type Simulator, type SimulatorOptions, startWorldStream,
} from '../../src/simulator';

type Json = Record<string, any>;

const baseOptions = (over: Partial<SimulatorOptions> = {}): SimulatorOptions => ({
  corpId: DEMO_CORP_ID,
  agentId: DEMO_AGENT_ID,
  secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET },
  callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, retrySpacingMs: 20, timeoutMs: 2000 },
  seed: 7,
  counts: { employees: 30, departments: 6, customers: 1500, groups: 40, tagGroups: 4, tags: 16, sharedCustomerRatio: 0.15 },
  ...over,
});

interface Harness {
  sim: Simulator;
  url: string;
  http: AxiosInstance;
  token(kind?: 'contact' | 'agent'): Promise<string>;
  get(api: string, params?: Json, kind?: 'contact' | 'agent'): Promise<Json>;
  post(api: string, body: Json, kind?: 'contact' | 'agent'): Promise<Json>;
}

async function start(over: Partial<SimulatorOptions> = {}): Promise<Harness> {
  const sim = createSimulator(baseOptions(over));
  const { url } = await sim.listen(0);
  const client = axios.create({ baseURL: url, validateStatus: () => true, proxy: false });
  const token = async (kind: 'contact' | 'agent' = 'contact') => {
    const res = await client.get('/cgi-bin/gettoken', {
      params: { corpid: DEMO_CORP_ID, corpsecret: kind === 'contact' ? DEMO_CONTACT_SECRET : DEMO_AGENT_SECRET },
    });
    expect(res.data.errcode).toBe(0);
    return res.data.access_token as string;
  };
  return {
    sim, url, http: client, token,
    get: async (api, params = {}, kind = 'contact') =>
      (await client.get(`/cgi-bin/${api}`, { params: { access_token: await token(kind), ...params } })).data,
    post: async (api, body, kind = 'contact') =>
      (await client.post(`/cgi-bin/${api}`, body, { params: { access_token: await token(kind) } })).data,
  };
}

/** A callback receiver on port 0 that answers with scripted statuses (0 = never answer), then 200, and records every request. */
async function startReceiver(script: number[] = []) {
  const received: Array<{ method: string; query: URLSearchParams; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://receiver');
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', query: u.searchParams, body });
      if (req.method === 'GET') {
        // URL verification: check the signature over echostr, answer the decrypted plaintext.
        const echostr = u.searchParams.get('echostr') ?? '';
        const ok = getSignature(DEMO_CALLBACK_TOKEN, u.searchParams.get('timestamp')!, u.searchParams.get('nonce')!, echostr) === u.searchParams.get('msg_signature');
        if (!ok) { res.writeHead(401).end(); return; }
        res.writeHead(200).end(decrypt(DEMO_CALLBACK_AES_KEY, echostr).message);
        return;
      }
      const status = script.shift() ?? 200;
      if (status === 0) return; // hang: the sender's timeout must give up on us
      res.writeHead(status).end('success');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback`;
  const close = () => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return { url, received, close };
}

function open(post: { query: URLSearchParams; body: string }) {
  const encrypted = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt>/.exec(post.body)?.[1];
  if (!encrypted) throw new Error(`no Encrypt in ${post.body}`);
  const q = post.query;
  const expected = getSignature(DEMO_CALLBACK_TOKEN, q.get('timestamp')!, q.get('nonce')!, encrypted);
  const { message, id } = decrypt(DEMO_CALLBACK_AES_KEY, encrypted);
  return { encrypted, signatureOk: expected === q.get('msg_signature'), receiveId: id, xml: message };
}

const parseXml = async (xml: string) => (await parseStringPromise(xml, { explicitArray: false })).xml as Json;

describe('seedWorld', () => {
  const counts = { employees: 25, customers: 800, groups: 15, departments: 5, tagGroups: 3, tags: 10 };

  it('is deterministic for a seed and differs across seeds', () => {
    const a = seedWorld({ corpId: 'wwx', seed: 11, counts }).snapshot();
    const b = seedWorld({ corpId: 'wwx', seed: 11, counts }).snapshot();
    const c = seedWorld({ corpId: 'wwx', seed: 12, counts }).snapshot();
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a.relations)).not.toBe(JSON.stringify(c.relations));
  });

  it('produces WeCom-shaped ids, a department tree, skewed and shared customers', () => {
    const w = seedWorld({ corpId: 'wwx', seed: 3, counts });
    const snap = w.snapshot();
    expect(snap.employees.map((e) => e.userid)).toContain('rep0001');
    expect(snap.employees.every((e) => /^rep\d{4}$/.test(e.userid))).toBe(true);
    expect(snap.customers.every((c) => /^wm[A-Za-z0-9]{30}$/.test(c.external_userid))).toBe(true);
    expect(snap.groups.every((g) => g.chat_id.startsWith('wr'))).toBe(true);
    expect(snap.tagGroups.every((g) => g.group_id.startsWith('et') && g.tags.every((t) => t.id.startsWith('et')))).toBe(true);
    expect(snap.departments.find((d) => d.id === 1)?.parentid).toBe(0);
    expect(snap.departments.filter((d) => d.id !== 1).every((d) => w.departments.has(d.parentid))).toBe(true);
    expect(snap.departments.some((d) => d.department_leader.length > 0)).toBe(true);

    const perRep = w.followUsers().map((e) => w.relationsOf(e.userid).length).sort((x, y) => y - x);
    expect(perRep[perRep.length - 1]).toBe(0);
    expect(perRep[0]!).toBeGreaterThan(3 * perRep[Math.floor(perRep.length / 2)]!);
    expect(w.summary().sharedCustomers).toBeGreaterThan(0);
    expect(snap.groups.every((g) => g.members[0]?.userid === g.owner && g.members[0]?.type === 1)).toBe(true);
    const members = snap.groups.flatMap((g) => g.members);
    expect(members.some((m) => m.type === 2 && m.join_scene === 3 && m.invitor === undefined)).toBe(true);
    expect(members.filter((m) => m.invitor).every((m) => w.employees.has(m.invitor!))).toBe(true);
    expect(snap.relations.some((r) => r.state)).toBe(true);
  });
});

describe('WeCom simulator over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });
  afterEach(async () => {
    await h.sim.close();
  });

  describe('transport and tokens', () => {
    it('returns the same token while valid, 42001 after expiry, 40014 for garbage, 40001/40013 for bad credentials', async () => {
      const first = await h.http.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } });
      expect(first.status).toBe(200);
      expect(first.data).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
      const again = await h.token();
      expect(again).toBe(first.data.access_token);
      expect(await h.token('agent')).not.toBe(again);

      const badSecret = await h.http.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: 'nope' } });
      expect(badSecret.data.errcode).toBe(40001);
      const badCorp = await h.http.get('/cgi-bin/gettoken', { params: { corpid: 'wwother', corpsecret: DEMO_CONTACT_SECRET } });
      expect(badCorp.data.errcode).toBe(40013);

      const garbage = await h.http.get('/cgi-bin/externalcontact/get_follow_user_list', { params: { access_token: 'garbage' } });
      expect(garbage.status).toBe(200);
      expect(garbage.data).toMatchObject({ errcode: 40014, follow_user: [] });
      expect(garbage.data.errmsg).toMatch(/^invalid access_token, hint: \[\d+_\d+_[0-9a-f]+\], from ip: [\d.]+, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=40014$/);

      expect((await h.http.post('/__sim/tokens/expire')).status).toBe(200);
      const expired = await h.http.get('/cgi-bin/externalcontact/get_follow_user_list', { params: { access_token: again } });
      expect(expired.data.errcode).toBe(42001);
      const fresh = await h.token();
      expect(fresh).not.toBe(again);
      const ok = await h.http.get('/cgi-bin/externalcontact/get_follow_user_list', { params: { access_token: fresh } });
      expect(ok.data.errcode).toBe(0);

      h.sim.advanceTime(7200 * 1000);
      const lapsed = await h.http.get('/cgi-bin/externalcontact/get_follow_user_list', { params: { access_token: fresh } });
      expect(lapsed.data.errcode).toBe(42001);
    });

    it('takes the token only from the query, 404s unknown paths with an empty body, and rejects GET on POST APIs', async () => {
      const token = await h.token();
      const inHeader = await h.http.get('/cgi-bin/externalcontact/get_follow_user_list', { headers: { access_token: token } });
      expect(inHeader.data.errcode).toBe(41001);
      const unknown = await h.http.get('/cgi-bin/externalcontact/no_such_api', { params: { access_token: token }, responseType: 'text' });
      expect(unknown.status).toBe(404);
      expect(unknown.data).toBe('');
      const wrongMethod = await h.http.get('/cgi-bin/externalcontact/groupchat/list', { params: { access_token: token } });
      expect(wrongMethod.data).toMatchObject({ errcode: 40003, group_chat_list: [] });
      const badJson = await h.http.post('/cgi-bin/externalcontact/groupchat/list', '{not json', {
        params: { access_token: token }, headers: { 'content-type': 'application/json' }, transformRequest: [(d: unknown) => d],
      });
      expect(badJson.data.errcode).toBe(47001);
    });

    it('answers 48002 for agent-secret tokens on customer-contact APIs only when that permission is off', async () => {
      expect((await h.get('externalcontact/get_follow_user_list', {}, 'agent')).errcode).toBe(0);
      await h.http.post('/__sim/settings', { agentSecretHasContactPermission: false });
      expect((await h.get('externalcontact/get_follow_user_list', {}, 'agent')).errcode).toBe(48002);
      expect((await h.get('externalcontact/get_follow_user_list', {}, 'contact')).errcode).toBe(0);
      expect((await h.get('user/get', { userid: 'rep0002' }, 'agent')).errcode).toBe(0);
    });

    it('answers the configured errcode for permission-denied APIs', async () => {
      await h.http.post('/__sim/permissions', { api: 'externalcontact/groupchat/list', errcode: 48009 });
      expect(await h.post('externalcontact/groupchat/list', { limit: 10 })).toMatchObject({ errcode: 48009, group_chat_list: [] });
      await h.http.delete('/__sim/permissions', { data: { api: 'externalcontact/groupchat/list' } });
      expect((await h.post('externalcontact/groupchat/list', { limit: 10 })).errcode).toBe(0);
    });
  });

  describe('customers', () => {
    it('pages batch/get_by_user over every relation exactly once, clamps limit and rejects >100 userids', async () => {
      const truth = h.sim.truth();
      const userids = h.sim.world.followUsers().map((e) => e.userid);
      const expected = truth.relations.filter((r) => userids.includes(r.userid)).map((r) => `${r.userid}|${r.external_userid}`).sort();

      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const page = await h.post('externalcontact/batch/get_by_user', { userid_list: userids, cursor, limit: 1000 });
        expect(page.errcode).toBe(0);
        expect(page.external_contact_list.length).toBeLessThanOrEqual(100);
        for (const item of page.external_contact_list) {
          expect(Array.isArray(item.follow_info.tag_id)).toBe(true);
          expect(item.follow_info.tags).toBeUndefined();
          expect(item.external_contact.external_userid).toMatch(/^wm/);
          seen.push(`${item.follow_info.userid}|${item.external_contact.external_userid}`);
        }
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBeGreaterThan(5);
      expect(seen.length).toBe(new Set(seen).size);
      expect(seen.sort()).toEqual(expected);

      const defaults = await h.post('externalcontact/batch/get_by_user', { userid_list: userids });
      expect(defaults.external_contact_list).toHaveLength(50);

      const tooMany = await h.post('externalcontact/batch/get_by_user', { userid_list: Array.from({ length: 101 }, (_, i) => `u${i}`) });
      expect(tooMany).toMatchObject({ errcode: 40058, external_contact_list: [] });
      const badCursor = await h.post('externalcontact/batch/get_by_user', { userid_list: userids, cursor: 'garbage' });
      expect(badCursor.errcode).toBe(50100);
    });

    it('answers 84061 from list for a rep without customers, and pages follow_user in get', async () => {
      const w = h.sim.world;
      const idle = w.followUsers().find((e) => w.relationsOf(e.userid).length === 0)!;
      expect(idle).toBeDefined();
      expect(await h.get('externalcontact/list', { userid: idle.userid })).toMatchObject({ errcode: 84061, external_userid: [] });

      const busy = w.followUsers().find((e) => w.relationsOf(e.userid).length > 0)!;
      const list = await h.get('externalcontact/list', { userid: busy.userid });
      expect(list.external_userid).toEqual(w.relationsOf(busy.userid).map((r) => r.external_userid));

      const shared = h.sim.truth().customers.find((c) => w.visibleFollowersOf(c.external_userid).length > 1)!;
      const detail = await h.get('externalcontact/get', { external_userid: shared.external_userid });
      expect(detail.errcode).toBe(0);
      expect(detail.external_contact.name).toBe(shared.name);
      expect(detail.follow_user.length).toBe(w.visibleFollowersOf(shared.external_userid).length);
      expect(detail.follow_user[0].tags.every((t: Json) => t.type === 1 && t.tag_id.startsWith('et'))).toBe(true);
      expect(detail.next_cursor).toBe('');
      expect((await h.get('externalcontact/get', { external_userid: 'wmnobody' })).errcode).toBe(40096);
    });

    it('enforces remark limits, replaces mobiles and answers 84061 for non-relations, without a callback', async () => {
      const r = h.sim.truth().relations[0]!;
      const pair = { userid: r.userid, external_userid: r.external_userid };
      expect((await h.post('externalcontact/remark', { ...pair, remark: 'x'.repeat(21) })).errcode).toBe(40058);
      expect((await h.post('externalcontact/remark', { ...pair, description: '长'.repeat(151) })).errcode).toBe(40058);
      expect((await h.post('externalcontact/remark', { ...pair, remark: '陈总', remark_mobiles: ['13800000001', '13800000002'] })).errcode).toBe(0);
      expect((await h.post('externalcontact/remark', { ...pair, remark_mobiles: ['13900000000'] })).errcode).toBe(0);
      expect(h.sim.world.relation(r.userid, r.external_userid)).toMatchObject({ remark: '陈总', remark_mobiles: ['13900000000'] });
      const stranger = h.sim.world.followUsers().find((e) => !h.sim.world.relation(e.userid, r.external_userid))!;
      expect((await h.post('externalcontact/remark', { userid: stranger.userid, external_userid: r.external_userid, remark: 'x' })).errcode).toBe(84061);
      expect(h.sim.deliveries()).toHaveLength(0);
    });
  });

  describe('tags', () => {
    it('filters by group_id over tag_id, flags deleted only on id queries, and deletes emptied groups', async () => {
      const lib = await h.post('externalcontact/get_corp_tag_list', {});
      expect(lib.tag_group.length).toBe(4);
      expect(lib.tag_group[0].deleted).toBeUndefined();
      const [g1, g2] = lib.tag_group as Json[];
      const both = await h.post('externalcontact/get_corp_tag_list', { group_id: [g1!.group_id], tag_id: [g2!.tag[0].id] });
      expect(both.tag_group.map((g: Json) => g.group_id)).toEqual([g1!.group_id]);

      const added = await h.post('externalcontact/add_corp_tag', { group_name: '测试组', tag: [{ name: 'A' }, { name: 'A' }, { name: 'B' }] });
      expect(added.errcode).toBe(0);
      expect(added.tag_group.tag.map((t: Json) => t.name)).toEqual(['A', 'B']);
      expect((await h.post('externalcontact/add_corp_tag', { group_name: '空组', tag: [] })).errcode).toBe(40058);

      const [a, b] = added.tag_group.tag as Json[];
      expect((await h.post('externalcontact/del_corp_tag', { tag_id: [a!.id, b!.id] })).errcode).toBe(0);
      const byId = await h.post('externalcontact/get_corp_tag_list', { tag_id: [a!.id] });
      expect(byId.tag_group[0]).toMatchObject({ group_id: added.tag_group.group_id, deleted: true, tag: [{ id: a!.id, deleted: true }] });
      const after = await h.post('externalcontact/get_corp_tag_list', {});
      expect(after.tag_group.map((g: Json) => g.group_id)).not.toContain(added.tag_group.group_id);
      expect(h.sim.deliveries()).toHaveLength(0);
    });

    it('marks tags per relation: 40058 for nothing, 40068 for unknown tags, 84061 for non-relations', async () => {
      const r = h.sim.truth().relations.find((x) => x.tag_ids.length === 0)!;
      const tagId = h.sim.world.liveTagGroups()[0]!.tags[0]!.id;
      const pair = { userid: r.userid, external_userid: r.external_userid };
      expect((await h.post('externalcontact/mark_tag', { ...pair })).errcode).toBe(40058);
      expect((await h.post('externalcontact/mark_tag', { ...pair, add_tag: ['etnope'] })).errcode).toBe(40068);
      expect((await h.post('externalcontact/mark_tag', { ...pair, add_tag: [tagId] })).errcode).toBe(0);
      expect(h.sim.world.relation(r.userid, r.external_userid)!.tag_ids).toEqual([tagId]);
      expect((await h.post('externalcontact/mark_tag', { userid: r.userid, external_userid: 'wmnotmine', add_tag: [tagId] })).errcode).toBe(84061);

      await h.sim.callbacks.flush();
      expect(h.sim.deliveries()).toHaveLength(0);
    });

    it('caps corp tags with 40126', async () => {
      await h.http.post('/__sim/settings', { corpTagLimit: 17 });
      expect((await h.post('externalcontact/add_corp_tag', { group_name: 'cap', tag: [{ name: 'one' }] })).errcode).toBe(0);
      expect((await h.post('externalcontact/add_corp_tag', { group_name: 'cap', tag: [{ name: 'two' }] })).errcode).toBe(40126);
    });
  });

  describe('groups', () => {
    it('requires limit, pages every group exactly once and honours owner_filter and 81017', async () => {
      expect((await h.post('externalcontact/groupchat/list', {})).errcode).toBe(40058);
      expect((await h.post('externalcontact/groupchat/list', { limit: 1001 })).errcode).toBe(40058);
      const ids: string[] = [];
      let cursor = '';
      do {
        const page = await h.post('externalcontact/groupchat/list', { limit: 7, cursor });
        expect(page.errcode).toBe(0);
        expect(page.group_chat_list.length).toBeLessThanOrEqual(7);
        ids.push(...page.group_chat_list.map((g: Json) => g.chat_id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(ids.sort()).toEqual([...h.sim.world.groups.keys()].sort());

      const owner = h.sim.truth().groups[0]!.owner;
      const mine = await h.post('externalcontact/groupchat/list', { limit: 1000, owner_filter: { userid_list: [owner] } });
      expect(mine.group_chat_list.length).toBe(h.sim.truth().groups.filter((g) => g.owner === owner).length);
      const tooMany = await h.post('externalcontact/groupchat/list', { limit: 10, owner_filter: { userid_list: Array.from({ length: 101 }, (_, i) => `u${i}`) } });
      expect(tooMany.errcode).toBe(40058);

      await h.http.post('/__sim/settings', { groupListOwnerFilterThreshold: 10 });
      expect((await h.post('externalcontact/groupchat/list', { limit: 10 })).errcode).toBe(81017);
      expect((await h.post('externalcontact/groupchat/list', { limit: 10, owner_filter: { userid_list: [owner] } })).errcode).toBe(0);
    });

    it('describes a group with types, join scenes, internal invitors, names on request and member_version', async () => {
      const g = h.sim.truth().groups.find((x) => x.members.some((m) => m.join_scene === 3))!;
      const plain = await h.post('externalcontact/groupchat/get', { chat_id: g.chat_id });
      expect(plain.group_chat.member_list[0].name).toBeUndefined();
      const res = await h.post('externalcontact/groupchat/get', { chat_id: g.chat_id, need_name: 1 });
      expect(res.errcode).toBe(0);
      expect(res.group_chat).toMatchObject({ chat_id: g.chat_id, owner: g.owner, member_version: g.member_version });
      const members = res.group_chat.member_list as Json[];
      expect(members).toHaveLength(g.members.length);
      expect(members.every((m) => [1, 2].includes(m.type) && [1, 2, 3].includes(m.join_scene) && typeof m.name === 'string')).toBe(true);
      expect(members.filter((m) => m.join_scene === 3).every((m) => m.invitor === undefined)).toBe(true);
      expect((await h.post('externalcontact/groupchat/get', { chat_id: 'wrnope' })).errcode).toBe(40050);
    });

    it('shows a departed owner\'s groups with status 1 and forgets the employee', async () => {
      const g = h.sim.truth().groups[0]!;
      h.sim.employeeLeaves({ userid: g.owner });
      expect((await h.get('user/get', { userid: g.owner })).errcode).toBe(60111);
      expect((await h.get('externalcontact/get_follow_user_list')).follow_user).not.toContain(g.owner);
      const page = await h.post('externalcontact/groupchat/list', { limit: 1000, status_filter: 1 });
      expect(page.group_chat_list).toContainEqual({ chat_id: g.chat_id, status: 1 });
    });
  });

  describe('faults, limits and call counts', () => {
    it('injects an errcode for the next N calls of one API, then recovers', async () => {
      const token = await h.token();
      const res = await h.http.post('/__sim/faults', { api: 'externalcontact/list', errcode: -1, count: 2 });
      expect(res.status).toBe(200);
      const call = () => h.http.get('/cgi-bin/externalcontact/list', { params: { access_token: token, userid: 'rep0002' } });
      expect((await call()).data).toMatchObject({ errcode: -1, external_userid: [] });
      expect((await h.get('externalcontact/get_follow_user_list')).errcode).toBe(0);
      expect((await call()).data.errcode).toBe(-1);
      expect([0, 84061]).toContain((await call()).data.errcode);

      await h.http.post('/__sim/faults', { api: 'externalcontact/list', http5xx: 1, httpStatus: 502 });
      const five = await call();
      expect(five.status).toBe(502);
      expect((await call()).status).toBe(200);
      expect((await h.http.post('/__sim/faults', { api: 'x' })).status).toBe(400);
    });

    it('delays calls with latency faults', async () => {
      await h.http.post('/__sim/faults', { api: 'user/get', latencyMs: 150, count: 1 });
      const t = Date.now();
      expect((await h.get('user/get', { userid: 'rep0002' })).errcode).toBe(0);
      expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    });

    it('rate-limits per API with a blocking window', async () => {
      await h.http.post('/__sim/rate-limits', { perMinute: 3 });
      const token = await h.token();
      const call = async () => (await h.http.get('/cgi-bin/user/get', { params: { access_token: token, userid: 'rep0002' } })).data.errcode;
      expect([await call(), await call(), await call()]).toEqual([0, 0, 0]);
      expect(await call()).toBe(45009);
      expect((await h.get('externalcontact/get_follow_user_list')).errcode).toBe(0);
      h.sim.advanceTime(30_000);
      expect(await call()).toBe(45009);
      h.sim.advanceTime(31_000);
      expect(await call()).toBe(0);
    });

    it('counts calls by API and by id, over HTTP too, and resets', async () => {
      const ids = h.sim.truth().customers.slice(0, 2).map((c) => c.external_userid);
      await h.get('externalcontact/get', { external_userid: ids[0] });
      await h.get('externalcontact/get', { external_userid: ids[0] });
      await h.get('externalcontact/get', { external_userid: ids[1] });
      expect(h.sim.calls.count('externalcontact/get')).toBe(3);
      expect(h.sim.calls.count('externalcontact/get', ids[0])).toBe(2);
      expect(h.sim.calls.duplicates('externalcontact/get')).toEqual([ids[0]]);
      expect(h.sim.calls.count('gettoken')).toBe(3);
      const over = (await h.http.get('/__sim/calls')).data;
      expect(over.byId['externalcontact/get'][ids[1]!]).toBe(1);
      await h.http.post('/__sim/calls/reset');
      expect(h.sim.calls.count('externalcontact/get')).toBe(0);
    });
  });

  describe('message/send', () => {
    it('reports partial invalid users, 81013 when all are invalid, 301002 for a foreign agentid', async () => {
      const partial = await h.post('message/send', { touser: 'rep0002|ghost', msgtype: 'text', agentid: DEMO_AGENT_ID, text: { content: 'hi' } }, 'agent');
      expect(partial).toMatchObject({ errcode: 0, invaliduser: 'ghost' });
      expect(h.sim.appMessages).toHaveLength(1);
      expect(h.sim.appMessages[0]).toMatchObject({ touser: ['rep0002'], msgtype: 'text' });
      expect((await h.post('message/send', { touser: 'ghost', msgtype: 'text', agentid: DEMO_AGENT_ID, text: { content: 'x' } }, 'agent')).errcode).toBe(81013);
      expect((await h.post('message/send', { touser: 'rep0002', msgtype: 'text', agentid: 1, text: { content: 'x' } }, 'agent')).errcode).toBe(301002);
      expect(h.sim.appMessages).toHaveLength(1);
    });
  });

  describe('control API', () => {
    it('summarises state, serves the truth and advances time', async () => {
      const state = (await h.http.get('/__sim/state')).data;
      expect(state.world).toMatchObject({ employees: 30, customers: 1500, groups: 40 });
      const truth = (await h.http.get('/__sim/truth')).data;
      expect(truth.relations).toHaveLength(state.world.relations);
      const before = (await h.http.get('/__sim/time')).data.unix;
      const after = (await h.http.post('/__sim/time/advance', { ms: 3_600_000 })).data.unix;
      expect(after - before).toBeGreaterThanOrEqual(3600);
      expect((await h.http.get('/__sim/nothing')).status).toBe(404);
      expect((await h.http.get('/__sim/routes')).data.api).toContain('externalcontact/batch/get_by_user');
    });
  });

  describe('user and department', () => {
    it('lists ids with a cursor and departments as a tree', async () => {
      const rows: Json[] = [];
      let cursor = '';
      do {
        const page = await h.post('user/list_id', { cursor, limit: 7 });
        expect(page.errcode).toBe(0);
        rows.push(...page.dept_user);
        cursor = page.next_cursor;
      } while (cursor);
      expect(new Set(rows.map((r) => r.userid)).size).toBe(30);
      expect((await h.post('user/list_id', { limit: 10001 })).errcode).toBe(40058);
      const all = await h.get('department/list');
      expect(all.department.length).toBe(6);
      expect((await h.get('department/list', { id: 999 })).errcode).toBe(60123);
      const user = await h.get('user/get', { userid: 'rep0003' });
      expect(user).toMatchObject({ errcode: 0, userid: 'rep0003', status: 1 });
      expect(user.mobile).toBeUndefined();
      expect((await h.get('user/get', { userid: 'nobody' })).errcode).toBe(60111);
    });
  });
});

describe('callback delivery', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  afterEach(async () => {
    await h.sim.close();
    await receiver.close();
  });

  it('delivers a correctly encrypted and signed add_external_contact with State and a single-use WelcomeCode', async () => {
    receiver = await startReceiver();
    h = await start();
    h.sim.setCallbackUrl(receiver.url);
    const rep = h.sim.world.followUsers().find((e) => !e.consoleWelcome)!;
    const result = h.sim.customerAddsRep({ userid: rep.userid, state: 'expo2024_booth3' });
    expect(result.externalUserId).toMatch(/^wm[A-Za-z0-9]{30}$/);
    await h.sim.flushCallbacks();

    expect(receiver.received).toHaveLength(1);
    const post = receiver.received[0]!;
    expect(post.method).toBe('POST');
    expect(post.body).toMatch(new RegExp(`^<xml><ToUserName><!\\[CDATA\\[${DEMO_CORP_ID}\\]\\]></ToUserName><AgentID><!\\[CDATA\\[${DEMO_AGENT_ID}\\]\\]></AgentID><Encrypt><!\\[CDATA\\[[A-Za-z0-9+/=]+\\]\\]></Encrypt></xml>$`));
    const opened = open(post);
    expect(opened.signatureOk).toBe(true);
    expect(opened.receiveId).toBe(DEMO_CORP_ID);
    expect(opened.xml).toMatch(/<CreateTime>\d+<\/CreateTime>/);
    expect(opened.xml).toContain('<FromUserName><![CDATA[sys]]></FromUserName>');
    const x = await parseXml(opened.xml);
    expect(x).toMatchObject({
      ToUserName: DEMO_CORP_ID, FromUserName: 'sys', MsgType: 'event', Event: 'change_external_contact',
      ChangeType: 'add_external_contact', UserID: rep.userid, ExternalUserID: result.externalUserId, State: 'expo2024_booth3',
      WelcomeCode: result.welcomeCode,
    });
    expect(Math.abs(Number(x.CreateTime) - h.sim.nowSeconds())).toBeLessThanOrEqual(1);
    expect(h.sim.world.relation(rep.userid, result.externalUserId)?.state).toBe('expo2024_booth3');
    expect(h.sim.deliveries()[0]).toMatchObject({ status: 'delivered', attempts: [{ status: 200 }] });

    // A rep with a console welcome gets no WelcomeCode.
    const console_ = h.sim.world.employees.get(rep.userid)!;
    console_.consoleWelcome = true;
    const second = h.sim.customerAddsRep({ userid: rep.userid });
    expect(second.welcomeCode).toBeUndefined();
    await h.sim.flushCallbacks();
    expect(open(receiver.received[1]!).xml).not.toContain('WelcomeCode');
  });

  it('retries on HTTP 500 with the same inner XML, freshly encrypted', async () => {
    receiver = await startReceiver([500]);
    h = await start();
    h.sim.setCallbackUrl(receiver.url);
    const r = h.sim.truth().relations[0]!;
    h.sim.repDeletesCustomer({ userid: r.userid, externalUserId: r.external_userid });
    await h.sim.flushCallbacks();

    expect(receiver.received).toHaveLength(2);
    const [a, b] = receiver.received.map(open);
    expect(a!.signatureOk && b!.signatureOk).toBe(true);
    expect(a!.xml).toBe(b!.xml);
    expect(a!.encrypted).not.toBe(b!.encrypted);
    expect(receiver.received[0]!.query.get('nonce')).not.toBe(receiver.received[1]!.query.get('nonce'));
    expect((await parseXml(a!.xml)).ChangeType).toBe('del_external_contact');
    expect(h.sim.world.relation(r.userid, r.external_userid)).toBeUndefined();
    const status = (await h.http.get('/__sim/callbacks')).data;
    expect(status.deliveries[0]).toMatchObject({ status: 'delivered', attempts: [{ status: 500 }, { status: 200 }] });
  });

  it('retries when the receiver does not answer within the timeout', async () => {
    receiver = await startReceiver([0]);
    h = await start({ callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, retrySpacingMs: 10, timeoutMs: 150 } });
    h.sim.setCallbackUrl(receiver.url);
    const g = h.sim.truth().groups[0]!;
    h.sim.groupRenamed({ chatId: g.chat_id, name: '新群名' });
    await h.sim.flushCallbacks();
    const [d] = h.sim.deliveries();
    expect(d!.status).toBe('delivered');
    expect(d!.attempts.map((a) => a.status ?? a.error)).toEqual([expect.stringMatching(/timeout/), 200]);
    expect(d!.summary).toMatchObject({ event: 'change_external_chat', changeType: 'update', UpdateDetail: 'change_name', ChatId: g.chat_id });
  });

  it('gives up after three retries, and honours drop and duplicate modes', async () => {
    receiver = await startReceiver([500, 500, 500, 500]);
    h = await start();
    h.sim.setCallbackUrl(receiver.url);
    const [r1, r2, r3] = h.sim.truth().relations;
    h.sim.customerDeletesRep({ userid: r1!.userid, externalUserId: r1!.external_userid });
    await h.sim.flushCallbacks();
    expect(receiver.received).toHaveLength(4);
    expect(h.sim.deliveries()[0]!.status).toBe('failed');

    const res = await h.http.post('/__sim/world/customerDeletesRep', { userid: r2!.userid, externalUserId: r2!.external_userid, deliver: 'drop' });
    expect(res.status).toBe(200);
    h.sim.repDeletesCustomer({ userid: r3!.userid, externalUserId: r3!.external_userid, deliver: 'duplicate' });
    await (await h.http.post('/__sim/callbacks/flush')).data;
    expect(receiver.received).toHaveLength(6);
    const [d1, d2] = receiver.received.slice(4).map(open);
    expect(d1!.xml).toBe(d2!.xml);
    expect(h.sim.deliveries().map((d) => d.status)).toEqual(['failed', 'dropped', 'delivered']);
  });

  it('emits group member changes with bare integers, <Item> lists and member versions', async () => {
    receiver = await startReceiver();
    h = await start();
    h.sim.setCallbackUrl(receiver.url);
    const g = h.sim.truth().groups[0]!;
    const newcomer = h.sim.truth().relations.find((r) => r.userid === g.owner && !g.members.some((m) => m.userid === r.external_userid))?.external_userid ?? 'wmnewcomer000000000000000000000000';
    const res = await h.http.post('/__sim/world/groupMembersAdded', { chatId: g.chat_id, memberIds: [newcomer], joinScene: 3 });
    expect(res.status).toBe(200);
    await h.sim.flushCallbacks();
    const xml = open(receiver.received[0]!).xml;
    expect(xml).toContain('<JoinScene>3</JoinScene>');
    expect(xml).toContain('<MemChangeCnt>1</MemChangeCnt>');
    expect(xml).toContain(`<MemChangeList><Item><![CDATA[${newcomer}]]></Item></MemChangeList>`);
    const x = await parseXml(xml);
    expect(x).toMatchObject({ Event: 'change_external_chat', ChatId: g.chat_id, ChangeType: 'update', UpdateDetail: 'add_member', LastMemVer: g.member_version });
    expect(x.CurMemVer).toBe(h.sim.world.groups.get(g.chat_id)!.member_version);
    expect(x.CurMemVer).not.toBe(g.member_version);
    const detail = await h.post('externalcontact/groupchat/get', { chat_id: g.chat_id });
    expect(detail.group_chat.member_version).toBe(x.CurMemVer);
    expect(detail.group_chat.member_list.find((m: Json) => m.userid === newcomer)).toMatchObject({ type: 2, join_scene: 3 });

    h.sim.tagCreated({ groupName: '新分组', names: ['甲'] });
    const tag = h.sim.world.liveTagGroups()[0]!.tags[0]!;
    h.sim.tagUpdated({ id: tag.id, name: '改名' });
    h.sim.employeeLeaves({ userid: g.owner });
    await h.sim.flushCallbacks();
    const [created, updated, left] = await Promise.all(receiver.received.slice(1).map((p) => parseXml(open(p).xml)));
    expect(created).toMatchObject({ Event: 'change_external_tag', ChangeType: 'create', TagType: 'tag_group' });
    expect(updated).toMatchObject({ Event: 'change_external_tag', ChangeType: 'update', TagType: 'tag', Id: tag.id });
    expect(left).toMatchObject({ Event: 'change_contact', ChangeType: 'delete_user', UserID: g.owner });
  });

  it('rejects impossible world actions with 400', async () => {
    receiver = await startReceiver();
    h = await start();
    const res = await h.http.post('/__sim/world/repDeletesCustomer', { userid: 'rep0002', externalUserId: 'wmnotacustomer' });
    expect(res.status).toBe(400);
    expect(res.data.error.code).toBe('bad_request');
    expect((await h.http.post('/__sim/world/noSuchAction', {})).status).toBe(404);
  });

  it('performs GET URL verification against the receiver', async () => {
    receiver = await startReceiver();
    h = await start();
    const verified = await h.sim.verifyCallbackUrl(receiver.url);
    expect(verified).toMatchObject({ ok: true, status: 200, withinDeadline: true });
    expect(verified.body).toBe(verified.echo);
    const get = receiver.received[0]!;
    const echostr = get.query.get('echostr')!;
    expect(getSignature(DEMO_CALLBACK_TOKEN, get.query.get('timestamp')!, get.query.get('nonce')!, echostr)).toBe(get.query.get('msg_signature'));
    expect(decrypt(DEMO_CALLBACK_AES_KEY, echostr)).toMatchObject({ message: verified.echo, id: DEMO_CORP_ID });
  });
});

describe('startWorldStream', () => {
  it('keeps realistic events flowing until stopped', async () => {
    const receiver = await startReceiver();
    const sim = createSimulator(demoSimulatorOptions({ callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, url: receiver.url }, counts: { employees: 10, customers: 200, groups: 8 } }));
    try {
      const before = sim.world.summary();
      const errors: unknown[] = [];
      const stream = startWorldStream(sim, { intervalMs: 5, rng: 1, onEvent: (_n, _r, err) => err && errors.push(err) });
      // Wait for the events, not for a fixed time: a loaded machine runs fewer 5 ms ticks in 300 ms.
      const deadline = Date.now() + 20_000;
      while (stream.count <= 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      stream.stop();
      const count = stream.count;
      await sim.flushCallbacks();
      expect(count).toBeGreaterThan(10);
      expect(errors).toEqual([]);
      expect(sim.deliveries().length).toBeGreaterThanOrEqual(count);
      expect(sim.deliveries().every((d) => d.status === 'delivered')).toBe(true);
      expect(sim.world.summary()).not.toEqual(before);
      await new Promise((r) => setTimeout(r, 50));
      expect(stream.count).toBe(count);
    } finally {
      await sim.close();
      await receiver.close();
    }
  });
});
