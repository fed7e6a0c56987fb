import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { systemClock } from '../../src/lib/clock';
import { sendHandoverBatch, pollHandoverResults } from '../../src/handover';
import { getTestDb, openSecondConnection } from '../helpers/db';
import { auth, eventually, getJson, httpRequest, startTestService } from '../helpers/service';
import { settle, startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

const q = async <T = any>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));
const DAY = 86_400_000;
// Simulated time moves in these tests: callbacks carry simulated timestamps.
const env = { WECOM_CALLBACK_MAX_SKEW_S: '0' };

async function post(w: TestWorld, path: string, body?: unknown) {
  const res = await fetch(`${w.service.url}${path}`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Reps with customers, busiest first, and the idle active reps. */
function reps(w: TestWorld) {
  const t = w.sim.truth();
  const live = t.employees.filter((e) => e.customerContact && e.leftAt === undefined);
  const load = (u: string) => t.relations.filter((r) => r.userid === u).length;
  return live.map((e) => e.userid).sort((a, b) => load(b) - load(a) || a.localeCompare(b));
}

/** Runs sender and poller until nothing is open, advancing WeCom's clock past the 24 h window. */
async function driveToEnd(w: TestWorld) {
  const clock = systemClock;
  while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 'test-sender', clock, 'zh-CN')) > 0);
  w.sim.advanceTime(25 * 3600_000);
  await pollHandoverResults(database.db, w.service.client, w.corpId, clock, 'zh-CN');
  await settle(w);
}

describe('an employee leaves', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 61, env });
    await w.service.handoverSender.stop(); // driven by hand for determinism
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('drafts a plan for all their customers and groups, which after confirm ends with the new owner or a stated reason', async () => {
    const t = w.sim.truth();
    const leaver = reps(w).find((u) => t.groups.some((g) => g.owner === u && !g.dismissed))!;
    const customers = t.relations.filter((r) => r.userid === leaver).map((r) => r.external_userid).sort();
    const groups = t.groups.filter((g) => g.owner === leaver && !g.dismissed).map((g) => g.chat_id).sort();
    w.sim.act('employeeLeaves', { userid: leaver });
    await settle(w);

    const { body: list } = await getJson(`${w.service.url}/api/handovers`);
    const draft = list.items.find((p: any) => p.from === leaver);
    expect(draft).toMatchObject({ kind: 'resigned', status: 'draft', automatic: true, createdBy: 'system' });
    const { body: plan } = await getJson(`${w.service.url}/api/handovers/${draft.id}`);
    expect(plan.items.filter((i: any) => i.type === 'customer').map((i: any) => i.id).sort()).toEqual(customers);
    expect(plan.items.filter((i: any) => i.type === 'group').map((i: any) => i.id).sort()).toEqual(groups);
    const takeover = plan.takeovers[0];
    // The manager (department leader) was asked to confirm.
    expect(w.sim.appMessages.some((m) => JSON.stringify(m).includes(`#${draft.id}`))).toBe(true);

    expect((await post(w, `/api/handovers/${draft.id}/confirm`)).status).toBe(200);
    await driveToEnd(w);

    const { body: done } = await getJson(`${w.service.url}/api/handovers/${draft.id}`);
    expect(done.status).toBe('completed');
    for (const item of done.items) {
      expect(['succeeded', 'refused', 'takeover_limit', 'no_relation', 'too_frequent', 'failed', 'expired', 'skipped']).toContain(item.status);
      if (item.status !== 'succeeded') expect(item.reason).toEqual(expect.any(String));
    }
    expect(done.counts.succeeded).toBe(customers.length + groups.length);

    // Ledger and simulator agree on every owner.
    const truth = w.sim.truth();
    for (const c of customers) {
      expect(truth.relations.some((r) => r.userid === takeover && r.external_userid === c)).toBe(true);
      expect(await q(sql`select status from relations where corp_id = ${w.corpId} and user_id = ${takeover} and external_user_id = ${c}`)).toEqual([{ status: 'active' }]);
      expect(await q(sql`select status from relations where corp_id = ${w.corpId} and user_id = ${leaver} and external_user_id = ${c}`)).toEqual([{ status: 'transferred' }]);
    }
    for (const chatId of groups) {
      expect(truth.groups.find((g) => g.chat_id === chatId)!.owner).toBe(takeover);
      expect(await q(sql`select owner_user_id from customer_groups where corp_id = ${w.corpId} and chat_id = ${chatId}`)).toEqual([{ owner_user_id: takeover }]);
    }
    // The takeover rep heard which customers are theirs; the manager got a summary.
    expect(await q(sql`select purpose from app_messages where corp_id = ${w.corpId} and source_key like ${`handover:${draft.id}:%`} order by purpose`))
      .toEqual(expect.arrayContaining([{ purpose: 'handover_notice' }, { purpose: 'handover_summary' }]));
    const { body: audit } = await getJson(`${w.service.url}/api/audit?planId=${draft.id}`);
    expect(audit.items.map((a: any) => a.action)).toEqual(expect.arrayContaining(['created', 'confirmed', 'call', 'completed']));
  });
});

describe('exactly once', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 67, counts: { employees: 8, customers: 700 }, env: { ...env, HANDOVER_DEFAULT_TAKEOVER: 'nobody-by-default' } });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('a process killed between batches, and one killed mid-call: the plan completes and no customer is sent twice', async () => {
    const [busiest, takeover] = reps(w);
    const customers = w.sim.truth().relations.filter((r) => r.userid === busiest).map((r) => r.external_userid);
    expect(customers.length).toBeGreaterThan(200); // at least three batches
    const { status, body: plan } = await post(w, '/api/handovers', { from: busiest, takeovers: [takeover], customers: { mode: 'all' }, groups: { mode: 'none' }, transferMessage: 'My colleague will look after you from now on.' });
    expect(status).toBe(201);
    expect(plan.kind).toBe('onjob');
    await post(w, `/api/handovers/${plan.id}/confirm`);

    // Instance A sends one batch and dies.
    expect(await sendHandoverBatch(database.db, w.service.client, w.corpId, 'instance-a', systemClock, 'zh-CN')).toBe(100);
    // Instance B claims the next batch, WeCom accepts it, and B dies before recording the outcome.
    const claimed = await q<{ id: number; target_id: string }>(sql`
      update handover_items set attempts = attempts + 1, locked_by = 'instance-b', locked_until = now() - interval '1 second'
      where id in (select id from handover_items where plan_id = ${plan.id} and status = 'pending' order by id limit 100) returning id, target_id`);
    await w.service.client.transfers.transferCustomer({ handover_userid: busiest!, takeover_userid: takeover!, external_userid: claimed.map((c) => c.target_id) });

    // Instance C finishes the job.
    while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 'instance-c', systemClock, 'zh-CN')) > 0);
    const counts = w.sim.calls.snapshot().byId['externalcontact/transfer_customer'] ?? {};
    for (const c of customers) expect(counts[c]).toBe(1);
    expect(w.sim.calls.count('externalcontact/transfer_customer')).toBe(Math.ceil(customers.length / 100));

    w.sim.advanceTime(25 * 3600_000);
    await pollHandoverResults(database.db, w.service.client, w.corpId, systemClock, 'zh-CN');
    const { body: done } = await getJson(`${w.service.url}/api/handovers/${plan.id}`);
    expect(done).toMatchObject({ status: 'completed', counts: { succeeded: customers.length } });
  });

  it('concurrent confirms of the same plan (two instances) send once', async () => {
    const [, second, third] = reps(w);
    const { body: plan } = await post(w, '/api/handovers', { from: second, takeovers: [third], customers: { mode: 'all' }, groups: { mode: 'none' } });
    const other = await openSecondConnection(database.url);
    // A second instance of the service on the same database.
    const twin = await startTestService(other, w.config, { worker: false });
    // node:http: on a loaded machine an embedded database busy on the event loop can delay accepting past fetch's 10 s connect timeout.
    const results = await Promise.all([w.service.url, twin.url].map((base) =>
      httpRequest('POST', `${base}/api/handovers/${plan.id}/confirm`, auth).then((r) => r.status)));
    expect(results.sort()).toEqual([200, 409]);
    await twin.stop();
    await other.close();
    const before = w.sim.calls.count('externalcontact/transfer_customer');
    while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 'sender', systemClock, 'zh-CN')) > 0);
    const n = (await getJson(`${w.service.url}/api/handovers/${plan.id}`)).body.counts.waiting;
    expect(w.sim.calls.count('externalcontact/transfer_customer') - before).toBe(Math.ceil(n / 100));
    // Two services, a plan of ~100 customers and its sends: about a second on a quiet machine, a minute seen on a loaded one.
  }, 180_000);
});

describe('preflight and final states', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 71, env: { ...env, HANDOVER_DEFAULT_TAKEOVER: 'nobody-by-default' } });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('catches the frequency window, an inactive takeover and a missing relation, item by item', async () => {
    const [from, to, other] = reps(w);
    const mine = w.sim.truth().relations.filter((r) => r.userid === from).map((r) => r.external_userid);
    // One customer was transferred to this rep 10 days ago (in the ledger's history).
    await database.db.execute(sql`
      insert into relation_history (corp_id, relation_id, user_id, external_user_id, change, from_status, to_status, cause, detail, at)
      values (${w.corpId}, 0, 'someone', ${mine[0]}, 'transferred', 'active', 'transferred', 'handover', '{"kind":"onjob"}', now() - interval '10 days')`);
    const { body: plan } = await post(w, '/api/handovers', {
      from, takeovers: [to], customers: { mode: 'list', externalUserIds: [mine[0], mine[1], 'wmNOTACUSTOMEROFTHISREP000000000'] }, groups: { mode: 'none' },
    });
    const byId = Object.fromEntries(plan.items.map((i: any) => [i.id, i]));
    expect(byId[mine[0]!]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/too often/) });
    expect(byId[mine[1]!]).toMatchObject({ status: 'planned', reason: null });
    expect(byId.wmNOTACUSTOMEROFTHISREP000000000).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no relation/) });

    // A takeover who left is refused per item; the item already in the open plan above is not planned twice.
    w.sim.act('employeeLeaves', { userid: other });
    await settle(w);
    const { body: second } = await post(w, '/api/handovers', { from, takeovers: [other], customers: { mode: 'list', externalUserIds: [mine[1], mine[2]] }, groups: { mode: 'none' } });
    expect(second.items.map((i: any) => i.reason)).toEqual([expect.stringMatching(/not active/), expect.stringMatching(/not active/)]);
    const { body: third } = await post(w, '/api/handovers', { from, takeovers: [to], customers: { mode: 'list', externalUserIds: [mine[1]] }, groups: { mode: 'none' } });
    expect(third.items[0].reason).toMatch(/already in open handover/);
  });

  it('refusals and the takeover cap land as final item states', async () => {
    const list = reps(w);
    const from = list[3]!;
    const to = list[4]!;
    const mine = w.sim.truth().relations.filter((r) => r.userid === from).map((r) => r.external_userid).slice(0, 4);
    const { body: plan } = await post(w, '/api/handovers', { from, takeovers: [to], customers: { mode: 'list', externalUserIds: mine }, groups: { mode: 'none' } });
    await post(w, `/api/handovers/${plan.id}/confirm`);
    // WeCom's cap is reached for the takeover before the 4th customer arrives.
    while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 's', systemClock, 'zh-CN')) > 0);
    w.sim.act('customerRefusesTransfer', { externalUserId: mine[0] });
    await settle(w); // transfer_fail arrives: evidence applied
    const current = w.sim.truth().relations.filter((r) => r.userid === to).length;
    w.sim.configure({ customerLimitPerEmployee: current + 1 });
    w.sim.advanceTime(25 * 3600_000);
    await pollHandoverResults(database.db, w.service.client, w.corpId, systemClock, 'zh-CN');
    const { body: done } = await getJson(`${w.service.url}/api/handovers/${plan.id}`);
    expect(done.status).toBe('completed');
    const byId = Object.fromEntries(done.items.map((i: any) => [i.id, i]));
    expect(byId[mine[0]!]).toMatchObject({ status: 'refused', reason: expect.stringMatching(/refused/) });
    const statuses = done.items.map((i: any) => i.status).sort();
    expect(statuses).toContain('takeover_limit');
    expect(statuses.filter((s: string) => s === 'succeeded').length).toBe(2);
    // The ledger changed owner only where WeCom did.
    expect(await q(sql`select status from relations where corp_id = ${w.corpId} and user_id = ${from} and external_user_id = ${mine[0]}`)).toEqual([{ status: 'active' }]);
  });

  it('group transfers of one owner beyond the daily cap are scheduled for later days, and shown', async () => {
    const { confirmHandover } = await import('../../src/handover');
    const { GROUPS_PER_OWNER_PER_DAY } = await import('../../src/handover');
    const [from, to] = reps(w);
    // Plant 301 fake groups for `from` in the ledger to see the spreading without 301 real ones.
    for (let i = 0; i < GROUPS_PER_OWNER_PER_DAY + 1; i++) {
      await database.db.execute(sql`insert into customer_groups (corp_id, chat_id, name, owner_user_id, status) values (${w.corpId}, ${`wrFAKE${String(i).padStart(4, '0')}`}, 'g', ${from}, 'active')`);
    }
    const { body: plan } = await post(w, '/api/handovers', { from, takeovers: [to], customers: { mode: 'none' }, groups: { mode: 'all' } });
    await database.db.transaction((tx) => confirmHandover(tx, corpScope(w.corpId), plan.id, 'test', new Date()));
    const { body: view } = await getJson(`${w.service.url}/api/handovers/${plan.id}`);
    const days = new Set(view.items.map((i: any) => Math.floor((Date.parse(i.scheduledFor) - Date.now()) / DAY + 0.5)));
    expect(view.items.length).toBeGreaterThan(GROUPS_PER_OWNER_PER_DAY);
    expect(days.size).toBe(2);
    await post(w, `/api/handovers/${plan.id}/cancel`);
  });

  it("confirm and cancel change only their own corp's rows, even ones filed under the same plan id", async () => {
    const { cancelHandover, confirmHandover } = await import('../../src/handover');
    const list = reps(w);
    const from = list[5]!;
    const mine = w.sim.truth().relations.filter((r) => r.userid === from).map((r) => r.external_userid).slice(0, 2);
    expect(mine.length).toBeGreaterThan(0);
    const { body: plan } = await post(w, '/api/handovers', { from, takeovers: [list[6]], customers: { mode: 'list', externalUserIds: mine }, groups: { mode: 'none' } });
    // Another corp's items that happen to carry the same plan id: no statement keyed by plan or item id alone may reach them.
    await q(sql`insert into handover_items (corp_id, plan_id, type, target_id, from_user_id, to_user_id, status)
      values ('corp-other', ${plan.id}, 'customer', 'wmOTHERCORP', 'u1', 'u2', 'planned'), ('corp-other', ${plan.id}, 'group', 'wrOTHERCORP', 'u1', 'u2', 'planned')`);
    const foreign = () => q(sql`select type, status from handover_items where corp_id = 'corp-other' order by type`);

    await expect(database.db.transaction((tx) => confirmHandover(tx, corpScope('corp-other'), plan.id, 'test', new Date()))).rejects.toMatchObject({ code: 'not_found' });
    await database.db.transaction((tx) => confirmHandover(tx, corpScope(w.corpId), plan.id, 'test', new Date()));
    expect(await foreign()).toEqual([{ type: 'customer', status: 'planned' }, { type: 'group', status: 'planned' }]);
    await database.db.transaction((tx) => cancelHandover(tx, corpScope(w.corpId), plan.id, 'test', new Date()));
    expect(await foreign()).toEqual([{ type: 'customer', status: 'planned' }, { type: 'group', status: 'planned' }]);
    expect((await getJson(`${w.service.url}/api/handovers/${plan.id}`)).body.status).toBe('cancelled');
    await q(sql`delete from handover_items where corp_id = 'corp-other'`);
  });
});

describe('the unassigned pool', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 73, env: { ...env, HANDOVER_DEFAULT_TAKEOVER: 'nobody-by-default' } });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it("shows departed reps' customers not yet reassigned and plans all of them in one action", async () => {
    const [a, b, takeover] = reps(w);
    const t = w.sim.truth();
    const expected = (u: string) => t.relations.filter((r) => r.userid === u).length;
    // One leaves while we hear it, the other while callbacks are lost: the pool still knows both.
    w.sim.act('employeeLeaves', { userid: a });
    w.sim.act('employeeLeaves', { userid: b, deliver: 'drop' });
    await settle(w);
    const { body: pool } = await getJson(`${w.service.url}/api/unassigned?refresh=true`);
    expect(pool.items).toEqual([
      expect.objectContaining({ userId: [a, b].sort()[0], customers: expected([a, b].sort()[0]!), inOpenHandover: 0 }),
      expect.objectContaining({ userId: [a, b].sort()[1], customers: expected([a, b].sort()[1]!), inOpenHandover: 0 }),
    ]);
    const { status, body } = await post(w, '/api/unassigned/handovers', { takeovers: [takeover], rule: 'one' });
    expect(status).toBe(201);
    expect(body.planIds).toHaveLength(2);
    for (const id of body.planIds) {
      const { body: plan } = await getJson(`${w.service.url}/api/handovers/${id}`);
      expect(plan.kind).toBe('resigned');
      expect(plan.items.filter((i: any) => i.status === 'skipped')).toEqual([]);
      expect(plan.items.filter((i: any) => i.type === 'customer' && i.status === 'planned').length).toBe(expected(plan.from));
    }
    const { body: after } = await getJson(`${w.service.url}/api/unassigned`);
    expect(after.items.every((r: any) => r.inOpenHandover === r.customers)).toBe(true);
  });
});

describe('fully automatic, through the service workers', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 79, env: { ...env, HANDOVER_AUTO_CONFIRM: 'true', HANDOVER_POLL_S: '1' } });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('a departure is drafted, confirmed, sent and polled to completion with no person involved', async () => {
    const leaver = reps(w)[0]!;
    const n = w.sim.truth().relations.filter((r) => r.userid === leaver).length;
    w.sim.act('employeeLeaves', { userid: leaver });
    await settle(w);
    const plan = await eventually(async () => {
      const { body } = await getJson(`${w.service.url}/api/handovers`);
      const p = body.items.find((x: any) => x.from === leaver);
      return p?.counts.waiting === n ? p : undefined;
    });
    expect(plan).toMatchObject({ status: 'confirmed', confirmedAt: expect.any(String) });
    w.sim.advanceTime(25 * 3600_000);
    const done = await eventually(async () => {
      const { body } = await getJson(`${w.service.url}/api/handovers/${plan.id}`);
      return body.status === 'completed' ? body : undefined;
    }, 15_000);
    expect(done.counts.succeeded).toBe(done.items.length - (done.counts.skipped ?? 0));
  });
});

describe('departures found without a callback', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 83, env });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('a departure the nightly sync finds is drafted once by the poller; one a manager already planned is left alone', async () => {
    const [a, b, takeover] = reps(w);
    w.sim.act('employeeLeaves', { userid: a, deliver: 'drop' });
    w.sim.act('employeeLeaves', { userid: b, deliver: 'drop' });
    await syncNow(w);
    const { body: before } = await getJson(`${w.service.url}/api/handovers`);
    expect(before.items).toEqual([]);
    // A manager plans b's customers by hand before the poller comes round.
    const manual = await post(w, '/api/handovers', { from: b, takeovers: [takeover], rule: 'one', customers: { mode: 'all' }, groups: { mode: 'none' } });
    expect(manual.status).toBe(201);

    await w.service.handoverPoller.runOnce();
    await w.service.handoverPoller.runOnce();
    const { body: after } = await getJson(`${w.service.url}/api/handovers`);
    const drafts = after.items.filter((p: any) => p.automatic);
    expect(drafts.map((p: any) => p.from)).toEqual([a]);
    expect(drafts[0]).toMatchObject({ kind: 'resigned', status: 'draft' });
    const { body: plan } = await getJson(`${w.service.url}/api/handovers/${drafts[0].id}`);
    expect(plan.items.filter((i: any) => i.type === 'customer').length).toBe(w.sim.truth().relations.filter((r) => r.userid === a).length);
    expect(after.items.filter((p: any) => p.from === b)).toHaveLength(1);
  });
});

describe('a customer shared by two departed reps', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 89, env: { ...env, HANDOVER_DEFAULT_TAKEOVER: 'nobody-by-default' } });
    await w.service.handoverSender.stop();
    await w.service.handoverPoller.stop();
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('is held back, unsent, while its first transfer runs, then sent: one transfer call per reassignment', async () => {
    const t = w.sim.truth();
    const live = reps(w);
    const owners = new Map<string, string[]>();
    for (const r of t.relations) if (live.includes(r.userid)) owners.set(r.external_userid, [...(owners.get(r.external_userid) ?? []), r.userid]);
    const [customer, [a, b]] = [...owners].find(([, us]) => us.length >= 2)! as [string, string[]];
    const takeover = live.find((u) => !owners.get(customer)!.includes(u))!;
    for (const u of [a!, b!]) w.sim.act('employeeLeaves', { userid: u });
    await settle(w);
    const ids: number[] = [];
    for (const from of [a, b]) {
      const { body } = await post(w, '/api/handovers', { from, takeovers: [takeover], customers: { mode: 'list', externalUserIds: [customer] }, groups: { mode: 'none' } });
      expect(body.items[0]).toMatchObject({ status: 'planned' });
      expect((await post(w, `/api/handovers/${body.id}/confirm`)).status).toBe(200);
      ids.push(body.id);
    }
    const clock = systemClock;
    while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 's', clock, 'zh-CN')) > 0);
    const item = async (id: number) => (await getJson(`${w.service.url}/api/handovers/${id}`)).body.items[0];
    expect(await item(ids[0]!)).toMatchObject({ status: 'waiting' });
    expect(await item(ids[1]!)).toMatchObject({ status: 'pending', reason: expect.stringMatching(/another transfer/) });
    expect(w.sim.calls.count('externalcontact/resigned/transfer_customer')).toBe(1);

    // A day later the first transfer is final; the held item goes on its next look.
    w.sim.advanceTime(25 * 3600_000);
    await pollHandoverResults(database.db, w.service.client, w.corpId, clock, 'zh-CN');
    await database.db.execute(sql`update handover_items set available_at = now() where plan_id = ${ids[1]!}`);
    while ((await sendHandoverBatch(database.db, w.service.client, w.corpId, 's', clock, 'zh-CN')) > 0);
    w.sim.advanceTime(25 * 3600_000);
    await pollHandoverResults(database.db, w.service.client, w.corpId, clock, 'zh-CN');
    expect(w.sim.calls.count('externalcontact/resigned/transfer_customer')).toBe(2);
    expect((await item(ids[0]!)).status).toBe('succeeded');
    expect((await item(ids[1]!)).status).toBe('succeeded');
    expect(w.sim.truth().relations.filter((r) => r.external_userid === customer && [a, b].includes(r.userid))).toEqual([]);
  });
});
