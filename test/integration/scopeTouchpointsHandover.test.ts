import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Database } from '../../src/db/connection';
import { corpScope, employeesScope, type Scope } from '../../src/db/scope';
import {
  cancelHandoverPlan, confirmHandoverPlan, draftHandover, handoverPlan, listAudit, listPlans, listUnassigned, type HandoverCommandContext,
} from '../../src/handover';
import { systemClock } from '../../src/lib/clock';
import {
  createSegment, getSegment, listSegments, materialiseSegment, membersOf, previewSegment, updateSegment,
} from '../../src/segments';
import {
  campaignSettings, campaignStats, createCampaign, getCampaign, listCampaigns, listDeliveries, materialiseOccurrences, pauseCampaign, planNextRun,
  previewCampaign, scheduleCampaign, updateCampaign, type CampaignSettings,
} from '../../src/touchpoints/campaigns';
import { channelStats, getChannel, listChannels, listWelcomeSends, previewTemplate } from '../../src/touchpoints';
import { getTestDb } from '../helpers/db';
import { freshCorpId, testConfig } from '../helpers/service';

/**
 * One corp, two departments:
 *  dept 1 — repA, repA2;  dept 2 — mgrB (leads it), repB, repB2.
 *  customers: cA1, cA2 (repA); cB1, cB2 (repB); cShared (repB first, repA added later); groups gA (repA), gB (repB).
 * Scopes: a rep (repA), a manager over dept 2 (as sign-in builds it: its employees plus themself), the whole corp.
 */
let database: Database;
const corp = freshCorpId();
const rep = employeesScope(corp, ['repA']);
const managerB = employeesScope(corp, ['mgrB', 'repB', 'repB2']);
const admin = corpScope(corp);
let settings: CampaignSettings;

const exec = async (q: SQL) => rowsOf<Record<string, unknown>>(await database.db.execute(q));
const ctx = (scope: Scope, actor: string): HandoverCommandContext => ({ scope, actor, customerCap: 50_000, clock: systemClock });
const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

beforeAll(async () => {
  database = await getTestDb();
  settings = { ...campaignSettings(testConfig()), quietHours: null, frequencyCap: 0 } as CampaignSettings;
  for (const [user, dept] of [['repA', 1], ['repA2', 1], ['mgrB', 2], ['repB', 2], ['repB2', 2]] as const) {
    await exec(sql`insert into employees (corp_id, user_id, name, department_ids, status, has_customer_contact)
      values (${corp}, ${user}, ${user}, ${`{${dept}}`}::int[], 'active', true)`);
  }
  const relation = async (user: string, ext: string, addedDaysAgo: number) => {
    await exec(sql`insert into external_contacts (corp_id, external_user_id, name, connected) values (${corp}, ${ext}, ${ext}, true) on conflict do nothing`);
    await exec(sql`insert into relations (corp_id, user_id, external_user_id, status, added_at) values (${corp}, ${user}, ${ext}, 'active', ${ago(addedDaysAgo)}::timestamptz)`);
  };
  await relation('repA', 'cA1', 200);
  await relation('repA', 'cA2', 200);
  await relation('repB', 'cB1', 200);
  await relation('repB', 'cB2', 200);
  await relation('repB', 'cShared', 300);
  await relation('repA', 'cShared', 100); // the most recent: the whole corp's default sender
  for (const [chat, owner] of [['gA', 'repA'], ['gB', 'repB']]) {
    await exec(sql`insert into customer_groups (corp_id, chat_id, name, owner_user_id, status) values (${corp}, ${chat}, ${chat}, ${owner}, 'active')`);
  }
  for (const [user, ext] of [['repA', 'uA'], ['repB', 'uB']]) {
    await exec(sql`insert into unassigned_customers (corp_id, handover_user_id, external_user_id) values (${corp}, ${user}, ${ext})`);
  }
});

afterAll(async () => {
  await database?.close();
});

describe('handover in a scope', () => {
  let planA: number;
  let planB: number;

  it('refuses, as not found, a draft from or to an employee outside the scope', async () => {
    const draft = (scope: Scope, from: string, to: string) => draftHandover(database.db, ctx(scope, 'mgrB'), {
      fromUserId: from, takeoverUserIds: [to], rule: 'one', customers: { mode: 'all' }, groups: { mode: 'all' },
    });
    await expect(draft(managerB, 'repA', 'repB')).rejects.toMatchObject({ code: 'not_found' });
    await expect(draft(managerB, 'repB', 'repA')).rejects.toMatchObject({ code: 'not_found' });
    await expect(draft(rep, 'repA', 'repA2')).rejects.toMatchObject({ code: 'not_found' });
    expect(await exec(sql`select id from handover_plans where corp_id = ${corp}`)).toEqual([]);
  });

  it("plans only the in-scope rep's own customers and groups", async () => {
    const b = await draftHandover(database.db, ctx(managerB, 'mgrB'), {
      fromUserId: 'repB', takeoverUserIds: ['repB2'], rule: 'one', customers: { mode: 'all' }, groups: { mode: 'all' },
    });
    planB = b.plan.id;
    expect(b.items.map((i) => i.targetId).sort()).toEqual(['cB1', 'cB2', 'cShared', 'gB']);
    const a = await draftHandover(database.db, ctx(admin, 'admin'), {
      fromUserId: 'repA', takeoverUserIds: ['repA2'], rule: 'one', customers: { mode: 'all' }, groups: { mode: 'none' },
    });
    planA = a.plan.id;
  });

  it('filters lists, details and the audit; out-of-scope plans are not found, also to confirm or cancel', async () => {
    const ids = async (scope: Scope) => (await listPlans(database.db, scope, { limit: 50 })).map((r) => r.plan.id);
    expect(await ids(managerB)).toEqual([planB]);
    expect(await ids(rep)).toEqual([planA]);
    expect((await ids(admin)).sort()).toEqual([planA, planB].sort());
    expect((await handoverPlan(database.db, managerB, planB)).plan.id).toBe(planB);
    await expect(handoverPlan(database.db, managerB, planA)).rejects.toMatchObject({ code: 'not_found' });
    await expect(handoverPlan(database.db, rep, planB)).rejects.toMatchObject({ code: 'not_found' });
    await expect(confirmHandoverPlan(database.db, ctx(managerB, 'mgrB'), planA, () => undefined)).rejects.toMatchObject({ code: 'not_found' });
    await expect(cancelHandoverPlan(database.db, ctx(managerB, 'mgrB'), planA)).rejects.toMatchObject({ code: 'not_found' });
    expect((await handoverPlan(database.db, admin, planA)).plan.status).toBe('draft');

    const audit = async (scope: Scope) => [...new Set((await listAudit(database.db, scope, { limit: 50 })).map((e) => e.planId))];
    expect(await audit(managerB)).toEqual([planB]);
    expect(await audit(rep)).toEqual([planA]);
    expect((await audit(admin)).sort()).toEqual([planA, planB].sort());

    await cancelHandoverPlan(database.db, ctx(managerB, 'mgrB'), planB);
    expect((await handoverPlan(database.db, admin, planB)).plan.status).toBe('cancelled');
  });

  it("shows only the unassigned pool of the scope's departed reps", async () => {
    expect((await listUnassigned(database.db, managerB)).map((r) => r.userId)).toEqual(['repB']);
    expect((await listUnassigned(database.db, rep)).map((r) => r.userId)).toEqual(['repA']);
    expect((await listUnassigned(database.db, admin)).map((r) => r.userId)).toEqual(['repA', 'repB']);
  });
});

describe('segments in a scope', () => {
  const everyone = { all: [] };

  it('counts and samples only customers in the scope', async () => {
    const ids = async (scope: Scope) => (await previewSegment(database.db, scope, everyone, new Date(), 10)).sample.map((s) => s.externalUserId);
    expect(await ids(rep)).toEqual(['cA1', 'cA2', 'cShared']);
    expect(await ids(managerB)).toEqual(['cB1', 'cB2', 'cShared']);
    expect((await previewSegment(database.db, admin, everyone, new Date())).count).toBe(5);
    expect((await previewSegment(database.db, managerB, everyone, new Date())).count).toBe(3);
  });

  it("another department's creator's segment is not found; members are counted in the scope", async () => {
    const mine = await createSegment(database.db, managerB, { name: 'dept B all', rule: everyone }, 'mgrB', new Date());
    const corpWide = await createSegment(database.db, admin, { name: 'corp all', rule: everyone }, 'admin', new Date());
    expect(await getSegment(database.db, managerB, corpWide.id)).toBeUndefined();
    expect(await getSegment(database.db, rep, mine.id)).toBeUndefined();
    expect((await getSegment(database.db, admin, mine.id))?.id).toBe(mine.id);
    expect((await listSegments(database.db, managerB)).map((s) => s.id)).toEqual([mine.id]);
    const byToken = await createSegment(database.db, employeesScope(corp, ['repB2']), { name: 'by token', rule: everyone }, 'token:t1', new Date());
    expect((await getSegment(database.db, managerB, byToken.id))?.id).toBe(byToken.id);
    expect(await getSegment(database.db, rep, byToken.id)).toBeUndefined();
    await expect(updateSegment(database.db, managerB, corpWide.id, { name: 'taken over' }, new Date())).rejects.toMatchObject({ code: 'not_found' });
    await expect(materialiseSegment(database.db, managerB, corpWide.id, new Date())).rejects.toMatchObject({ code: 'not_found' });

    expect((await materialiseSegment(database.db, managerB, mine.id, new Date())).memberCount).toBe(3);
    const members = async (scope: Scope) => (await membersOf(database.db, scope, mine.id, { limit: 10 })).items.map((m) => m.externalUserId);
    expect(await members(admin)).toEqual(['cB1', 'cB2', 'cShared']);
    expect(await members(rep)).toEqual(['cShared']);
  });
});

describe('campaigns in a scope', () => {
  const push = { kind: 'push' as const, audience: { type: 'rule' as const, rule: { all: [] } }, content: { type: 'inline' as const, text: 'Hello', attachments: [] } };

  it("a department-B campaign's worker run plans deliveries only to department B's customers, sent by its reps", async () => {
    const now = new Date();
    const c = await createCampaign(database.db, managerB, { ...push, name: 'B push', schedule: { type: 'once', at: now } }, 'mgrB', now, settings);
    expect(c.scopeUserIds).toEqual(['mgrB', 'repB', 'repB2']);
    const preview = await previewCampaign(database.db, admin, c, now, settings);
    expect(preview.targeted).toBe(3);

    await scheduleCampaign(database.db, managerB, c.id, undefined, now, settings);
    await materialiseOccurrences(database.db, corp, new Date(), settings);
    // The worker plans for the whole corp, with no caller: the stored reach is what limits it.
    while ((await planNextRun(database.db, corp, 'planner', new Date(), settings)) > 0);
    const deliveries = await exec(sql`select recipient_id, sender from campaign_deliveries where corp_id = ${corp} and campaign_id = ${c.id} order by recipient_id`);
    expect(deliveries).toEqual([
      { recipient_id: 'cB1', sender: 'repB' }, { recipient_id: 'cB2', sender: 'repB' }, { recipient_id: 'cShared', sender: 'repB' },
    ]);

    expect((await campaignStats(database.db, managerB, c.id, settings)).targeted).toBe(3);
    expect((await listDeliveries(database.db, rep, c.id, { limit: 10 }))).toEqual([]);
    expect((await listDeliveries(database.db, managerB, c.id, { limit: 10 })).length).toBe(3);
  });

  it("a whole-corp campaign reaches everyone with the corp's default sender", async () => {
    const now = new Date();
    const c = await createCampaign(database.db, admin, { ...push, name: 'corp push' }, 'admin', now, settings);
    expect(c.scopeUserIds).toBeNull();
    const preview = await previewCampaign(database.db, admin, c, now, settings, 10);
    expect(preview.targeted).toBe(5);
    expect(preview.sample.find((s) => s.recipientId === 'cShared')?.sender).toBe('repA');
    // The same campaign previewed by department B's manager: only their part.
    expect((await previewCampaign(database.db, managerB, c, now, settings)).targeted).toBe(3);
    // A group post saved by department B's manager reaches only the groups its reps own.
    const posts = await createCampaign(database.db, managerB, {
      kind: 'group_post', name: 'B groups', audience: { type: 'groups' }, content: { type: 'inline', text: 'Hi', attachments: [] },
    }, 'mgrB', now, settings);
    expect((await previewCampaign(database.db, admin, posts, now, settings)).sample.map((x) => x.recipientId)).toEqual(['gB']);
  });

  it("another department's creator's campaign is not found, to read or to change", async () => {
    const now = new Date();
    const corpWide = await createCampaign(database.db, admin, { ...push, name: 'admin only' }, 'admin', now, settings);
    const mine = await createCampaign(database.db, managerB, { ...push, name: 'B only' }, 'mgrB', now, settings);
    expect(await getCampaign(database.db, managerB, corpWide.id)).toBeUndefined();
    expect(await getCampaign(database.db, rep, mine.id)).toBeUndefined();
    expect((await getCampaign(database.db, admin, mine.id))?.id).toBe(mine.id);
    expect((await listCampaigns(database.db, managerB, { limit: 50 })).every((c) => c.createdBy === 'mgrB')).toBe(true);
    await expect(updateCampaign(database.db, managerB, corpWide.id, { name: 'x' }, now, settings)).rejects.toMatchObject({ code: 'not_found' });
    await expect(pauseCampaign(database.db, managerB, corpWide.id, now)).rejects.toMatchObject({ code: 'not_found' });
    // A token acting for department B (no employee of its own): its campaign reaches only B, so B's manager sees it.
    const byToken = await createCampaign(database.db, employeesScope(corp, ['repB', 'repB2']), { ...push, name: 'by token' }, 'token:t1', now, settings);
    expect((await getCampaign(database.db, managerB, byToken.id))?.id).toBe(byToken.id);
    expect(await getCampaign(database.db, rep, byToken.id)).toBeUndefined();
    // A narrower scope does not see the wider one's campaign.
    expect(await getCampaign(database.db, employeesScope(corp, ['repB']), mine.id)).toBeUndefined();
    // A segment the creator cannot see is not found as an audience either.
    const [adminSeg] = await exec(sql`select id from segments where corp_id = ${corp} and created_by = 'admin'`);
    await expect(createCampaign(database.db, managerB, { ...push, name: 'B seg', audience: { type: 'segment', segmentId: Number(adminSeg!.id) } }, 'mgrB', now, settings))
      .rejects.toMatchObject({ code: 'not_found' });
    // Groups of owners outside the scope: not found.
    await expect(createCampaign(database.db, managerB, {
      kind: 'group_post', name: 'A groups', audience: { type: 'groups', owners: ['repA'] }, content: { type: 'inline', text: 'Hi', attachments: [] },
    }, 'mgrB', now, settings)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('touchpoint content in a scope', () => {
  it('channels are visible when all their reps are in the scope; welcome sends by rep; rendering only for customers in scope', async () => {
    const [chA] = await exec(sql`insert into channels (corp_id, name, state, status, user_ids, created_by) values (${corp}, 'A', 'llA', 'active', '{repA}', 'admin') returning id`);
    const [chB] = await exec(sql`insert into channels (corp_id, name, state, status, user_ids, created_by) values (${corp}, 'B', 'llB', 'active', '{repB,repB2}', 'admin') returning id`);
    const a = Number(chA!.id);
    const b = Number(chB!.id);
    expect((await listChannels(database.db, managerB, {})).map((c) => c.id)).toEqual([b]);
    expect((await listChannels(database.db, admin, {})).map((c) => c.id).sort()).toEqual([a, b].sort());
    expect(await getChannel(database.db, managerB, a)).toBeUndefined();
    await expect(channelStats(database.db, managerB, a, new Date())).rejects.toMatchObject({ code: 'not_found' });
    expect((await channelStats(database.db, managerB, b, new Date())).channelId).toBe(b);

    for (const [user, ext, channel] of [['repA', 'cA1', a], ['repB', 'cB1', b]] as const) {
      await exec(sql`insert into welcome_sends (corp_id, welcome_code, user_id, external_user_id, channel_id, status) values (${corp}, ${`code-${ext}`}, ${user}, ${ext}, ${channel}, 'sent')`);
    }
    expect((await listWelcomeSends(database.db, managerB, { limit: 10 })).map((w) => w.userId)).toEqual(['repB']);
    expect((await listWelcomeSends(database.db, admin, { limit: 10 })).length).toBe(2);

    const [t] = await exec(sql`insert into templates (corp_id, name, kind, text, attachments, created_by) values (${corp}, 't', 'message', 'Hi {{customer.name}}', '[]'::jsonb, 'admin') returning id`);
    const tid = Number(t!.id);
    expect((await previewTemplate(database.db, managerB, tid, { externalUserId: 'cB1' })).text).toBe('Hi cB1');
    await expect(previewTemplate(database.db, managerB, tid, { externalUserId: 'cA1' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(previewTemplate(database.db, managerB, tid, { externalUserId: 'cB1', userId: 'repA' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
