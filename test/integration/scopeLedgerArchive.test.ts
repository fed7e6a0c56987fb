import { sql } from 'drizzle-orm';
import {
  addFollowUp, fieldValuesOf, getComplaint, getScore, importOrders, listComplaints, listFields, listFollowUps, listWarnings, openComplaint,
  resolveComplaint, resolveWarning, setFieldValues, stageFunnel, stageOf, defineField,
} from '../../src/archive';
import { rowsOf, type Db } from '../../src/db/connection';
import { corpScope, employeesScope, type Scope } from '../../src/db/scope';
import {
  getContact, getGroup, knownContacts, listAlerts, listContacts, listEmployees, listGroups, listTagGroups, relationStats,
} from '../../src/ledger';
import { timelineOf } from '../../src/views/timeline';
import { getTestDb } from '../helpers/db';
import { freshCorpId } from '../helpers/service';

/**
 * The ledger, archive and views capabilities read and write through a Scope:
 * one corp with two departments, reps in each, a customer shared across them.
 * repA's scope, department B's (a manager's) and the whole corp see exactly
 * their rows; out-of-scope ids read as absent (the routes answer 404).
 */

jest.setTimeout(60_000);

let database: Awaited<ReturnType<typeof getTestDb>>;
let db: Db;
const corp = freshCorpId();
const other = freshCorpId();
let rep: Scope;
let deptB: Scope;
let all: Scope;
const ids: { complaintA: number; complaintB1: number; complaintShared: number; warningA: number; warningB1: number; warningNone: number } = {
  complaintA: 0, complaintB1: 0, complaintShared: 0, warningA: 0, warningB1: 0, warningNone: 0,
};

const NOW = new Date('2024-06-01T00:00:00Z');
const recent = new Date(NOW.getTime() - 5 * 86_400_000);
const exec = async (q: ReturnType<typeof sql>) => rowsOf<Record<string, unknown>>(await db.execute(q));
const idOf = async (q: ReturnType<typeof sql>) => Number((await exec(q))[0]!.id);

async function relation(userId: string, ext: string, status = 'active', history?: string): Promise<number> {
  const id = await idOf(sql`insert into relations (corp_id, user_id, external_user_id, status, added_at, status_changed_at)
    values (${corp}, ${userId}, ${ext}, ${status}, ${recent.toISOString()}::timestamptz, ${recent.toISOString()}::timestamptz) returning id`);
  if (history) {
    await exec(sql`insert into relation_history (corp_id, relation_id, user_id, external_user_id, change, from_status, to_status, cause, at)
      values (${corp}, ${id}, ${userId}, ${ext}, ${history}, 'active', ${history}, 'callback', ${recent.toISOString()}::timestamptz)`);
  }
  return id;
}

beforeAll(async () => {
  database = await getTestDb();
  db = database.db;
  rep = employeesScope(corp, ['repA']);
  deptB = employeesScope(corp, ['repB1', 'repB2']);
  all = corpScope(corp);

  await exec(sql`insert into departments (corp_id, id, name, parent_id) values (${corp}, 1, 'A', null), (${corp}, 2, 'B', null)`);
  await exec(sql`insert into employees (corp_id, user_id, name, department_ids) values
    (${corp}, 'repA', 'Rep A', '{1}'), (${corp}, 'repA2', 'Rep A2', '{1}'), (${corp}, 'repB1', 'Rep B1', '{2}'), (${corp}, 'repB2', 'Rep B2', '{2}')`);
  for (const ext of ['cA', 'cA2', 'cB1', 'cB2', 'shared', 'gone']) {
    await exec(sql`insert into external_contacts (corp_id, external_user_id, name) values (${corp}, ${ext}, ${`name ${ext}`})`);
  }
  // Another corp's customer of the same rep id: never visible.
  await exec(sql`insert into external_contacts (corp_id, external_user_id, name) values (${other}, 'cX', 'other corp')`);
  await exec(sql`insert into relations (corp_id, user_id, external_user_id, status) values (${other}, 'repA', 'cX', 'active')`);

  const rA = await relation('repA', 'cA');
  await relation('repA2', 'cA2');
  const rB1 = await relation('repB1', 'cB1');
  const rB2 = await relation('repB2', 'cB2', 'removed_by_rep', 'removed_by_rep');
  await relation('repA', 'shared');
  const rSharedB = await relation('repB1', 'shared');
  await relation('repA', 'gone', 'removed_by_customer', 'removed_by_customer');

  await exec(sql`insert into tag_groups (corp_id, group_id, name) values (${corp}, 'g1', 'Interest')`);
  await exec(sql`insert into tags (corp_id, tag_id, group_id, name) values (${corp}, 't1', 'g1', 'VIP')`);
  for (const r of [rA, rB1, rSharedB]) await exec(sql`insert into relation_tags (corp_id, relation_id, tag_id) values (${corp}, ${r}, 't1')`);
  // On an ended relation: not counted (counts are of active relations).
  await exec(sql`insert into relation_tags (corp_id, relation_id, tag_id) values (${corp}, ${rB2}, 't1')`);

  await exec(sql`insert into customer_groups (corp_id, chat_id, name, owner_user_id) values
    (${corp}, 'gA', 'A group', 'repA'), (${corp}, 'gB', 'B group', 'repB1'), (${corp}, 'gNone', 'ownerless', null)`);
  await exec(sql`insert into group_members (corp_id, chat_id, member_id, type) values (${corp}, 'gA', 'cA', 2), (${corp}, 'gB', 'cB1', 2)`);

  await exec(sql`insert into follow_ups (corp_id, external_user_id, user_id, channel, content) values
    (${corp}, 'cA', 'repA', 'phone', 'a call'), (${corp}, 'cB1', 'repB1', 'phone', 'b call')`);
  ids.complaintA = await idOf(sql`insert into complaints (corp_id, external_user_id, user_id, content) values (${corp}, 'cA', 'repA', 'late') returning id`);
  ids.complaintB1 = await idOf(sql`insert into complaints (corp_id, external_user_id, user_id, content) values (${corp}, 'cB1', 'repB1', 'rude') returning id`);
  ids.complaintShared = await idOf(sql`insert into complaints (corp_id, external_user_id, user_id, content) values (${corp}, 'shared', 'repB1', 'both') returning id`);
  await exec(sql`insert into orders (corp_id, external_order_id, external_user_id, amount, ordered_at, status, source) values
    (${corp}, 'oA', 'cA', 10, ${recent.toISOString()}::timestamptz, 'paid', 'api'),
    (${corp}, 'oB1', 'cB1', 20, ${recent.toISOString()}::timestamptz, 'paid', 'api')`);
  await exec(sql`insert into customer_scores (corp_id, external_user_id, frequency, monetary, tier) values
    (${corp}, 'cA', 1, 10, 'low'), (${corp}, 'cB1', 1, 20, 'key')`);
  await exec(sql`insert into customer_stages (corp_id, external_user_id, stage) values
    (${corp}, 'cA', 'new'), (${corp}, 'cA2', 'new'), (${corp}, 'cB1', 'growing'), (${corp}, 'cB2', 'dormant'),
    (${corp}, 'shared', 'mature'), (${corp}, 'gone', 'churned')`);
  ids.warningA = await idOf(sql`insert into churn_warnings (corp_id, external_user_id, user_id, kind, transition_key)
    values (${corp}, 'gone', 'repA', 'removed_rep', 'h1') returning id`);
  ids.warningB1 = await idOf(sql`insert into churn_warnings (corp_id, external_user_id, user_id, kind, transition_key)
    values (${corp}, 'cB1', 'repB1', 'key_account_decline', '2024-06') returning id`);
  ids.warningNone = await idOf(sql`insert into churn_warnings (corp_id, external_user_id, user_id, kind, transition_key)
    values (${corp}, 'cB2', null, 'entered_dormant', 's1') returning id`);
  await exec(sql`insert into alerts (corp_id, kind, user_id, external_user_id, source_key) values
    (${corp}, 'customer_deleted_rep', 'repA', 'gone', 'e1'), (${corp}, 'rep_deleted_customer', 'repB2', 'cB2', 'e2'),
    (${corp}, 'employee_departed', 'repA2', null, 'e3')`);
});
afterAll(async () => {
  await database.close();
});

const contactIds = async (scope: Scope, f: Partial<Parameters<typeof listContacts>[2]> = {}) =>
  (await listContacts(db, scope, { limit: 50, ...f })).rows.map((c) => c.externalUserId);
const NOT_FOUND = { code: 'not_found' };

describe('ledger reads in scope', () => {
  it('lists only the customers one of the scope’s employees has or had a relation with', async () => {
    expect(await contactIds(rep)).toEqual(['cA', 'gone', 'shared']);
    expect(await contactIds(deptB)).toEqual(['cB1', 'cB2', 'shared']);
    expect(await contactIds(all)).toEqual(['cA', 'cA2', 'cB1', 'cB2', 'gone', 'shared']);
    expect(await contactIds(employeesScope(corp, []))).toEqual([]);
    // Filters narrow within the scope; naming another rep does not widen it.
    expect(await contactIds(rep, { owner: 'repB1' })).toEqual(['shared']);
    expect(await contactIds(rep, { tag: 't1' })).toEqual(['cA', 'shared']);
    // A customer in scope is shown whole: both owners of the shared customer.
    const shared = (await listContacts(db, rep, { limit: 50 })).rows.find((c) => c.externalUserId === 'shared')!;
    expect(shared.owners.map((o) => o.userId).sort()).toEqual(['repA', 'repB1']);
  });

  it('keyset-pages inside the scope', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listContacts(db, deptB, { limit: 1, ...(after !== undefined ? { after } : {}) });
      seen.push(...page.rows.map((r) => r.externalUserId));
      if (!page.hasMore) break;
      after = page.rows.at(-1)!.externalUserId;
    }
    expect(seen).toEqual(['cB1', 'cB2', 'shared']);
  });

  it('reads a customer’s detail only in scope', async () => {
    expect(await getContact(db, rep, 'cB1')).toBeUndefined();
    expect(await getContact(db, rep, 'cA2')).toBeUndefined();
    expect(await getContact(db, rep, 'cX')).toBeUndefined();
    expect((await getContact(db, rep, 'gone'))?.profile.externalUserId).toBe('gone');
    expect((await getContact(db, deptB, 'shared'))?.relations.map((r) => r.userId).sort()).toEqual(['repA', 'repB1']);
    expect(await getContact(db, all, 'cB1')).toBeDefined();
    expect([...await knownContacts(db, rep, ['cA', 'cB1', 'shared', 'nobody'])].sort()).toEqual(['cA', 'shared']);
  });

  it('lists and reads groups whose owner is in scope', async () => {
    const chats = async (s: Scope) => (await listGroups(db, s, { limit: 50 })).rows.map((g) => g.chatId);
    expect(await chats(rep)).toEqual(['gA']);
    expect(await chats(deptB)).toEqual(['gB']);
    expect(await chats(all)).toEqual(['gA', 'gB', 'gNone']);
    expect(await getGroup(db, rep, 'gB')).toBeUndefined();
    expect(await getGroup(db, rep, 'gNone')).toBeUndefined();
    expect((await getGroup(db, deptB, 'gB'))?.members.map((m) => m.memberId)).toEqual(['cB1']);
  });

  it('lists the employees in scope', async () => {
    const users = async (s: Scope) => (await listEmployees(db, s, {})).map((e) => [e.userId, e.customerCount]);
    expect(await users(rep)).toEqual([['repA', 2]]);
    expect(await users(deptB)).toEqual([['repB1', 2], ['repB2', 0]]);
    expect((await users(all)).map(([u]) => u)).toEqual(['repA', 'repA2', 'repB1', 'repB2']);
  });

  it('counts tag customers inside the scope (the tree itself is the corp’s)', async () => {
    const vip = async (s: Scope) => (await listTagGroups(db, s))[0]!.tags[0]!.customerCount;
    expect(await vip(rep)).toBe(2); // cA, shared (tagged by repB1: the customer is in scope)
    expect(await vip(deptB)).toBe(2); // cB1, shared
    expect(await vip(all)).toBe(3);
    expect(await vip(employeesScope(corp, []))).toBe(0);
  });

  it('computes relation stats over the scope’s relations', async () => {
    const since = new Date(NOW.getTime() - 30 * 86_400_000);
    const a = await relationStats(db, rep, since);
    expect(a.byStatus).toMatchObject({ active: 2, removed_by_customer: 1, removed_by_rep: 0 });
    expect(a.removed).toEqual({ byRep: 0, byCustomer: 1 });
    expect(a.customersLostByRep).toEqual([{ userId: 'repA', count: 1 }]);
    expect(a.topDeletingReps).toEqual([]);
    const b = await relationStats(db, deptB, since);
    expect(b.byStatus).toMatchObject({ active: 2, removed_by_customer: 0, removed_by_rep: 1 });
    expect(b.removed).toEqual({ byRep: 1, byCustomer: 0 });
    expect(b.topDeletingReps).toEqual([{ userId: 'repB2', count: 1 }]);
    const c = await relationStats(db, all, since);
    expect(c.byStatus).toMatchObject({ active: 5, removed_by_customer: 1, removed_by_rep: 1 });
  });

  it('lists alerts about the scope’s employees', async () => {
    const users = async (s: Scope) => (await listAlerts(db, s, { limit: 50 })).map((a) => a.userId).sort();
    expect(await users(rep)).toEqual(['repA']);
    expect(await users(deptB)).toEqual(['repB2']);
    expect(await users(all)).toEqual(['repA', 'repA2', 'repB2']);
    // A filter naming someone out of scope finds nothing.
    expect(await listAlerts(db, rep, { userId: 'repB2', limit: 50 })).toEqual([]);
  });
});

describe('archive records in scope', () => {
  it('lists and reads complaints of customers in scope; resolving one out of scope is not_found', async () => {
    const list = async (s: Scope) => (await listComplaints(db, s, { limit: 50 })).map((c) => c.externalUserId).sort();
    expect(await list(rep)).toEqual(['cA', 'shared']);
    expect(await list(deptB)).toEqual(['cB1', 'shared']);
    expect(await list(all)).toEqual(['cA', 'cB1', 'shared']);
    expect(await listComplaints(db, rep, { externalUserId: 'cB1', limit: 50 })).toEqual([]);
    expect(await getComplaint(db, rep, ids.complaintB1)).toBeUndefined();
    expect(await getComplaint(db, rep, ids.complaintShared)).toBeDefined();
    await expect(resolveComplaint(db, rep, ids.complaintB1, { resolution: 'x', resolvedBy: 'repA', now: NOW })).rejects.toMatchObject(NOT_FOUND);
    expect((await getComplaint(db, all, ids.complaintB1))?.status).toBe('open');
    expect((await resolveComplaint(db, rep, ids.complaintA, { resolution: 'called back', resolvedBy: 'repA', now: NOW })).status).toBe('resolved');
  });

  it('refuses to open complaints or follow-ups on customers out of scope, or in the name of someone out of scope', async () => {
    await expect(openComplaint(db, rep, { externalUserId: 'cB1', userId: 'repA', content: 'x' })).rejects.toMatchObject(NOT_FOUND);
    await expect(openComplaint(db, rep, { externalUserId: 'cA', userId: 'repB1', content: 'x' })).rejects.toMatchObject(NOT_FOUND);
    expect((await openComplaint(db, rep, { externalUserId: 'shared', userId: 'repA', content: 'ok' })).userId).toBe('repA');

    await expect(addFollowUp(db, rep, { externalUserId: 'cB1', userId: 'repA', channel: 'phone', content: 'x' })).rejects.toMatchObject(NOT_FOUND);
    await expect(addFollowUp(db, rep, { externalUserId: 'cA', userId: 'repA2', channel: 'phone', content: 'x' })).rejects.toMatchObject(NOT_FOUND);
    await expect(addFollowUp(db, deptB, { externalUserId: 'cB2', userId: 'repA', channel: 'phone', content: 'x' })).rejects.toMatchObject(NOT_FOUND);
    expect((await addFollowUp(db, deptB, { externalUserId: 'cB2', userId: 'repB2', channel: 'phone', content: 'ok' })).userId).toBe('repB2');
    // The whole corp still checks the author is an employee.
    await expect(addFollowUp(db, all, { externalUserId: 'cA', userId: 'nobody', channel: 'phone', content: 'x' })).rejects.toMatchObject({ code: 'unknown_employee' });

    expect(await listFollowUps(db, rep, 'cB1', { limit: 50 })).toEqual([]);
    expect((await listFollowUps(db, rep, 'cA', { limit: 50 })).map((f) => f.content)).toEqual(['a call']);
    expect((await listFollowUps(db, all, 'cB1', { limit: 50 })).map((f) => f.content)).toEqual(['b call']);
  });

  it('reads and writes field values only of customers in scope; definitions are the corp’s', async () => {
    await defineField(db, all, { key: 'budget', label: 'Budget', type: 'number' });
    expect((await listFields(db, rep)).map((f) => f.key)).toEqual(['budget']);
    await expect(fieldValuesOf(db, rep, 'cB1')).rejects.toMatchObject(NOT_FOUND);
    await expect(db.transaction((tx) => setFieldValues(tx, rep, 'cB1', { budget: 1 }, 'repA'))).rejects.toMatchObject(NOT_FOUND);
    expect(await fieldValuesOf(db, all, 'cB1')).toEqual([]);
    const set = await db.transaction((tx) => setFieldValues(tx, rep, 'cA', { budget: 5 }, 'repA'));
    expect(set.map((v) => [v.key, v.value])).toEqual([['budget', 5]]);
  });

  it('shows a timeline only for a customer in scope', async () => {
    await expect(timelineOf(db, rep, 'cB1', { limit: 10 })).rejects.toMatchObject(NOT_FOUND);
    const t = await timelineOf(db, deptB, 'cB1', { limit: 10 });
    expect(t.entries.map((e) => e.source).sort()).toEqual(['complaint', 'follow_up', 'order']);
  });

  it('imports orders only for customers in scope (out of scope reads as unknown; others’ orders stay untouched)', async () => {
    const o = (externalOrderId: string, externalUserId: string, amount = '5') => ({ externalOrderId, externalUserId, amount, orderedAt: '2024-05-30' });
    const r = await importOrders(db, rep, [o('oA-2', 'cA'), o('oB1-2', 'cB1'), o('oN', 'nobody')], 'api', { allowUnknown: true });
    expect(r).toMatchObject({ inserted: 1, updated: 0 });
    expect(r.rejected.map((x) => [x.index, x.code])).toEqual([[1, 'unknown_customer'], [2, 'unknown_customer']]);
    // An existing order of a customer out of scope is not moved to one in scope.
    const moved = await importOrders(db, rep, [o('oB1', 'cA', '999')], 'api');
    expect(moved).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
    expect(await exec(sql`select external_user_id, amount::text as amount from orders where corp_id = ${corp} and external_order_id = 'oB1'`))
      .toEqual([{ external_user_id: 'cB1', amount: '20.00' }]);
    // The whole corp keeps unknown customers' orders on request.
    expect(await importOrders(db, all, [o('oN', 'nobody')], 'api', { allowUnknown: true })).toMatchObject({ inserted: 1, rejected: [] });
  });
});

describe('archive values in scope', () => {
  it('counts the funnel inside the scope', async () => {
    const funnel = async (s: Scope) => Object.fromEntries((await stageFunnel(db, s)).map((x) => [x.stage, x.customers]));
    expect(await funnel(rep)).toEqual({ new: 1, growing: 0, mature: 1, dormant: 0, churned: 1 });
    expect(await funnel(deptB)).toEqual({ new: 0, growing: 1, mature: 1, dormant: 1, churned: 0 });
    expect(await funnel(all)).toEqual({ new: 2, growing: 1, mature: 1, dormant: 1, churned: 1 });
  });

  it('reads scores and stages only of customers in scope', async () => {
    expect(await getScore(db, rep, 'cB1')).toBeUndefined();
    expect(await stageOf(db, rep, 'cB1')).toBeUndefined();
    expect((await getScore(db, deptB, 'cB1'))?.tier).toBe('key');
    expect((await stageOf(db, deptB, 'cB1'))?.stage).toBe('growing');
    expect((await getScore(db, rep, 'cA'))?.tier).toBe('low');
  });

  it('lists and resolves warnings of reps in scope', async () => {
    const list = async (s: Scope) => (await listWarnings(db, s, { limit: 50 })).map((w) => w.id).sort((a, b) => a - b);
    expect(await list(rep)).toEqual([ids.warningA]);
    expect(await list(deptB)).toEqual([ids.warningB1]);
    expect(await list(all)).toEqual([ids.warningA, ids.warningB1, ids.warningNone].sort((a, b) => a - b));
    expect(await resolveWarning(db, rep, ids.warningB1, { by: 'repA', now: NOW })).toBeUndefined();
    expect(await resolveWarning(db, deptB, ids.warningNone, { by: 'repB1', now: NOW })).toBeUndefined();
    expect(await resolveWarning(db, deptB, ids.warningB1, { by: 'repB1', now: NOW, onlyUserId: 'repB2' })).toBeUndefined();
    expect((await resolveWarning(db, deptB, ids.warningB1, { by: 'repB1', now: NOW }))?.resolvedBy).toBe('repB1');
    expect(await list(deptB)).toEqual([]);
  });
});
