import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { systemClock } from '../../src/lib/clock';
import { pollHandoverResults, sendHandoverBatch } from '../../src/handover';
import { DEMO_SEED } from '../../src/simulator';
import { getTestDb } from '../helpers/db';
import { auth, getJson } from '../helpers/service';
import { settle, startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

const q = async <T = any>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));
// Simulated time moves in these tests: callbacks carry simulated timestamps.
const env = { WECOM_CALLBACK_MAX_SKEW_S: '0' };
/** The demo's directory (seed and counts of src/demo.ts), with fewer customers. */
const DEMO_DIRECTORY = { employees: 30, departments: 5, customers: 600, groups: 60, tagGroups: 4, tags: 20 };

async function send(w: TestWorld, method: 'POST' | 'PUT', path: string, body?: unknown) {
  const res = await fetch(`${w.service.url}${path}`, {
    method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const plan = async (w: TestWorld, id: number) => (await getJson(`${w.service.url}/api/handovers/${id}`)).body;
const automaticDraftOf = async (w: TestWorld, from: string) =>
  (await getJson(`${w.service.url}/api/handovers`)).body.items.find((p: any) => p.from === from && p.automatic);
const messagesAbout = (w: TestWorld, planId: number) =>
  w.sim.appMessages.filter((m) => ((m.body as any).text?.content as string).includes(`#${planId}`));

/** A rep of department 4 (under rep0001, then rep0003) with customers and no group: all their items are customers. */
function customersOnlyRepOf4(w: TestWorld, not: string[] = []): { userId: string; customers: number } {
  const t = w.sim.truth();
  const load = (u: string) => t.relations.filter((r) => r.userid === u).length;
  const e = t.employees.find((x) => x.department.includes(4) && x.customerContact && x.leftAt === undefined && !not.includes(x.userid)
    && load(x.userid) > 1 && !t.groups.some((g) => g.owner === x.userid && !g.dismissed))!;
  expect(e).toBeDefined();
  return { userId: e.userid, customers: load(e.userid) };
}

/** Sender and poller until nothing is open, WeCom's clock moved past its 24 h window. */
async function driveToEnd(w: TestWorld) {
  const clock = systemClock;
  while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 'test-sender', clock, 'zh-CN')) > 0);
  w.sim.advanceTime(25 * 3600_000);
  await pollHandoverResults(database.db, w.service.client, w.corpId, clock, 'zh-CN');
  await settle(w);
}

describe('the takeover of an automatic draft, in the demo directory', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: DEMO_SEED, counts: DEMO_DIRECTORY, env });
    await w.service.handoverSender.stop(); // driven by hand
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('the premise: department 4 is led by rep0001, who has no customer contact; its parent 3 by rep0003, who has', () => {
    const t = w.sim.truth();
    const dept = (id: number) => t.departments.find((d) => d.id === id)!;
    const employee = (u: string) => t.employees.find((e) => e.userid === u)!;
    expect(dept(4)).toMatchObject({ parentid: 3, department_leader: ['rep0001'] });
    expect(dept(3)).toMatchObject({ parentid: 1, department_leader: ['rep0003'] });
    expect(dept(1).department_leader).toEqual(['rep0001']);
    expect(employee('rep0001').customerContact).toBe(false);
    expect(employee('rep0003').customerContact).toBe(true);
    expect(employee('rep0002').department).toEqual([4]);
  });

  it('walks up past a leader without customer contact: rep0002 goes to rep0003, and the plan completes', async () => {
    const customers = w.sim.truth().relations.filter((r) => r.userid === 'rep0002').length;
    w.sim.act('employeeLeaves', { userid: 'rep0002' });
    await settle(w);
    const draft = await automaticDraftOf(w, 'rep0002');
    expect(draft).toMatchObject({ status: 'draft', takeovers: ['rep0003'], unassignedReason: null });
    const view = await plan(w, draft.id);
    expect(view.items.filter((i: any) => i.status === 'skipped')).toEqual([]);
    expect(view.counts.planned).toBeGreaterThanOrEqual(customers);
    // The department's leader is asked to confirm, in zh-CN.
    const [ask] = messagesAbout(w, draft.id);
    expect(ask).toMatchObject({ touser: ['rep0001'] });
    expect((ask!.body as any).text.content).toMatch(/^【Lifelong】.+已离职.+审核并确认/);

    expect((await send(w, 'POST', `/api/handovers/${draft.id}/confirm`)).status).toBe(200);
    await driveToEnd(w);
    expect(await plan(w, draft.id)).toMatchObject({ status: 'completed', counts: { succeeded: view.counts.planned } });
  });

  it('nobody up the tree can take customers: the draft has no takeover and says why, the leaders are told, confirm waits for one', async () => {
    // rep0003's own department is led by rep0003; above it only rep0001 (no customer contact).
    const customers = w.sim.truth().relations.filter((r) => r.userid === 'rep0003').length;
    w.sim.act('employeeLeaves', { userid: 'rep0003' });
    await settle(w);
    const draft = await automaticDraftOf(w, 'rep0003');
    expect(draft).toMatchObject({ status: 'draft', kind: 'resigned', takeovers: [], counts: {} });
    expect(draft.unassignedReason).toMatch(/no department leader up the tree can take customers/);
    expect(draft.unassignedReason).toMatch(/rep0001 does not have customer contact enabled/);
    expect((await plan(w, draft.id)).unassignedReason).toBe(draft.unassignedReason);

    const told = messagesAbout(w, draft.id);
    expect(told).toHaveLength(1);
    expect(told[0]!.touser).toEqual(['rep0001']);
    expect((told[0]!.body as any).text.content).toMatch(/^【Lifelong】.+已离职.+指定接手人/);
    expect(await q(sql`select purpose from app_messages where corp_id = ${w.corpId} and source_key like ${`handover:${draft.id}:%`}`)).toEqual([{ purpose: 'handover_unassigned' }]);

    const refused = await send(w, 'POST', `/api/handovers/${draft.id}/confirm`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'takeover_required', message: expect.stringMatching(/no takeover/) });
    expect((await plan(w, draft.id)).status).toBe('draft');

    // A manager sets the takeover: the items are planned with their preflight, and the plan goes ahead.
    const set = await send(w, 'PUT', `/api/handovers/${draft.id}/takeovers`, { takeovers: ['rep0005'] });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ status: 'draft', takeovers: ['rep0005'], unassignedReason: null });
    expect(set.body.items.filter((i: any) => i.type === 'customer' && i.status === 'planned')).toHaveLength(customers);
    expect((await send(w, 'POST', `/api/handovers/${draft.id}/confirm`)).status).toBe(200);
    await driveToEnd(w);
    expect((await plan(w, draft.id)).status).toBe('completed');
    const { body: audit } = await getJson(`${w.service.url}/api/audit?planId=${draft.id}`);
    expect(audit.items.map((a: any) => a.action)).toEqual(expect.arrayContaining(['created', 'takeovers_set', 'confirmed', 'completed']));
  });

  it('walks past a departed leader too', async () => {
    // Department 4: rep0001 has no customer contact, rep0003 has left, then rep0001 again at the root.
    const { userId } = customersOnlyRepOf4(w, ['rep0002']);
    w.sim.act('employeeLeaves', { userid: userId });
    await settle(w);
    const draft = await automaticDraftOf(w, userId);
    expect(draft.takeovers).toEqual([]);
    expect(draft.unassignedReason).toMatch(/rep0003 is not active \(departed\)/);
  });

  it("a takeover can't be changed once confirmed, nor set to nobody", async () => {
    const done = await automaticDraftOf(w, 'rep0002');
    const late = await send(w, 'PUT', `/api/handovers/${done.id}/takeovers`, { takeovers: ['rep0005'] });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('conflict');
    const draft = (await getJson(`${w.service.url}/api/handovers?status=draft`)).body.items[0];
    const empty = await send(w, 'PUT', `/api/handovers/${draft.id}/takeovers`, { takeovers: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('validation_failed');
  });
});

describe('a plan with nothing to transfer', () => {
  let w: TestWorld;
  beforeAll(async () => {
    // A customer cap of 1: every takeover who already has a customer is full.
    w = await startWorld(database, { seed: DEMO_SEED, counts: DEMO_DIRECTORY, env: { ...env, HANDOVER_CUSTOMER_CAP: '1' } });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('is refused at confirm (409 nothing_to_transfer); given a takeover with room, it ends completed with its counts', async () => {
    const t = w.sim.truth();
    const load = (u: string) => t.relations.filter((r) => r.userid === u).length;
    // The leaver owns no group, so every item is a customer, and rep0003 (their takeover) is full.
    const { userId: leaver, customers } = customersOnlyRepOf4(w);
    expect(load('rep0003')).toBeGreaterThan(0);
    w.sim.act('employeeLeaves', { userid: leaver });
    await settle(w);
    const draft = await automaticDraftOf(w, leaver);
    expect(draft).toMatchObject({ takeovers: ['rep0003'], counts: { skipped: customers } });
    expect((messagesAbout(w, draft.id)[0]!.body as any).text.content).toMatch(/未通过预检/);

    const refused = await send(w, 'POST', `/api/handovers/${draft.id}/confirm`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('nothing_to_transfer');
    expect((await plan(w, draft.id)).status).toBe('draft');

    const empty = t.employees.find((e) => e.customerContact && e.leftAt === undefined && load(e.userid) === 0)!.userid;
    const set = await send(w, 'PUT', `/api/handovers/${draft.id}/takeovers`, { takeovers: [empty] });
    expect(set.body.counts).toEqual({ planned: 1, skipped: customers - 1 });
    expect((await send(w, 'POST', `/api/handovers/${draft.id}/confirm`)).status).toBe(200);
    await driveToEnd(w);
    expect(await plan(w, draft.id)).toMatchObject({ status: 'completed', counts: { succeeded: 1, skipped: customers - 1 } });
  });

  it('a plan confirmed with every item skipped (as before confirm refused it) is completed by the poller, with its summary', async () => {
    const from = customersOnlyRepOf4(w).userId;
    const made = await send(w, 'POST', '/api/handovers', { from, takeovers: ['rep0003'], customers: { mode: 'all' }, groups: { mode: 'none' } });
    expect(made.status).toBe(201);
    expect(Object.keys(made.body.counts)).toEqual(['skipped']);
    expect((await send(w, 'POST', `/api/handovers/${made.body.id}/confirm`)).body.error.code).toBe('nothing_to_transfer');
    // What the old confirm left behind: confirmed, nothing open, never completed.
    await database.db.execute(sql`update handover_plans set status = 'confirmed', confirmed_at = now() where id = ${made.body.id}`);
    await pollHandoverResults(database.db, w.service.client, w.corpId, systemClock, 'zh-CN');
    expect(await plan(w, made.body.id)).toMatchObject({ status: 'completed', finishedAt: expect.any(String), counts: made.body.counts });
    expect(await q(sql`select purpose from app_messages where corp_id = ${w.corpId} and source_key = ${`handover:${made.body.id}:summary`}`))
      .toEqual([{ purpose: 'handover_summary' }]);
  });
});

describe('automatic confirmation', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: DEMO_SEED, counts: DEMO_DIRECTORY, env: { ...env, HANDOVER_AUTO_CONFIRM: 'true', HANDOVER_CUSTOMER_CAP: '1' } });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('does not confirm a draft with nothing to transfer, nor one without a takeover: both wait for a person', async () => {
    const { userId: leaver } = customersOnlyRepOf4(w);
    w.sim.act('employeeLeaves', { userid: leaver }); // to rep0003, who is full
    await settle(w);
    w.sim.act('employeeLeaves', { userid: 'rep0003' }); // nobody up the tree
    await settle(w);
    expect(await automaticDraftOf(w, leaver)).toMatchObject({ status: 'draft', takeovers: ['rep0003'], confirmedAt: null });
    expect(await automaticDraftOf(w, 'rep0003')).toMatchObject({ status: 'draft', takeovers: [], confirmedAt: null });
  });
});
