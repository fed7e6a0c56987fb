/**
 * The simulator's time-driven flows over real HTTP: welcome codes (20 s, single
 * use), on-job and resigned customer transfers (24 h, refusal, 90-day rule),
 * the unassigned pool and group owner transfers.
 */
import axios from 'axios';
import {
  createSimulator, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET,
  DEMO_CORP_ID, type Simulator,
} from '../../src/simulator';
import { startEventReceiver } from '../helpers/callbacks';

type Json = Record<string, any>;
const HOUR = 3_600_000;

let sim: Simulator;
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
    // A frozen base clock: only advanceTime moves simulated time, so timestamps are exact.
    clock: { now: () => new Date('2026-03-02T08:00:00Z') },
    counts: { employees: 12, customers: 400, groups: 12, departments: 3 },
  });
  const { url } = await sim.listen();
  const client = axios.create({ baseURL: url, validateStatus: () => true, proxy: false });
  // gettoken per call: the same token while valid, a new one once advanceTime has expired it.
  const token = async () => (await client.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } })).data.access_token;
  post = async (api, body) => (await client.post(`/cgi-bin/${api}`, body, { params: { access_token: await token() } })).data;
});

afterEach(async () => {
  await sim.close();
  await receiver.close();
});

const reps = () => sim.world.followUsers().filter((e) => sim.world.relationsOf(e.userid).length > 0);

describe('send_welcome_msg', () => {
  it('accepts a WelcomeCode once within 20 s: 41051 when reused, 41050 when expired or unknown', async () => {
    const rep = sim.world.followUsers().find((e) => !e.consoleWelcome)!;
    const a = sim.customerAddsRep({ userid: rep.userid });
    const b = sim.customerAddsRep({ userid: rep.userid });
    expect(a.welcomeCode).toBeDefined();
    const text = { content: '你好，我是你的专属顾问' };
    expect(await post('externalcontact/send_welcome_msg', { welcome_code: a.welcomeCode, text })).toMatchObject({ errcode: 0 });
    expect((await post('externalcontact/send_welcome_msg', { welcome_code: a.welcomeCode, text })).errcode).toBe(41051);
    expect(sim.welcomeMessages).toEqual([expect.objectContaining({ userid: rep.userid, externalUserId: a.externalUserId })]);

    sim.advanceTime(21_000);
    expect((await post('externalcontact/send_welcome_msg', { welcome_code: b.welcomeCode, text })).errcode).toBe(41050);
    expect((await post('externalcontact/send_welcome_msg', { welcome_code: 'nope', text })).errcode).toBe(41050);
    expect((await post('externalcontact/send_welcome_msg', { text })).errcode).toBe(41049);
    expect((await post('externalcontact/send_welcome_msg', { welcome_code: 'x', text: { content: 'x'.repeat(4001) } })).errcode).toBe(45002);
  });
});

describe('on-job transfer', () => {
  it('starts with status 2, completes after 24 h with add + del(DELETE_BY_TRANSFER), and enforces per-customer rules', async () => {
    const [from, to] = reps();
    const [c1, c2, c3] = sim.world.relationsOf(from!.userid).filter((r) => !sim.world.relation(to!.userid, r.external_userid));
    const notFromsCustomer = sim.world.relationsOf(to!.userid).find((r) => !sim.world.relation(from!.userid, r.external_userid))!.external_userid;
    const res = await post('externalcontact/transfer_customer', {
      handover_userid: from!.userid, takeover_userid: to!.userid,
      external_userid: [c1!.external_userid, c2!.external_userid, 'wmnobody', notFromsCustomer],
    });
    expect(res.errcode).toBe(0);
    expect(res.customer.map((c: Json) => c.errcode)).toEqual([0, 0, 40096, 40131]);
    const again = await post('externalcontact/transfer_customer', { handover_userid: from!.userid, takeover_userid: to!.userid, external_userid: [c1!.external_userid] });
    expect(again.customer[0].errcode).toBe(40129);
    const same = await post('externalcontact/transfer_customer', { handover_userid: from!.userid, takeover_userid: from!.userid, external_userid: [c3!.external_userid] });
    expect(same.customer[0].errcode).toBe(40130);

    const pending = await post('externalcontact/transfer_result', { handover_userid: from!.userid, takeover_userid: to!.userid });
    expect(pending.customer).toHaveLength(2);
    expect(pending.customer.every((c: Json) => c.status === 2 && c.takeover_time === sim.nowSeconds() + 86400)).toBe(true);
    await sim.flushCallbacks();
    expect(events).toHaveLength(0);

    sim.customerRefusesTransfer({ externalUserId: c2!.external_userid });
    sim.advanceTime(24 * HOUR);
    await sim.flushCallbacks();
    const done = await post('externalcontact/transfer_result', { handover_userid: from!.userid, takeover_userid: to!.userid });
    expect(done.customer.map((c: Json) => [c.external_userid, c.status])).toEqual([[c1!.external_userid, 1], [c2!.external_userid, 3]]);
    expect(sim.world.relation(to!.userid, c1!.external_userid)).toBeDefined();
    expect(sim.world.relation(from!.userid, c1!.external_userid)).toBeUndefined();
    expect(sim.world.relation(from!.userid, c2!.external_userid)).toBeDefined();
    expect(events.map((e) => [e.ChangeType, e.UserID, e.FailReason ?? e.Source ?? ''])).toEqual([
      ['transfer_fail', to!.userid, 'customer_refused'],
      ['add_external_contact', to!.userid, ''],
      ['del_external_contact', from!.userid, 'DELETE_BY_TRANSFER'],
    ]);

    // 90-day rule: the customer that just moved cannot move again yet.
    const back = await post('externalcontact/transfer_customer', { handover_userid: to!.userid, takeover_userid: from!.userid, external_userid: [c1!.external_userid] });
    expect(back.customer[0].errcode).toBe(40128);
    const none = await post('externalcontact/transfer_result', { handover_userid: to!.userid, takeover_userid: from!.userid, external_userid: 'wmnever' });
    expect(none.status).toBe(5);
  });
});

describe('resigned transfer and the unassigned pool', () => {
  it('lists a departed rep\'s customers with dimission_time, pages them, and reassigns them after 24 h', async () => {
    const [gone, heir] = reps().sort((a, b) => sim.world.relationsOf(b.userid).length - sim.world.relationsOf(a.userid).length);
    const theirs = sim.world.relationsOf(gone!.userid).map((r) => r.external_userid);
    const early = await post('externalcontact/resigned/transfer_customer', { handover_userid: gone!.userid, takeover_userid: heir!.userid, external_userid: [theirs[0]] });
    expect(early.errcode).toBe(40097);

    sim.employeeLeaves({ userid: gone!.userid });
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await post('externalcontact/get_unassigned_list', { cursor, page_size: 3 });
      expect(page.errcode).toBe(0);
      for (const i of page.info) {
        expect(i).toMatchObject({ handover_userid: gone!.userid, dimission_time: sim.nowSeconds() });
        seen.push(i.external_userid);
      }
      cursor = page.next_cursor;
      expect(page.is_last).toBe(cursor === '');
    } while (cursor);
    expect(seen).toEqual(theirs);

    const res = await post('externalcontact/resigned/transfer_customer', { handover_userid: gone!.userid, takeover_userid: heir!.userid, external_userid: theirs.slice(0, 2) });
    expect(res.customer.map((c: Json) => c.errcode)).toEqual([0, 0]);
    const pool = await post('externalcontact/get_unassigned_list', {});
    expect(pool.info.map((i: Json) => i.external_userid)).toEqual(theirs.slice(2));
    sim.advanceTime(24 * HOUR);
    const result = await post('externalcontact/resigned/transfer_result', { handover_userid: gone!.userid, takeover_userid: heir!.userid });
    expect(result).toMatchObject({ errcode: 0 });
    expect(result.customer.map((c: Json) => c.status)).toEqual([1, 1]);
    await sim.flushCallbacks();
    // The departed handover gets no del event; the heir gets add unless already friends.
    expect(events.filter((e) => e.ChangeType === 'del_external_contact')).toHaveLength(0);
    expect(events.filter((e) => e.ChangeType === 'add_external_contact').every((e) => e.UserID === heir!.userid)).toBe(true);
  });
});

describe('group owner transfers', () => {
  it('moves a departed owner\'s groups 1 → 2 → 3, and limits on-job transfers', async () => {
    const g = sim.truth().groups[0]!;
    const heir = sim.world.followUsers().find((e) => e.userid !== g.owner)!;
    const onjob = await post('externalcontact/groupchat/onjob_transfer', { chat_id_list: [g.chat_id, 'wrnope'], new_owner: heir.userid });
    expect(onjob.failed_chat_list).toEqual([expect.objectContaining({ chat_id: 'wrnope', errcode: 90501 })]);
    expect(sim.world.groups.get(g.chat_id)!.owner).toBe(heir.userid);
    const back = await post('externalcontact/groupchat/onjob_transfer', { chat_id_list: [g.chat_id], new_owner: g.owner });
    expect(back.failed_chat_list).toEqual([]);
    const third = await post('externalcontact/groupchat/onjob_transfer', { chat_id_list: [g.chat_id], new_owner: heir.userid });
    expect(third.failed_chat_list[0].errcode).toBe(40128);

    const notResigned = await post('externalcontact/groupchat/transfer', { chat_id_list: [g.chat_id], new_owner: heir.userid });
    expect(notResigned.failed_chat_list[0].errcode).toBe(90500);
    sim.employeeLeaves({ userid: g.owner });
    const status = async () => (await post('externalcontact/groupchat/list', { limit: 1000 })).group_chat_list.find((x: Json) => x.chat_id === g.chat_id).status;
    expect(await status()).toBe(1);
    expect((await post('externalcontact/groupchat/transfer', { chat_id_list: [g.chat_id], new_owner: heir.userid })).failed_chat_list).toEqual([]);
    expect(await status()).toBe(2);
    expect((await post('externalcontact/groupchat/transfer', { chat_id_list: [g.chat_id], new_owner: heir.userid })).failed_chat_list[0].errcode).toBe(90507);
    sim.advanceTime(60_000);
    expect(await status()).toBe(3);
    expect((await post('externalcontact/groupchat/get', { chat_id: g.chat_id })).group_chat.owner).toBe(heir.userid);
  });
});

describe('configurable refusal and the daily group cap', () => {
  it('refuses a share of transfers at the takeover with transfer_fail, as configured', async () => {
    sim.configure({ transferRefusalRate: 0.5 });
    const [gone, heir] = reps().sort((a, b) => sim.world.relationsOf(b.userid).length - sim.world.relationsOf(a.userid).length);
    sim.employeeLeaves({ userid: gone!.userid });
    const theirs = sim.world.relationsOf(gone!.userid).map((r) => r.external_userid).filter((id) => !sim.world.relation(heir!.userid, id)).slice(0, 40);
    expect(theirs.length).toBeGreaterThanOrEqual(10);
    await post('externalcontact/resigned/transfer_customer', { handover_userid: gone!.userid, takeover_userid: heir!.userid, external_userid: theirs });
    sim.advanceTime(24 * HOUR);
    const result = await post('externalcontact/resigned/transfer_result', { handover_userid: gone!.userid, takeover_userid: heir!.userid });
    const refused = result.customer.filter((c: Json) => c.status === 3);
    const done = result.customer.filter((c: Json) => c.status === 1);
    expect(refused.length + done.length).toBe(theirs.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(done.length).toBeGreaterThan(0);
    await sim.flushCallbacks();
    expect(events.filter((e) => e.ChangeType === 'transfer_fail' && e.FailReason === 'customer_refused').map((e) => e.ExternalUserID).sort())
      .toEqual(refused.map((c: Json) => c.external_userid).sort());
    // A refused customer stays with the departed rep, so is in the pool again.
    const pool = await post('externalcontact/get_unassigned_list', {});
    expect(pool.info.map((i: Json) => i.external_userid).sort()).toEqual(expect.arrayContaining(refused.map((c: Json) => c.external_userid)));
  });

  it("refuses an old owner's groups beyond the per-day cap until a day has passed", async () => {
    sim.configure({ groupTransfersPerOwnerPerDay: 2 });
    const owner = [...sim.world.groups.values()].map((g) => g.owner)
      .find((o) => [...sim.world.groups.values()].filter((g) => g.owner === o && !g.dismissed).length >= 3)!;
    const chats = [...sim.world.groups.values()].filter((g) => g.owner === owner && !g.dismissed).map((g) => g.chat_id).slice(0, 3);
    const heir = sim.world.followUsers().find((e) => e.userid !== owner)!;
    const first = await post('externalcontact/groupchat/onjob_transfer', { chat_id_list: chats, new_owner: heir.userid });
    expect(first.failed_chat_list).toEqual([expect.objectContaining({ chat_id: chats[2], errcode: 90506 })]);
    sim.advanceTime(24 * HOUR + 1000);
    const later = await post('externalcontact/groupchat/onjob_transfer', { chat_id_list: [chats[2]], new_owner: heir.userid });
    expect(later.failed_chat_list).toEqual([]);
  });
});
