/**
 * The simulator's touchpoint APIs over real HTTP, driven through the WeCom
 * client where it has a method and raw requests where the client would refuse
 * the input first: mass messages (validation, confirmation, quotas, records,
 * remind, cancel), contact ways (CRUD, errcodes, adds through a way), media
 * uploads and group welcome templates.
 */
import axios, { type AxiosInstance } from 'axios';
import { createLogger } from '../../src/lib/logger';
import { MemoryTokenStore, WeComClient } from '../../src/wecom/client';
import {
  createSimulator, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET,
  DEMO_CORP_ID, type Simulator,
} from '../../src/simulator';
import { startEventReceiver } from '../helpers/callbacks';

type Json = Record<string, any>;
/** 2026-03-31 23:00 in Asia/Shanghai: one simulated hour before both a day and a month boundary there. */
const T0 = Date.parse('2026-03-31T15:00:00Z');
const DAY_S = 86400;

let sim: Simulator;
let client: WeComClient;
let raw: AxiosInstance;
let post: (api: string, body: Json) => Promise<Json>;
let receiver: Awaited<ReturnType<typeof startEventReceiver>>;
let events: Json[];

beforeEach(async () => {
  receiver = await startEventReceiver(DEMO_CALLBACK_AES_KEY);
  events = receiver.events;
  sim = createSimulator({
    corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID,
    secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET },
    callback: {
      token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, retrySpacingMs: 10,
      url: receiver.url,
    },
    seed: 99,
    // A frozen base clock: only advanceTime moves simulated time.
    clock: { now: () => new Date(T0) },
    counts: { employees: 12, customers: 400, groups: 12, departments: 3, sharedCustomerRatio: 0.2 },
  });
  const { url } = await sim.listen();
  client = new WeComClient({
    baseUrl: url, corpId: DEMO_CORP_ID, secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET }, agentId: DEMO_AGENT_ID,
    tokenStore: new MemoryTokenStore(), logger: createLogger('silent'), retry: { baseMs: 1, capMs: 4, rateLimitWaitMs: 5 },
  });
  raw = axios.create({ baseURL: url, validateStatus: () => true, proxy: false });
  const token = async () => (await raw.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } })).data.access_token;
  post = async (api, body) => (await raw.post(`/cgi-bin/${api}`, body, { params: { access_token: await token() } })).data;
});

afterEach(async () => {
  await sim.close();
  await receiver.close();
});

const advance = (seconds: number) => sim.advanceTime(seconds * 1000);
const nowS = () => sim.nowSeconds();
/** Active customer-contact reps with at least `n` customers. */
const reps = (n = 5) => sim.world.followUsers().filter((e) => sim.world.relationsOf(e.userid).length >= n);
const customersOf = (userid: string, n?: number) => sim.world.relationsOf(userid).slice(0, n).map((r) => r.external_userid);
const text = (content = '春季新品目录已上线') => ({ content });

/** Every recipient row of a mass message, through the client's paged calls. */
async function sendResults(msgid: string, limit = 1000) {
  const out: Json[] = [];
  let cursor = '';
  do {
    const tasks = await client.messages.getGroupmsgTask({ msgid, cursor });
    for (const t of tasks.items) {
      let c = '';
      do {
        const page = await client.messages.getGroupmsgSendResult({ msgid, userid: t.userid, limit, cursor: c });
        out.push(...page.items);
        c = page.nextCursor;
      } while (c);
    }
    cursor = tasks.nextCursor;
  } while (cursor);
  return out;
}

async function upload(type: string, filename: string, size: number, api = 'media/upload') {
  const f = new FormData();
  f.append('media', new Blob([Buffer.alloc(size, 7)]), filename);
  const token = (await raw.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } })).data.access_token;
  return (await raw.post(`/cgi-bin/${api}`, f, { params: { access_token: token, type } })).data as Json;
}

describe('add_msg_template validation', () => {
  it('answers the documented errcodes and creates nothing', async () => {
    const rep = reps()[0]!.userid;
    const ids = customersOf(rep, 2);
    const image = { msgtype: 'image', image: { pic_url: 'https://wework.qpic.cn/x/0' } };
    const cases: Array<[Json, number]> = [
      [{ external_userid: Array.from({ length: 10_001 }, (_, i) => `wm${i}`), text: text() }, 40058],
      [{ chat_type: 'group', text: text() }, 40058],
      [{ chat_type: 'single', text: text() }, 40058],
      [{ chat_type: 'broadcast', sender: rep, text: text() }, 40058],
      [{ external_userid: ids, text: { content: '字'.repeat(1334) } }, 45002],
      [{ external_userid: ids, attachments: Array.from({ length: 10 }, () => image) }, 40058],
      [{ external_userid: ids, attachments: [{ msgtype: 'voice', voice: { media_id: 'x' } }] }, 41065],
      [{ external_userid: ids, attachments: [{ msgtype: 'image', link: { title: 't', url: 'u' } }] }, 40058],
      [{ external_userid: ids, attachments: [{ msgtype: 'file', file: { media_id: 'never-uploaded' } }] }, 40007],
      [{ external_userid: ids }, 40058],
      [{ external_userid: ['wmNobody1', 'wmNobody2'], text: text() }, 41048],
      [{ sender: 'nobody', text: text() }, 60111],
      [{ chat_type: 'group', sender: rep, chat_id_list: Array.from({ length: 2001 }, (_, i) => `wr${i}`), text: text() }, 40058],
    ];
    for (const [body, errcode] of cases) {
      const res = await post('externalcontact/add_msg_template', body);
      expect({ body: Object.keys(body), errcode: res.errcode }).toEqual({ body: Object.keys(body), errcode });
      expect(res.fail_list).toEqual([]);
    }
    expect(sim.massMessages.tasks).toHaveLength(0);
    // ≤9 attachments and 4000 bytes of text are fine.
    const ok = await post('externalcontact/add_msg_template', { external_userid: ids, text: { content: '字'.repeat(1333) }, attachments: Array.from({ length: 9 }, () => image) });
    expect(ok).toMatchObject({ errcode: 0, msgid: expect.stringMatching(/^msg/) });
  });

  it('fail_list holds non-customers, and with a sender the customers of other reps', async () => {
    const [a, b] = reps();
    const mine = customersOf(a!.userid).filter((id) => !sim.world.relation(b!.userid, id)).slice(0, 3);
    const theirs = customersOf(b!.userid).filter((id) => !sim.world.relation(a!.userid, id)).slice(0, 2);
    const res = await client.messages.addMsgTemplate({ sender: a!.userid, external_userid: [...mine, ...theirs, 'wmStranger'], text: text() });
    expect(res.fail_list.sort()).toEqual([...theirs, 'wmStranger'].sort());
    const tasks = await client.messages.getGroupmsgTask({ msgid: res.msgid });
    expect(tasks.items).toEqual([{ userid: a!.userid, status: 0 }]);
    expect(sim.massTemplateCallsBySender()).toEqual({ [a!.userid]: 1 });
  });
});

describe('mass message confirmation', () => {
  it('creates a task only: recipients stay 0 until the sender confirms after the delay, then 1 with send_time', async () => {
    const rep = reps()[0]!.userid;
    const ids = customersOf(rep, 5);
    const created = nowS();
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, external_userid: ids, text: text() });
    expect((await sendResults(msgid)).map((r) => r.status)).toEqual([0, 0, 0, 0, 0]);
    expect((await sendResults(msgid))[0]).not.toHaveProperty('send_time');

    advance(599);
    expect((await client.messages.getGroupmsgTask({ msgid })).items).toEqual([{ userid: rep, status: 0 }]);
    advance(1);
    expect((await client.messages.getGroupmsgTask({ msgid })).items).toEqual([{ userid: rep, status: 2, send_time: created + 600 }]);
    const rows = await sendResults(msgid);
    expect(rows).toEqual(ids.map((id) => ({ external_userid: id, userid: rep, status: 1, send_time: created + 600 })));
    for (const id of ids) expect(sim.massReceivedCount(id)).toBe(1);
  });

  it('without a sender, a customer with several reps goes to the most recently added one', async () => {
    const shared = [...sim.world.customers.keys()].find((id) => sim.world.visibleFollowersOf(id).filter((r) => sim.world.activeEmployee(r.userid)?.customerContact).length >= 2)!;
    expect(shared).toBeDefined();
    const followers = sim.world.visibleFollowersOf(shared).filter((r) => sim.world.activeEmployee(r.userid)?.customerContact);
    const latest = followers[followers.length - 1]!.userid;
    const single = [...sim.world.customers.keys()].find((id) => sim.world.visibleFollowersOf(id).length === 1 && sim.world.visibleFollowersOf(id)[0]!.userid !== latest)!;
    const { msgid, fail_list } = await client.messages.addMsgTemplate({ external_userid: [shared, single], text: text() });
    expect(fail_list).toEqual([]);
    const owners = new Map((await sendResults(msgid)).map((r) => [r.external_userid, r.userid]));
    expect(owners.get(shared)).toBe(latest);
    expect(owners.get(single)).toBe(sim.world.visibleFollowersOf(single)[0]!.userid);
  });

  it('a relation that ends before confirmation gives status 2 (not a friend)', async () => {
    const rep = reps()[0]!.userid;
    const [gone, kept] = customersOf(rep, 2);
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, external_userid: [gone!, kept!], text: text() });
    sim.customerDeletesRep({ userid: rep, externalUserId: gone! });
    advance(600);
    expect((await sendResults(msgid)).map((r) => [r.external_userid, r.status])).toEqual([[gone, 2], [kept, 1]]);
    expect(sim.massReceivedCount(gone!)).toBe(0);
  });

  it('with massConfirmRate < 1 some senders never send and their recipients stay 0; rate 0 sends nothing', async () => {
    await raw.post('/__sim/settings', { massConfirmRate: 0.5 });
    const all = reps(3);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const msgids: string[] = [];
    for (const r of all) msgids.push((await client.messages.addMsgTemplate({ sender: r.userid, external_userid: customersOf(r.userid, 3), text: text() })).msgid);
    advance(600);
    const statuses = [];
    for (const msgid of msgids) {
      const [task] = (await client.messages.getGroupmsgTask({ msgid })).items;
      statuses.push(task!.status);
      const rows = await sendResults(msgid);
      expect(rows.every((r) => r.status === (task!.status === 2 ? 1 : 0))).toBe(true);
    }
    expect(statuses).toContain(0);
    expect(statuses).toContain(2);

    await raw.post('/__sim/settings', { massConfirmRate: 0 });
    const rep = all[0]!.userid;
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, external_userid: customersOf(rep, 3), text: text() });
    advance(3600);
    expect((await client.messages.getGroupmsgTask({ msgid })).items[0]!.status).toBe(0);
    // The control API makes the sender confirm anyway.
    expect((await raw.post('/__sim/mass-messages/confirm', { msgid, userid: rep })).data).toEqual({ confirmed: [rep] });
    expect((await client.messages.getGroupmsgTask({ msgid })).items[0]).toEqual({ userid: rep, status: 2, send_time: nowS() });
  });

  it('confirm now and decline are control actions: a declined sender stays 0 after the delay', async () => {
    const shared = customersOf(reps()[0]!.userid, 3);
    const other = reps()[1]!;
    const ids = [...shared, ...customersOf(other.userid).filter((id) => !shared.includes(id)).slice(0, 3)];
    const { msgid } = await client.messages.addMsgTemplate({ external_userid: ids, text: text() });
    const senders = (await client.messages.getGroupmsgTask({ msgid })).items.map((t) => t.userid);
    expect(senders.length).toBeGreaterThanOrEqual(2);
    const [first, second] = senders;
    expect(sim.confirmMassMessage(msgid, first)).toEqual([first]);
    expect((await raw.post('/__sim/mass-messages/decline', { msgid, userid: second })).data).toEqual({ declined: true });
    advance(600);
    const tasks = new Map((await client.messages.getGroupmsgTask({ msgid })).items.map((t) => [t.userid, t]));
    expect(tasks.get(first!)).toEqual({ userid: first, status: 2, send_time: T0 / 1000 });
    expect(tasks.get(second!)!.status).toBe(0);
    const details = (await raw.get('/__sim/mass-message', { params: { msgid, userid: second } })).data;
    expect(details.senders[0]).toMatchObject({ userid: second, status: 0, decision: 'declined' });
    expect(details.senders[0].recipients.every((r: Json) => r.status === 0)).toBe(true);
  });

  it('cancel: senders who have not sent never will; later confirmations are ignored', async () => {
    const [a, b] = reps();
    const idsA = customersOf(a!.userid).filter((id) => !sim.world.relation(b!.userid, id)).slice(0, 2);
    const idsB = customersOf(b!.userid).filter((id) => !sim.world.relation(a!.userid, id)).slice(0, 2);
    const msgA = (await client.messages.addMsgTemplate({ sender: a!.userid, external_userid: idsA, text: text() })).msgid;
    const msgB = (await client.messages.addMsgTemplate({ sender: b!.userid, external_userid: idsB, text: text() })).msgid;
    sim.confirmMassMessage(msgA);
    await client.messages.cancelGroupmsgSend(msgA);
    await client.messages.cancelGroupmsgSend(msgB);
    advance(3600);
    expect(sim.confirmMassMessage(msgB)).toEqual([]);
    expect((await sendResults(msgA)).map((r) => r.status)).toEqual([1, 1]);
    expect((await sendResults(msgB)).map((r) => r.status)).toEqual([0, 0]);
    expect((await client.messages.getGroupmsgTask({ msgid: msgB })).items[0]!.status).toBe(0);
    await expect(client.messages.cancelGroupmsgSend('msgUnknown')).rejects.toMatchObject({ errcode: 40058 });
  });

  it('remind: three times per 24 h, then 45009 until the window has passed', async () => {
    const rep = reps()[0]!.userid;
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, text: text() });
    for (let i = 0; i < 3; i += 1) await client.messages.remindGroupmsgSend(msgid);
    await expect(client.messages.remindGroupmsgSend(msgid)).rejects.toMatchObject({ errcode: 45009 });
    advance(DAY_S - 1);
    await expect(client.messages.remindGroupmsgSend(msgid)).rejects.toMatchObject({ errcode: 45009 });
    advance(1);
    await expect(client.messages.remindGroupmsgSend(msgid)).resolves.toBeUndefined();
  });

  it('41063 while dispatching (optional setting), cursors page per sender and are bound to the userid', async () => {
    await raw.post('/__sim/settings', { massDispatchSeconds: 5 });
    const rep = reps(5)[0]!.userid;
    const ids = customersOf(rep, 5);
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, external_userid: ids, text: text() });
    await expect(client.messages.getGroupmsgTask({ msgid })).rejects.toMatchObject({ errcode: 41063 });
    await expect(client.messages.getGroupmsgSendResult({ msgid, userid: rep })).rejects.toMatchObject({ errcode: 41063 });
    advance(5);
    const first = await client.messages.getGroupmsgSendResult({ msgid, userid: rep, limit: 2 });
    expect(first.items.map((r) => r.external_userid)).toEqual(ids.slice(0, 2));
    expect((await sendResults(msgid, 2)).map((r) => r.external_userid)).toEqual(ids);
    const other = reps()[1]!.userid;
    await expect(client.messages.getGroupmsgSendResult({ msgid, userid: other, cursor: first.nextCursor })).rejects.toMatchObject({ errcode: 50100 });
    await expect(client.messages.getGroupmsgSendResult({ msgid, userid: other })).resolves.toEqual({ items: [], nextCursor: '' });
  });

  it('sender alone means all of that rep’s customers; tag_filter narrows them', async () => {
    const rep = reps(10)[0]!.userid;
    const all = customersOf(rep);
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, text: text() });
    expect((await sendResults(msgid)).map((r) => r.external_userid)).toEqual(all);

    const tag = sim.world.liveTagGroups()[0]!.tags.find((t) => !t.deleted)!.id;
    const tagged = sim.world.relationsOf(rep).filter((r) => r.tag_ids.includes(tag)).map((r) => r.external_userid);
    if (tagged.length === 0) {
      const target = sim.world.relationsOf(rep)[0]!;
      sim.repEditsCustomer({ userid: rep, externalUserId: target.external_userid, addTags: [tag] });
      tagged.push(target.external_userid);
    }
    const filtered = await client.messages.addMsgTemplate({ sender: rep, tag_filter: { group_list: [{ tag_list: [tag] }] }, text: text() });
    expect((await sendResults(filtered.msgid)).map((r) => r.external_userid)).toEqual(tagged);
    expect((await post('externalcontact/add_msg_template', { sender: rep, tag_filter: { group_list: [{ tag_list: ['etNope'] }] }, text: text() })).errcode).toBe(40068);
  });
});

describe('receive quota', () => {
  it('day1: one per natural Shanghai day; the day (and month) turns at 16:00 UTC', async () => {
    await raw.post('/__sim/settings', { massReceiveRule: 'day1' });
    const rep = reps()[0]!.userid;
    const [c] = customersOf(rep, 1);
    const send = async () => {
      const { msgid } = await client.messages.addMsgTemplate({ sender: rep, external_userid: [c!], text: text() });
      advance(600);
      return (await sendResults(msgid))[0]!.status;
    };
    expect(await send()).toBe(1); // confirmed 15:10 UTC = 23:10 Shanghai, 31 March
    expect(await send()).toBe(3); // 15:20 UTC, same Shanghai day
    advance(40 * 60 - 1); // 15:59:59 UTC
    expect(await send()).toBe(1); // confirmed 16:09:59 UTC = 00:09 on 1 April in Shanghai (still 31 March in UTC)
    expect(sim.massReceivedCount(c!)).toBe(2);
  });

  it('month_days: as many per natural month as it has days (31 in March), counting personal mass messages; April starts afresh', async () => {
    const rep = reps()[0]!.userid;
    const [c, fresh] = customersOf(rep, 2);
    for (let i = 0; i < 31; i += 1) sim.repCreatesMassMessage({ userid: rep, externalUserIds: [c!] });
    expect(sim.massReceivedCount(c!)).toBe(31);
    const { msgid } = await client.messages.addMsgTemplate({ sender: rep, external_userid: [c!, fresh!], text: text() });
    advance(600);
    expect((await sendResults(msgid)).map((r) => r.status)).toEqual([3, 1]);
    // Past midnight in Shanghai it is April: the quota is new.
    advance(3600);
    const april = await client.messages.addMsgTemplate({ sender: rep, external_userid: [c!], text: text() });
    advance(600);
    expect((await sendResults(april.msgid))[0]!.status).toBe(1);
    expect(sim.massReceivedCount(c!)).toBe(32);
  });

  it('week7: seven per week per customer group, counted at confirmation', async () => {
    await raw.post('/__sim/settings', { massReceiveRule: 'week7' });
    const owner = [...sim.world.groups.values()].find((g) => !g.dismissed && sim.world.activeEmployee(g.owner))!;
    // 2026-04-01 (Shanghai) is a Wednesday: stay inside that week.
    advance(3600);
    for (let i = 0; i < 6; i += 1) sim.repCreatesMassMessage({ userid: owner.owner, chatType: 'group', chatIds: [owner.chat_id] });
    const seventh = await client.messages.addMsgTemplate({ chat_type: 'group', sender: owner.owner, chat_id_list: [owner.chat_id], text: text() });
    const eighth = await client.messages.addMsgTemplate({ chat_type: 'group', sender: owner.owner, chat_id_list: [owner.chat_id], text: text() });
    advance(600);
    expect((await sendResults(seventh.msgid))[0]).toMatchObject({ chat_id: owner.chat_id, status: 1 });
    expect((await sendResults(eighth.msgid))[0]).toMatchObject({ chat_id: owner.chat_id, status: 3 });
    expect(sim.massReceivedCount(owner.chat_id)).toBe(7);
  });

  it('no recipient receives a push twice when tasks overlap under day1 (introspection over the control API)', async () => {
    await raw.post('/__sim/settings', { massReceiveRule: 'day1' });
    advance(3600);
    const rep = reps()[0]!.userid;
    const ids = customersOf(rep);
    await client.messages.addMsgTemplate({ sender: rep, external_userid: ids, text: text() });
    await client.messages.addMsgTemplate({ sender: rep, external_userid: ids, text: text() });
    advance(600);
    expect((await raw.get('/__sim/mass-messages/received', { params: { min: 2 } })).data).toEqual({ received: {} });
    const one = (await raw.get('/__sim/mass-messages/received', { params: { ids: ids.slice(0, 2).join(',') } })).data;
    expect(one).toEqual({ received: { [ids[0]!]: 1, [ids[1]!]: 1 } });
    expect((await raw.get('/__sim/mass-messages/senders')).data).toEqual({ templateCalls: { [rep]: 2 } });
  });
});

describe('group mass messages', () => {
  it('sender required; only the sender’s own groups (default all of them); chat_id rows; a dismissed group gives 2', async () => {
    const byOwner = new Map<string, string[]>();
    for (const g of sim.world.groups.values()) if (!g.dismissed) byOwner.set(g.owner, [...(byOwner.get(g.owner) ?? []), g.chat_id]);
    const [owner, owned] = [...byOwner.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    const foreign = [...sim.world.groups.values()].find((g) => g.owner !== owner && !g.dismissed)!.chat_id;
    expect((await post('externalcontact/add_msg_template', { chat_type: 'group', chat_id_list: owned, text: text() })).errcode).toBe(40058);

    const all = await client.messages.addMsgTemplate({ chat_type: 'group', sender: owner, text: text() });
    expect(all.fail_list).toEqual([]);
    const picked = await client.messages.addMsgTemplate({ chat_type: 'group', sender: owner, chat_id_list: [owned[0]!, foreign], text: text() });
    expect(picked.fail_list).toEqual([foreign]);
    sim.groupDismissed({ chatId: owned[0]! });
    advance(600);
    const rows = await sendResults(all.msgid);
    expect(rows.map((r) => r.chat_id).sort()).toEqual([...owned].sort());
    expect(rows.every((r) => r.external_userid === undefined)).toBe(true);
    expect(rows.find((r) => r.chat_id === owned[0])!.status).toBe(2);
    expect(rows.filter((r) => r.chat_id !== owned[0]).every((r) => r.status === 1)).toBe(true);
  });
});

describe('get_groupmsg_list_v2', () => {
  it('span ≤1 month, chat_type and filter_type, creator only on employee tasks, cursor paging', async () => {
    const rep = reps()[0]!.userid;
    const start = nowS() - 60;
    const a = await client.messages.addMsgTemplate({ sender: rep, text: text('A') });
    const b = await client.messages.addMsgTemplate({ sender: rep, text: text('B'), attachments: [{ msgtype: 'link', link: { title: 'Catalogue', url: 'https://example.com' } }] });
    const personal = sim.repCreatesMassMessage({ userid: rep, externalUserIds: customersOf(rep, 1), text: 'from me' });
    const end = nowS() + 60;

    await expect(client.messages.getGroupmsgListV2({ chat_type: 'single', start_time: start, end_time: start + 31 * DAY_S + 1 })).rejects.toMatchObject({ errcode: 40058 });
    expect((await post('externalcontact/get_groupmsg_list_v2', { start_time: start, end_time: end })).errcode).toBe(40058);

    const every = await client.messages.getGroupmsgListV2({ chat_type: 'single', start_time: start, end_time: end });
    expect(every.items.map((m) => m.msgid)).toEqual([a.msgid, b.msgid, personal.msgid]);
    expect(every.items[0]).toEqual({ msgid: a.msgid, create_time: nowS(), create_type: 0, text: { content: 'A' } });
    expect(every.items[1]!.attachments).toEqual([{ msgtype: 'link', link: { title: 'Catalogue', url: 'https://example.com' } }]);
    expect(every.items[2]).toMatchObject({ msgid: personal.msgid, creator: rep, create_type: 1 });

    const corp = await client.messages.getGroupmsgListV2({ chat_type: 'single', start_time: start, end_time: end, filter_type: 0 });
    expect(corp.items.map((m) => m.msgid)).toEqual([a.msgid, b.msgid]);
    const mine = await client.messages.getGroupmsgListV2({ chat_type: 'single', start_time: start, end_time: end, creator: rep });
    expect(mine.items.map((m) => m.msgid)).toEqual([personal.msgid]);
    expect((await client.messages.getGroupmsgListV2({ chat_type: 'group', start_time: start, end_time: end })).items).toEqual([]);

    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await client.messages.getGroupmsgListV2({ chat_type: 'single', start_time: start, end_time: end, limit: 1, cursor });
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((m) => m.msgid));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([a.msgid, b.msgid, personal.msgid]);
  });
});

describe('contact ways', () => {
  it('validates type/scene/members/lengths with the §4.12 errcodes', async () => {
    const [a, b] = reps();
    const cases: Array<[Json, number]> = [
      [{ scene: 2, user: [a!.userid] }, 41037],
      [{ type: 1, user: [a!.userid] }, 41038],
      [{ type: 3, scene: 2, user: [a!.userid] }, 41039],
      [{ type: 1, scene: 3, user: [a!.userid] }, 41040],
      [{ type: 1, scene: 2, user: [a!.userid, b!.userid] }, 40058],
      [{ type: 2, scene: 2 }, 40058],
      [{ type: 2, scene: 2, user: ['ghost'] }, 60111],
      [{ type: 2, scene: 2, user: [a!.userid], party: [999] }, 60123],
      [{ type: 1, scene: 2, user: [a!.userid], remark: 'r'.repeat(31) }, 40058],
      [{ type: 1, scene: 2, user: [a!.userid], state: '渠'.repeat(31) }, 40058],
      [{ type: 1, scene: 1, style: 0, user: [a!.userid] }, 41042],
    ];
    for (const [body, errcode] of cases) expect({ body, errcode: (await post('externalcontact/add_contact_way', body)).errcode }).toEqual({ body, errcode });

    sim.employeeUpdated({ userid: b!.userid, status: 4 });
    await expect(client.contactWays.add({ type: 2, scene: 2, user: [a!.userid, b!.userid] })).rejects.toMatchObject({ errcode: 41054 });
    for (let i = 0; i < 101; i += 1) sim.employeeJoins({ department: [1], deliver: 'drop' });
    await expect(client.contactWays.add({ type: 2, scene: 2, party: [1] })).rejects.toMatchObject({ errcode: 41041 });
    // 30 characters are fine.
    await expect(client.contactWays.add({ type: 1, scene: 2, user: [a!.userid], state: '渠'.repeat(30), remark: 'r'.repeat(30) })).resolves.toMatchObject({ config_id: expect.any(String) });
  });

  it('add → get → list → update (replaces user/party/remark) → del → 41044', async () => {
    const [a, b, c] = reps();
    const qr = await client.contactWays.add({ type: 2, scene: 2, user: [a!.userid, b!.userid], remark: 'Expo booth 3', state: 'expo_booth3' });
    expect(qr.config_id).toMatch(/^[0-9a-f]{32}$/);
    expect(qr.qr_code).toMatch(/^https:\/\//);
    const button = await client.contactWays.add({ type: 1, scene: 1, style: 2, user: [c!.userid] });
    expect(button.qr_code).toBeUndefined();

    expect(await client.contactWays.get(qr.config_id)).toMatchObject({
      config_id: qr.config_id, type: 2, scene: 2, remark: 'Expo booth 3', skip_verify: true, state: 'expo_booth3', qr_code: qr.qr_code,
      user: [a!.userid, b!.userid], party: [], is_temp: false, is_exclusive: false,
    });
    await client.contactWays.update({ config_id: qr.config_id, user: [c!.userid], remark: 'Hall B' });
    expect(await client.contactWays.get(qr.config_id)).toMatchObject({ user: [c!.userid], remark: 'Hall B', state: 'expo_booth3' });
    await expect(client.contactWays.update({ config_id: button.config_id, user: [a!.userid, b!.userid] })).rejects.toMatchObject({ errcode: 40058 });

    const temp = await client.contactWays.add({ type: 1, scene: 2, user: [a!.userid], is_temp: true });
    const listed: string[] = [];
    let cursor = '';
    do {
      const page = await client.contactWays.list({ limit: 1, cursor });
      listed.push(...page.items.map((w) => w.config_id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toEqual([qr.config_id, button.config_id]);
    expect(listed).not.toContain(temp.config_id);

    await client.contactWays.del(qr.config_id);
    await expect(client.contactWays.get(qr.config_id)).rejects.toMatchObject({ errcode: 41044 });
    await expect(client.contactWays.update({ config_id: qr.config_id, remark: 'x' })).rejects.toMatchObject({ errcode: 41044 });
    await expect(client.contactWays.del(qr.config_id)).rejects.toMatchObject({ errcode: 41044 });
    expect((await post('externalcontact/get_contact_way', {})).errcode).toBe(41043);
    expect((await client.contactWays.list()).items.map((w) => w.config_id)).toEqual([button.config_id]);
  });

  it('the corp cap (41045) counts API ways and join ways, not temporary ways', async () => {
    const rep = reps()[0]!.userid;
    await raw.post('/__sim/settings', { contactWayLimit: 3 });
    await raw.post('/__sim/contact-ways/join-way-count', { count: 1 });
    await client.contactWays.add({ type: 1, scene: 2, user: [rep] });
    const second = await client.contactWays.add({ type: 1, scene: 2, user: [rep] });
    await expect(client.contactWays.add({ type: 1, scene: 2, user: [rep] })).rejects.toMatchObject({ errcode: 41045 });
    await expect(client.contactWays.add({ type: 1, scene: 2, user: [rep], is_temp: true })).resolves.toBeDefined();
    await client.contactWays.del(second.config_id);
    await expect(client.contactWays.add({ type: 1, scene: 2, user: [rep] })).resolves.toBeDefined();
  });

  it('a customer adding through a way: round robin, State and a WelcomeCode in the event, state in follow_user, adds recorded', async () => {
    const members = sim.world.followUsers().filter((e) => !e.consoleWelcome).slice(0, 2).map((e) => e.userid);
    const way = await client.contactWays.add({ type: 2, scene: 2, user: members, state: 'expo_booth3' });
    const r1 = sim.customerAddsRepViaWay({ configId: way.config_id });
    const r2 = (await raw.post('/__sim/world/customerAddsRepViaWay', { configId: way.config_id })).data;
    const r3 = sim.customerAddsRepViaWay({ configId: way.config_id });
    expect([r1.userid, r2.userid, r3.userid]).toEqual([members[0], members[1], members[0]]);
    await sim.flushCallbacks();

    const ev = events.find((e) => e.ExternalUserID === r1.externalUserId)!;
    expect(ev).toMatchObject({ Event: 'change_external_contact', ChangeType: 'add_external_contact', UserID: members[0], State: 'expo_booth3', WelcomeCode: r1.welcomeCode });
    const detail = await client.customers.get(r1.externalUserId);
    expect(detail.follow_user.find((f) => f.userid === members[0])!.state).toBe('expo_booth3');
    await client.messages.sendWelcomeMsg({ welcome_code: r1.welcomeCode!, text: text('Hi from the booth') });
    await expect(client.messages.sendWelcomeMsg({ welcome_code: r1.welcomeCode!, text: text('again') })).rejects.toMatchObject({ errcode: 41051 });

    expect(sim.contactWayAdds(way.config_id)).toEqual({ [members[0]!]: 2, [members[1]!]: 1 });
    const listed = (await raw.get('/__sim/contact-ways')).data.contactWays[0];
    expect(listed).toMatchObject({ config_id: way.config_id, addsByUser: { [members[0]!]: 2, [members[1]!]: 1 } });
    await client.contactWays.del(way.config_id);
    expect((await raw.post('/__sim/world/customerAddsRepViaWay', { configId: way.config_id })).status).toBe(400);
  });
});

describe('media', () => {
  it('media/upload returns a 3-day media_id that attachments may name; unknown or expired ids answer 40007', async () => {
    const { media_id, created_at } = await client.media.upload('image', 'poster.png', Buffer.alloc(2048, 1), 'image/png');
    expect(created_at).toBe(nowS());
    expect((await raw.get('/__sim/media')).data.uploads).toEqual([expect.objectContaining({ media_id, type: 'image', filename: 'poster.png', size: 2048 })]);
    const rep = reps()[0]!.userid;
    const attach = (id: string) => [{ msgtype: 'image' as const, image: { media_id: id } }];
    await expect(client.messages.addMsgTemplate({ sender: rep, attachments: attach(media_id) })).resolves.toMatchObject({ msgid: expect.any(String) });
    await expect(client.messages.addMsgTemplate({ sender: rep, attachments: attach('3bogus') })).rejects.toMatchObject({ errcode: 40007 });

    const add = sim.customerAddsRep({ userid: sim.world.followUsers().find((e) => !e.consoleWelcome)!.userid });
    await expect(client.messages.sendWelcomeMsg({ welcome_code: add.welcomeCode!, attachments: attach('3bogus') })).rejects.toMatchObject({ errcode: 40007 });
    await expect(client.messages.sendWelcomeMsg({ welcome_code: add.welcomeCode!, attachments: attach(media_id) })).resolves.toBeUndefined();

    advance(3 * DAY_S);
    await expect(client.messages.addMsgTemplate({ sender: rep, attachments: attach(media_id) })).rejects.toMatchObject({ errcode: 40007 });
  });

  it('rejects a bad type (40004), a missing part (41005), bad sizes (40006) and, for uploadimg, non-JPG/PNG (40005)', async () => {
    expect((await upload('sticker', 'a.png', 100)).errcode).toBe(40004);
    expect((await upload('image', 'a.png', 5)).errcode).toBe(40006);
    expect((await upload('image', 'a.png', 10 * 1024 * 1024 + 1)).errcode).toBe(40006);
    expect((await upload('file', 'big.bin', 10 * 1024 * 1024 + 1)).errcode).toBe(0);
    expect((await upload('voice', 'v.amr', 2 * 1024 * 1024 + 1)).errcode).toBe(40006);
    const token = (await raw.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } })).data.access_token;
    const noPart = new FormData();
    noPart.append('other', 'x');
    expect((await raw.post('/cgi-bin/media/upload', noPart, { params: { access_token: token, type: 'file' } })).data.errcode).toBe(41005);
    expect((await upload('', 'a.gif', 100, 'media/uploadimg')).errcode).toBe(40005);
    expect((await upload('', 'a.png', 2 * 1024 * 1024 + 1, 'media/uploadimg')).errcode).toBe(40009);
    const { url } = await client.media.uploadImage('banner.jpg', Buffer.alloc(4096, 2));
    expect(url).toMatch(/^https:\/\/wework\.qpic\.cn\//);
  });
});

describe('group welcome templates', () => {
  it('add / get / edit / del, text ≤3000 bytes, one attachment, 100 per corp (configurable)', async () => {
    const { media_id } = await client.media.upload('image', 'welcome.png', Buffer.alloc(100, 3), 'image/png');
    const { template_id } = await client.groupWelcome.add({ text: { content: '欢迎入群' }, image: { media_id } });
    expect(template_id).toMatch(/^msg/);
    const got = await client.groupWelcome.get(template_id);
    expect(got.text).toEqual({ content: '欢迎入群' });
    expect(got.image).toEqual({ pic_url: expect.stringMatching(/^https:\/\//) });

    await client.groupWelcome.edit(template_id, { link: { title: 'Rules', url: 'https://example.com/rules' } });
    expect(await client.groupWelcome.get(template_id)).toEqual({ link: { title: 'Rules', url: 'https://example.com/rules' } });

    expect((await post('externalcontact/group_welcome_template/add', { text: { content: '字'.repeat(1001) } })).errcode).toBe(45002);
    expect((await post('externalcontact/group_welcome_template/add', { image: { media_id }, file: { media_id } })).errcode).toBe(40058);
    expect((await post('externalcontact/group_welcome_template/add', { image: { media_id: '3unknown' } })).errcode).toBe(40007);

    await raw.post('/__sim/settings', { groupWelcomeTemplateLimit: 2 });
    await client.groupWelcome.add({ text: { content: 'second' } });
    await expect(client.groupWelcome.add({ text: { content: 'third' } })).rejects.toMatchObject({ errcode: 40058 });

    await client.groupWelcome.del(template_id);
    await expect(client.groupWelcome.get(template_id)).rejects.toMatchObject({ errcode: 40058 });
    expect((await raw.get('/__sim/group-welcome-templates')).data.templates).toHaveLength(1);
  });
});
