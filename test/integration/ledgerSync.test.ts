import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { systemClock } from '../../src/lib/clock';
import { syncQueue } from '../../src/jobs/queues';
import { requestFullSync, runFullSync } from '../../src/ledger';
import { createLogger } from '../../src/lib/logger';
import { getTestDb } from '../helpers/db';
import { getJson } from '../helpers/service';
import { ledgerView, settle, startWorld, syncNow, truthView, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => {
  database = await getTestDb();
});
afterAll(async () => {
  await database.close();
});

const q = async <T = any>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));

describe('full sync', () => {
  let w: TestWorld;
  beforeAll(async () => (w = await startWorld(database)));
  afterAll(() => w.close());

  it('makes the ledger equal the simulator: every relation with its fields, every member, every tag', async () => {
    const jobId = await syncNow(w);
    const truth = truthView(w.sim);
    expect(truth.relations.length).toBeGreaterThan(100);
    expect(truth.relations.some((r) => r.tags.length > 0)).toBe(true);
    expect(await ledgerView(database, w.corpId)).toEqual(truth);

    const { body: job } = await getJson(`${w.service.url}/api/sync/${jobId}`);
    expect(job).toMatchObject({ status: 'done', phase: 'finished', warnings: [] });
    expect(job.counts.relations).toBe(truth.relations.length);
    expect(job.progress.done).toBe(job.progress.total);
  });

  it('a second sync changes nothing and writes no history', async () => {
    const before = await q(sql`select count(*)::int as n from relation_history where corp_id = ${w.corpId}`);
    const groupBefore = await q(sql`select count(*)::int as n from group_history where corp_id = ${w.corpId}`);
    await syncNow(w);
    expect(await q(sql`select count(*)::int as n from relation_history where corp_id = ${w.corpId}`)).toEqual(before);
    expect(await q(sql`select count(*)::int as n from group_history where corp_id = ${w.corpId}`)).toEqual(groupBefore);
    expect(await ledgerView(database, w.corpId)).toEqual(truthView(w.sim));
  });

  it('the API shows the synced contacts with their owners', async () => {
    const truth = truthView(w.sim);
    const r = truth.relations[0]!;
    const { body } = await getJson(`${w.service.url}/api/contacts?owner=${r.userId}&limit=200`);
    const expected = truth.relations.filter((x) => x.userId === r.userId).map((x) => x.externalUserId).sort();
    expect(body.items.map((c: { externalUserId: string }) => c.externalUserId).sort()).toEqual(expected);
    const { body: emps } = await getJson(`${w.service.url}/api/employees`);
    const mine = emps.items.find((e: { userId: string }) => e.userId === r.userId);
    expect(mine.customerCount).toBe(expected.length);
  });
});

describe('callbacks reach the ledger', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 11 });
    await syncNow(w);
  });
  afterAll(() => w.close());

  const rel = (userId: string, externalUserId: string) =>
    q(sql`select status from relations where corp_id = ${w.corpId} and user_id = ${userId} and external_user_id = ${externalUserId}`);
  const history = (externalUserId: string) =>
    q(sql`select user_id, change, from_status, to_status, cause, event_id from relation_history
          where corp_id = ${w.corpId} and external_user_id = ${externalUserId} order by id`);
  const someRelation = (skip = 0) => {
    const r = w.sim.truth().relations.filter((x) => w.sim.truth().employees.find((e) => e.userid === x.userid)?.customerContact)[skip]!;
    return { userid: r.userid, externalUserId: r.external_userid };
  };

  it('a customer adds a rep (with a channel state): active relation, added history, caused by the callback', async () => {
    const rep = w.sim.truth().employees.find((e) => e.customerContact)!.userid;
    const res = w.sim.act('customerAddsRep', { userid: rep, state: 'expo_booth3' }) as { externalUserId: string };
    await settle(w);
    expect(await rel(rep, res.externalUserId)).toEqual([{ status: 'active' }]);
    const [h] = await history(res.externalUserId);
    expect(h).toMatchObject({ user_id: rep, change: 'added', to_status: 'active', cause: 'callback' });
    expect(h.event_id).not.toBeNull();
    expect(await q(sql`select state from relations where corp_id = ${w.corpId} and external_user_id = ${res.externalUserId}`)).toEqual([{ state: 'expo_booth3' }]);
  });

  it('a rep deletes a customer: removed_by_rep, an alert, and an app message to the department leader', async () => {
    const r = someRelation(1);
    w.sim.act('repDeletesCustomer', r);
    await settle(w);
    expect(await rel(r.userid, r.externalUserId)).toEqual([{ status: 'removed_by_rep' }]);
    expect((await history(r.externalUserId)).at(-1)).toMatchObject({ change: 'removed_by_rep', from_status: 'active', cause: 'callback' });
    const { body } = await getJson(`${w.service.url}/api/alerts?kind=rep_deleted_customer`);
    const alert = body.items.find((a: { externalUserId: string }) => a.externalUserId === r.externalUserId);
    expect(alert).toMatchObject({ kind: 'rep_deleted_customer', userId: r.userid });
    if (alert.recipients.length) {
      const sent = w.sim.appMessages.filter((m) => alert.recipients.every((u: string) => m.touser.includes(u)));
      expect(sent.length).toBe(1);
    }
    // The customer's archive stays whatever happens to the relation.
    const { status } = await getJson(`${w.service.url}/api/contacts/${r.externalUserId}`);
    expect(status).toBe(200);
  });

  it('a customer deletes a rep: removed_by_customer, on the timeline and in stats', async () => {
    const r = someRelation(2);
    w.sim.act('customerDeletesRep', r);
    await settle(w);
    expect(await rel(r.userid, r.externalUserId)).toEqual([{ status: 'removed_by_customer' }]);
    const { body: contact } = await getJson(`${w.service.url}/api/contacts/${r.externalUserId}`);
    expect(contact.history[0]).toMatchObject({ change: 'removed_by_customer', cause: 'callback', userId: r.userid });
    const { body: stats } = await getJson(`${w.service.url}/api/stats/relations`);
    expect(stats.removedLast30Days.byCustomer).toBeGreaterThanOrEqual(1);
  });

  it('a duplicated delivery changes nothing twice', async () => {
    const r = someRelation(3);
    const before = (await history(r.externalUserId)).length;
    w.sim.act('repDeletesCustomer', { ...r, deliver: 'duplicate' });
    await settle(w);
    const after = await history(r.externalUserId);
    expect(after.length).toBe(before + 1);
    const alerts = await q(sql`select count(*)::int as n from alerts where corp_id = ${w.corpId} and external_user_id = ${r.externalUserId} and user_id = ${r.userid}`);
    expect(alerts).toEqual([{ n: 1 }]);
  });

  it('a rep edits a customer: remark and tags follow, with an edited history row', async () => {
    const r = someRelation(4);
    const tag = w.sim.truth().tagGroups[0]!.tags[0]!.id;
    w.sim.act('repEditsCustomer', { ...r, remark: 'VIP buyer', addTags: [tag] });
    await settle(w);
    const [row] = await q(sql`select r.remark, exists(select 1 from relation_tags t where t.corp_id = r.corp_id and t.relation_id = r.id and t.tag_id = ${tag}) as tagged
      from relations r where r.corp_id = ${w.corpId} and r.user_id = ${r.userid} and r.external_user_id = ${r.externalUserId}`);
    expect(row).toEqual({ remark: 'VIP buyer', tagged: true });
    expect((await history(r.externalUserId)).at(-1)).toMatchObject({ change: 'edited', cause: 'callback' });
  });

  it('groups: created, members join and leave, dismissed — each in the group history', async () => {
    const t = w.sim.truth();
    const owner = t.employees.find((e) => e.customerContact)!.userid;
    const customers = t.relations.filter((x) => x.userid === owner).slice(0, 3).map((x) => x.external_userid);
    const { chatId } = w.sim.act('groupCreated', { owner, name: 'Spring buyers', memberIds: customers.slice(0, 2) }) as { chatId: string };
    await settle(w);
    w.sim.act('groupMembersAdded', { chatId, memberIds: [customers[2]], joinScene: 3 });
    await settle(w);
    w.sim.act('groupMembersRemoved', { chatId, memberIds: [customers[0]], quitScene: 1 });
    await settle(w);
    const members = await q(sql`select member_id, status, quit_scene from group_members where corp_id = ${w.corpId} and chat_id = ${chatId} order by member_id`);
    expect(members).toEqual(expect.arrayContaining([
      { member_id: customers[0], status: 'left', quit_scene: 1 },
      { member_id: customers[2], status: 'active', quit_scene: null },
    ]));
    w.sim.act('groupDismissed', { chatId });
    await settle(w);
    const changes = (await q<{ change: string }>(sql`select change from group_history where corp_id = ${w.corpId} and chat_id = ${chatId} order by id`)).map((h) => h.change);
    expect(changes[0]).toBe('created');
    expect(changes).toEqual(expect.arrayContaining(['member_joined', 'member_left', 'dismissed']));
    expect(await q(sql`select status from customer_groups where corp_id = ${w.corpId} and chat_id = ${chatId}`)).toEqual([{ status: 'dismissed' }]);
  });

  it('tags created and deleted in the console reach the tag library', async () => {
    const { tagIds } = w.sim.act('tagCreated', { groupName: 'Interest', names: ['Hiking', 'Tea'] }) as { tagIds: string[] };
    await settle(w);
    expect((await q(sql`select name from tags where corp_id = ${w.corpId} and tag_id = ${tagIds[0]} and deleted_at is null`))).toEqual([{ name: 'Hiking' }]);
    w.sim.act('tagDeleted', { id: tagIds[0] });
    await settle(w);
    expect(await q(sql`select deleted_at is not null as deleted from tags where corp_id = ${w.corpId} and tag_id = ${tagIds[0]}`)).toEqual([{ deleted: true }]);
  });

  it('an employee leaves: departed, their customers await handover, their groups are flagged, the leader is alerted', async () => {
    const t = w.sim.truth();
    const leaver = t.employees.filter((e) => e.customerContact).find((e) => t.groups.some((g) => g.owner === e.userid && !g.dismissed)) ??
      t.employees.find((e) => e.customerContact)!;
    const activeBefore = await q<{ n: number }>(sql`select count(*)::int as n from relations where corp_id = ${w.corpId} and user_id = ${leaver.userid} and status = 'active'`);
    w.sim.act('employeeLeaves', { userid: leaver.userid });
    await settle(w);
    expect(await q(sql`select status from employees where corp_id = ${w.corpId} and user_id = ${leaver.userid}`)).toEqual([{ status: 'departed' }]);
    expect(await q(sql`select count(*)::int as n from relations where corp_id = ${w.corpId} and user_id = ${leaver.userid} and status = 'awaiting_handover'`)).toEqual(activeBefore);
    expect(await q(sql`select count(*)::int as n from relations where corp_id = ${w.corpId} and user_id = ${leaver.userid} and status = 'active'`)).toEqual([{ n: 0 }]);
    const owned = await q<{ status: string }>(sql`select status from customer_groups where corp_id = ${w.corpId} and owner_user_id = ${leaver.userid} and status <> 'dismissed'`);
    expect(owned.every((g) => g.status === 'owner_departed')).toBe(true);
    const { body } = await getJson(`${w.service.url}/api/alerts?kind=employee_departed`);
    expect(body.items).toEqual([expect.objectContaining({ userId: leaver.userid })]);
  });
});

describe('missed callbacks are healed by the next full sync', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 23 });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('drops, then sync: statuses and history say what happened and that the sync found it', async () => {
    const t = w.sim.truth();
    // Reps who have customers, busiest first.
    const reps = t.employees
      .filter((e) => e.customerContact)
      .map((e) => ({ userid: e.userid, n: t.relations.filter((r) => r.userid === e.userid).length }))
      .filter((e) => e.n > 0)
      .sort((a, b) => b.n - a.n);
    const gone = t.relations.find((r) => r.userid === reps[1]!.userid)!;
    w.sim.act('repDeletesCustomer', { userid: gone.userid, externalUserId: gone.external_userid, deliver: 'drop' });
    const { externalUserId: newcomer } = w.sim.act('customerAddsRep', { userid: reps[0]!.userid, state: 'missed', deliver: 'drop' }) as { externalUserId: string };
    w.sim.act('employeeLeaves', { userid: reps[2]!.userid, deliver: 'drop' });
    await settle(w);
    // Nothing arrived: the ledger still has the old picture.
    expect(await q(sql`select status from relations where corp_id = ${w.corpId} and user_id = ${gone.userid} and external_user_id = ${gone.external_userid}`)).toEqual([{ status: 'active' }]);

    await syncNow(w);
    expect(await q(sql`select status from relations where corp_id = ${w.corpId} and user_id = ${gone.userid} and external_user_id = ${gone.external_userid}`)).toEqual([{ status: 'removed' }]);
    expect(await q(sql`select change, cause from relation_history where corp_id = ${w.corpId} and external_user_id = ${gone.external_userid} and user_id = ${gone.userid} order by id desc limit 1`))
      .toEqual([{ change: 'removed', cause: 'sync' }]);
    expect(await q(sql`select status, state from relations where corp_id = ${w.corpId} and external_user_id = ${newcomer}`)).toEqual([{ status: 'active', state: 'missed' }]);
    expect(await q(sql`select status from employees where corp_id = ${w.corpId} and user_id = ${reps[2]!.userid}`)).toEqual([{ status: 'departed' }]);
    expect(await q(sql`select count(*)::int as n from relations where corp_id = ${w.corpId} and user_id = ${reps[2]!.userid} and status = 'active'`)).toEqual([{ n: 0 }]);
    // The archive of the removed customer is kept.
    expect(await q(sql`select count(*)::int as n from external_contacts where corp_id = ${w.corpId} and external_user_id = ${gone.external_userid}`)).toEqual([{ n: 1 }]);
    expect(await ledgerView(database, w.corpId)).toEqual(truthView(w.sim));
  });
});

describe('sync under faults', () => {
  let w: TestWorld;
  beforeAll(async () => (w = await startWorld(database, { seed: 31 })));
  afterAll(() => w.close());

  it('converges through 5xx bursts, busy and rate-limit errcodes and an expired token', async () => {
    w.sim.injectFault({ api: 'externalcontact/batch/get_by_user', http5xx: 2 });
    w.sim.injectFault({ api: 'externalcontact/groupchat/get', errcode: -1, count: 3 });
    w.sim.injectFault({ api: 'user/get', errcode: 45009, count: 1 });
    w.sim.injectFault({ api: 'externalcontact/get_corp_tag_list', errcode: 45033, count: 2 });
    w.sim.expireTokens();
    await syncNow(w, 60_000);
    expect(await ledgerView(database, w.corpId)).toEqual(truthView(w.sim));
  });

  it('a permission errcode degrades: the sync finishes, says what it could not read, and /readyz warns', async () => {
    w.sim.denyApi('externalcontact/get_corp_tag_list', 48002);
    const jobId = await syncNow(w);
    w.sim.allowApi('externalcontact/get_corp_tag_list');
    const { body: job } = await getJson(`${w.service.url}/api/sync/${jobId}`);
    expect(job.status).toBe('done');
    expect(job.warnings).toEqual([expect.objectContaining({ phase: 'tags', api: 'externalcontact/get_corp_tag_list', errcode: 48002 })]);
    const ready = await getJson(`${w.service.url}/readyz`, {});
    expect(ready.status).toBe(200);
    expect(ready.body.warnings).toEqual([expect.stringContaining('48002')]);
    // The other phases still ran and the tags we had are kept.
    expect(job.counts.relations).toBeGreaterThan(0);
    expect((await q(sql`select count(*)::int as n from tags where corp_id = ${w.corpId} and deleted_at is null`))[0].n).toBeGreaterThan(0);
  });
});

describe('a sync killed half-way', () => {
  let w: TestWorld;
  beforeAll(async () => (w = await startWorld(database, { seed: 41, counts: { employees: 14, customers: 600 } })));
  afterAll(() => w.close());

  it('resumes from its saved position and converges without re-reading what it had saved', async () => {
    // The service's own sync worker would take the job; run it by hand as a process that dies.
    await w.service.syncWorker.stop();
    const { jobId } = await requestFullSync(database.db, w.corpId, 'test');
    const [claimed] = await syncQueue.claim(database.db, corpScope(w.corpId), { owner: 'doomed', limit: 1, leaseSeconds: 1 });
    expect(claimed?.id).toBe(jobId);
    class Killed extends Error {}
    let steps = 0;
    await expect(
      runFullSync({
        db: database.db, scope: corpScope(w.corpId), clock: systemClock, client: w.service.client, log: createLogger('silent'), owner: 'doomed', leaseSeconds: 1,
        onProgress: ({ phase }) => {
          if (phase === 'contacts' && ++steps === 4) throw new Killed();
        },
      }, jobId),
    ).rejects.toBeInstanceOf(Killed);
    const pagesBefore = w.sim.calls.count('externalcontact/batch/get_by_user');
    expect(pagesBefore).toBeGreaterThanOrEqual(3);
    const [saved] = await q(sql`select phase, progress_done from sync_jobs where id = ${jobId}`);
    expect(saved.phase).toBe('contacts');

    // A new instance takes over once the dead one's lease runs out.
    await new Promise((r) => setTimeout(r, 1100));
    w.service.syncWorker.start();
    w.service.syncWorker.wake();
    await syncNow(w);
    expect(await ledgerView(database, w.corpId)).toEqual(truthView(w.sim));
    // Pages saved before the kill were not fetched again: at most the page in flight is.
    const total = w.sim.calls.count('externalcontact/batch/get_by_user');
    const relations = truthView(w.sim).relations.length;
    expect(total).toBeLessThanOrEqual(Math.ceil(relations / 100) + 2 + 1);
    const [job] = await q(sql`select status, attempts from sync_jobs where id = ${jobId}`);
    expect(job).toEqual({ status: 'done', attempts: 2 });
  });
});

describe('shutdown during a sync', () => {
  let w: TestWorld;
  beforeAll(async () => (w = await startWorld(database, { seed: 53 })));
  afterAll(() => w.close());

  it('pauses at the next saved step, hands the job back, and a restart finishes it', async () => {
    await w.service.syncWorker.stop();
    const { jobId } = await requestFullSync(database.db, w.corpId, 'test');
    w.sim.injectFault({ api: 'externalcontact/batch/get_by_user', latencyMs: 150 });
    w.service.syncWorker.start();
    w.service.syncWorker.wake();
    await new Promise((r) => setTimeout(r, 400));
    await w.service.syncWorker.stop();
    const [paused] = await q(sql`select status, phase, locked_by, attempts from sync_jobs where id = ${jobId}`);
    expect(paused).toMatchObject({ status: 'pending', locked_by: null, attempts: 0 });
    expect(paused.phase).not.toBe('finished');
    w.sim.clearFaults();
    w.service.syncWorker.start();
    await syncNow(w);
    expect(await ledgerView(database, w.corpId)).toEqual(truthView(w.sim));
  });
});
