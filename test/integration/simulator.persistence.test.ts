/**
 * The simulator's persistence (issue 12, defect 4): saveTo / restoreFrom keep
 * the whole durable state — world, pending transfers, mass messages, media,
 * templates, run-time settings and the simulated clock — across a restart;
 * persistTo saves automatically; a bad file refuses to start instead of reseeding.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { createLogger } from '../../src/lib/logger';
import {
  createSimulator, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET,
  DEMO_CORP_ID, Simulator, SimStateFileError, type SimulatorOptions, type WorldSnapshot,
} from '../../src/simulator';

type Json = Record<string, any>;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T08:00:00Z');

let dir: string;
let base: number;
const open: Simulator[] = [];

const options = (over: Partial<SimulatorOptions> = {}): SimulatorOptions => ({
  corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID,
  secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET },
  callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY },
  seed: 99,
  // A base clock the test moves by hand (a "restart" can happen at a later wall time).
  clock: { now: () => new Date(base) },
  counts: { employees: 10, customers: 200, groups: 8, departments: 3 },
  logger: createLogger('silent'),
  ...over,
});

async function start(over: Partial<SimulatorOptions> = {}) {
  const sim = createSimulator(options(over));
  open.push(sim);
  const { url } = await sim.listen();
  const http = axios.create({ baseURL: url, validateStatus: () => true, proxy: false });
  const token = async () => (await http.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } })).data.access_token;
  const post = async (api: string, body: Json): Promise<Json> => (await http.post(`/cgi-bin/${api}`, body, { params: { access_token: await token() } })).data;
  const get = async (api: string, params: Json): Promise<Json> => (await http.get(`/cgi-bin/${api}`, { params: { access_token: await token(), ...params } })).data;
  return { sim, http, post, get };
}

const reps = (sim: Simulator) => sim.world.followUsers().filter((e) => sim.world.relationsOf(e.userid).length >= 3);

/** Every id the world holds, of every kind (for the collision check). */
function allIds(t: WorldSnapshot): Set<string> {
  return new Set([
    ...t.customers.map((c) => c.external_userid), ...t.strangers.map((c) => c.external_userid),
    ...t.groups.map((g) => g.chat_id), ...t.groups.map((g) => g.member_version),
    ...t.tagGroups.flatMap((g) => [g.group_id, ...g.tags.map((x) => x.id)]), ...t.contactWays.map((w) => w.config_id),
  ]);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sim-persist-'));
  base = T0;
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('saveTo + restoreFrom', () => {
  it('rebuilds the same world, desks, settings and clock; pending work completes; new ids are new', async () => {
    const file = join(dir, 'wecom-sim.json');
    const a = await start();
    const [leaver, from, to] = reps(a.sim);
    // World actions.
    a.sim.employeeLeaves({ userid: leaver!.userid });
    const added = a.sim.customerAddsRep({ userid: from!.userid, state: 'expo' });
    const group = a.sim.groupCreated({ owner: from!.userid, memberIds: [added.externalUserId], name: 'persisted' });
    const tags = a.sim.tagCreated({ groupName: '持久化', names: ['甲', '乙'] });
    a.sim.configure({ massConfirmDelaySeconds: 1200, transferRefusalRate: 0 });
    // An on-job transfer over the API: pending (status 2) for 24 h.
    const moving = a.sim.world.relationsOf(from!.userid).filter((r) => !a.sim.world.relation(to!.userid, r.external_userid)).slice(0, 2).map((r) => r.external_userid);
    const tr = await a.post('externalcontact/transfer_customer', { handover_userid: from!.userid, takeover_userid: to!.userid, external_userid: moving });
    expect(tr.customer.map((c: Json) => c.errcode)).toEqual([0, 0]);
    // Mass messages: one confirmed (after the delay), one still pending at the save.
    const m1 = await a.post('externalcontact/add_msg_template', { sender: to!.userid, text: { content: '第一条' } });
    expect(m1.errcode).toBe(0);
    a.sim.advanceTime(2 * HOUR);
    const m2 = await a.post('externalcontact/add_msg_template', { sender: from!.userid, text: { content: '第二条' } });
    expect(m2.errcode).toBe(0);
    const way = await a.post('externalcontact/add_contact_way', { type: 1, scene: 2, user: [to!.userid], state: 'qr1' });
    expect(way.errcode).toBe(0);
    a.sim.world.joinWayCount = 3;
    const tpl = await a.post('externalcontact/group_welcome_template/add', { text: { content: '欢迎' } });
    expect(tpl.errcode).toBe(0);
    const sendResult = async (s: typeof a, msgid: string, userid: string) => s.post('externalcontact/get_groupmsg_send_result', { msgid, userid, limit: 1000 });
    const r1 = await sendResult(a, m1.msgid, to!.userid);
    expect(r1.send_list.some((x: Json) => x.status === 1)).toBe(true);

    const before = a.sim.truth();
    const savedNow = a.sim.nowMs();
    const seqBefore = a.sim.world.nextSeq();
    await a.sim.saveTo(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ kind: 'lifelong-wecom-simulator', version: 1, corpId: DEMO_CORP_ID, generation: 0 });

    // "Restart": a new simulator at an EARLIER wall time must still not go back in simulated time.
    await a.sim.close();
    base = T0 - 10 * HOUR;
    const b = await start({ restoreFrom: file, seed: 12345 });
    expect(b.sim.restoredFrom).toBe(file);
    expect(b.sim.generation).toBe(1);
    expect(b.sim.nowMs()).toBeGreaterThanOrEqual(savedNow);
    expect(b.sim.truth()).toEqual(before);
    expect(b.sim.describe().world).toEqual(a.sim.describe().world);
    expect(b.sim.world.nextSeq()).toBe(seqBefore + 1);
    expect(b.sim.world.apiWayCount()).toBe(a.sim.world.apiWayCount());
    expect(b.sim.settings.massConfirmDelaySeconds).toBe(1200);
    expect(b.sim.groupWelcomeTemplates.get(tpl.template_id)?.text).toEqual({ content: '欢迎' });
    expect(b.sim.world.liveTag(tags.tagIds[0]!)).toBeDefined();
    expect(b.sim.world.liveGroup(group.chatId)?.name).toBe('persisted');

    // The departed rep stays departed.
    expect((await b.get('user/get', { userid: leaver!.userid })).errcode).toBe(60111);
    expect((await b.get('user/get', { userid: from!.userid })).errcode).toBe(0);

    // Mass messages read the same; the pending one still confirms after its delay.
    expect(await sendResult(b, m1.msgid, to!.userid)).toEqual(r1);
    expect(b.sim.massMessages.templateCallsBySender()).toEqual(a.sim.massMessages.templateCallsBySender());
    expect(b.sim.massReceivedCounts()).toEqual(a.sim.massReceivedCounts());
    expect(b.sim.massMessage(m2.msgid)!.senders[0]!.status).toBe(0);

    // The pending transfer completes 24 h after its request, on the restored simulator.
    const pending = (await b.post('externalcontact/transfer_result', { handover_userid: from!.userid, takeover_userid: to!.userid })).customer;
    expect(pending.map((c: Json) => c.status)).toEqual([2, 2]);
    b.sim.advanceTime(24 * HOUR);
    const done = (await b.post('externalcontact/transfer_result', { handover_userid: from!.userid, takeover_userid: to!.userid })).customer;
    expect(done.map((c: Json) => c.status)).toEqual([1, 1]);
    for (const id of moving) {
      expect(b.sim.world.relation(to!.userid, id)).toBeDefined();
      expect(b.sim.world.relation(from!.userid, id)).toBeUndefined();
    }
    expect(b.sim.massMessage(m2.msgid)!.senders[0]!.status).toBe(2);

    // New ids after the restore collide with nothing and do not replay the pre-restart stream.
    const known = allIds(b.sim.truth());
    const aNext = createSimulator(options());
    open.push(aNext);
    const replayed = aNext.customerAddsRep({ userid: from!.userid }).externalUserId;
    const fresh = [
      b.sim.customerAddsRep({ userid: from!.userid }).externalUserId,
      b.sim.groupCreated({ owner: to!.userid }).chatId,
      ...b.sim.tagCreated({ groupName: '新组', names: ['丙'] }).tagIds,
      (await b.post('externalcontact/add_contact_way', { type: 1, scene: 1, user: [to!.userid] })).config_id as string,
    ];
    for (const id of fresh) expect(known.has(id)).toBe(false);
    expect(new Set(fresh).size).toBe(fresh.length);
    expect(fresh[0]).not.toBe(replayed);
    // The id streams themselves differ from a seeded simulator's and from the previous generation's
    // (the collision checks above would hide a replayed stream).
    const draws = (s: Simulator) => Array.from({ length: 4 }, () => s.rng.next());
    const again = createSimulator(options({ restoreFrom: file }));
    await b.sim.saveTo(file);
    const third = createSimulator(options({ restoreFrom: file }));
    expect(third.generation).toBe(2);
    const [g0, g1, g2] = [draws(createSimulator(options())), draws(again), draws(third)];
    expect(g1).not.toEqual(g0);
    expect(g2).not.toEqual(g1);
    expect(g2).not.toEqual(g0);
  });

  it('keeps simulated time running with the base clock across the restart (offset kept)', async () => {
    const file = join(dir, 'state.json');
    const a = await start();
    a.sim.advanceTime(5 * HOUR);
    const at = a.sim.nowMs();
    await a.sim.saveTo(file);
    base = T0 + 2 * HOUR; // two real hours of downtime
    const b = await start({ restoreFrom: file });
    expect(b.sim.nowMs()).toBe(at + 2 * HOUR);
  });

  it('seeds as usual when the file is missing', async () => {
    const file = join(dir, 'missing.json');
    const seeded = createSimulator(options());
    const b = await start({ restoreFrom: file });
    expect(b.sim.restoredFrom).toBeUndefined();
    expect(b.sim.generation).toBe(0);
    expect(b.sim.truth()).toEqual(seeded.truth());
  });

  it('refuses a corrupt, truncated, other-version or other-corp file with an error naming it and how to reset', async () => {
    const file = join(dir, 'state.json');
    const a = await start();
    await a.sim.saveTo(file);
    const good = readFileSync(file, 'utf8');
    const cases: Array<[string, RegExp]> = [
      ['{ not json', /not valid JSON/],
      [good.slice(0, Math.floor(good.length / 2)), /not valid JSON/],
      [JSON.stringify({ ...JSON.parse(good), version: 2 }), /format version 2/],
      [JSON.stringify({ ...JSON.parse(good), corpId: 'wwother' }), /belongs to corp "wwother"/],
      [JSON.stringify({ ...JSON.parse(good), world: { ...JSON.parse(good).world, relations: 'x' } }), /corrupt \(world\.relations\)/],
      [JSON.stringify({ hello: 1 }), /not a simulator state file/],
    ];
    for (const [content, reason] of cases) {
      writeFileSync(file, content);
      let err: unknown;
      try {
        createSimulator(options({ restoreFrom: file }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SimStateFileError);
      expect((err as Error).message).toMatch(reason);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(/delete the file/);
    }
  });
});

describe('persistTo', () => {
  it('saves soon after a change (debounced), after API writes and due work, and on close', async () => {
    const file = join(dir, 'auto.json');
    const a = await start();
    a.sim.persistTo(file, { debounceMs: 30 });
    const savedOnce = async (n: number) => {
      const t = Date.now();
      while ((a.sim.persistence?.saves ?? 0) < n) {
        if (Date.now() - t > 5000) throw new Error(`no save #${n}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await savedOnce(1); // the initial save
    const read = () => JSON.parse(readFileSync(file, 'utf8'));
    expect(read().world.employees.every((e: Json) => e.leftAt === undefined)).toBe(true);

    // A world action → saved (the leaver owns a group, for the group transfer below).
    const rep = reps(a.sim).find((e) => [...a.sim.world.groups.values()].some((g) => g.owner === e.userid && !g.dismissed));
    expect(rep).toBeDefined();
    a.sim.employeeLeaves({ userid: rep!.userid });
    await savedOnce(2);
    expect(read().world.employees.find((e: Json) => e.userid === rep!.userid).leftAt).toBeDefined();
    expect(a.sim.persistence!.lastSave!.bytes).toBeGreaterThan(0);

    // A burst of changes → one save, not one each.
    for (let i = 0; i < 20; i++) a.sim.customerAddsRep({ userid: reps(a.sim)[0]!.userid });
    await savedOnce(3);
    await new Promise((r) => setTimeout(r, 80));
    expect(a.sim.persistence!.saves).toBe(3);
    expect(read().world.relations.length).toBe(a.sim.world.durable().relations.length);

    // An API write (POST /cgi-bin) → saved.
    const way = await a.post('externalcontact/add_contact_way', { type: 1, scene: 1, user: [reps(a.sim)[0]!.userid] });
    await savedOnce(4);
    expect(read().world.contactWays.map((w: Json) => w.config_id)).toEqual([way.config_id]);

    // A control-API write (POST /__sim/...) → saved.
    await a.http.post('/__sim/world/tagCreated', { groupName: 'ctl', names: ['x'] });
    await savedOnce(5);
    expect(read().world.tagGroups.some((g: Json) => g.group_name === 'ctl')).toBe(true);

    // Due work found by a GET (a group transfer completing) → saved.
    const owned = [...a.sim.world.groups.values()].find((g) => g.owner === rep!.userid && !g.dismissed)!;
    const res = await a.post('externalcontact/groupchat/transfer', { chat_id_list: [owned.chat_id], new_owner: reps(a.sim)[0]!.userid });
    expect(res).toMatchObject({ errcode: 0, failed_chat_list: [] });
    await savedOnce(6);
    expect(read().world.groupTransfers[0].done).toBe(false);
    base += 10_000; // the base clock moves past groupTransferSeconds; a read-only call finds the due work
    await a.get('user/get', { userid: reps(a.sim)[0]!.userid });
    await savedOnce(7);
    expect(read().world.groupTransfers[0].done).toBe(true);
    // Read-only calls with nothing due do not save.
    await a.get('user/get', { userid: reps(a.sim)[0]!.userid });
    await new Promise((r) => setTimeout(r, 80));
    expect(a.sim.persistence!.saves).toBe(7);

    // close() saves the final state (awaited), even inside the debounce window.
    a.sim.advanceTime(HOUR);
    const simNow = a.sim.nowMs();
    expect(read().clock.simNowMs).toBeLessThan(simNow);
    await a.sim.close();
    expect(read().clock.simNowMs).toBe(simNow);
    expect(a.sim.persistence).toBeUndefined();

    // And the saved file restores.
    const b = await start({ restoreFrom: file });
    expect(b.sim.truth()).toEqual(a.sim.truth());
  });

  it('measures a save at the demo size (30 employees, 3000 customers, 60 groups)', async () => {
    const sim = createSimulator(options({ counts: { employees: 30, departments: 5, customers: 3000, groups: 60, tagGroups: 4, tags: 20 } }));
    open.push(sim);
    const file = join(dir, 'demo.json');
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await sim.saveTo(file));
    const best = runs.reduce((m, r) => (r.serializeMs < m.serializeMs ? r : m));
    // Reported by the test run; the bound is loose (a loaded CI machine), the point is "tens of ms, not seconds".
    console.log(`demo-size save: ${(best.bytes / 1e6).toFixed(2)} MB, serialize ${best.serializeMs.toFixed(1)} ms, write ${best.writeMs.toFixed(1)} ms`);
    expect(best.serializeMs).toBeLessThan(500);
    const t = performance.now();
    const restored = createSimulator(options({ restoreFrom: file }));
    const restoreMs = performance.now() - t;
    console.log(`demo-size restore: ${restoreMs.toFixed(1)} ms`);
    expect(restored.truth()).toEqual(sim.truth());
  });
});
