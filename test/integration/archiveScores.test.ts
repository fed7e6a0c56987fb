import { sql } from 'drizzle-orm';
import {
  recencyDays, resolveWarning,
  createAutoTagRule, getScore, listWarnings, recomputeArchive, recomputeScores, recomputeStages, sendWarningDigests, setStageRules, stageFunnel, stageOf,
} from '../../src/archive';
import { rowsOf, type Db } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { getTestDb } from '../helpers/db';
import { auth, eventually, freshCorpId, getJson, startTestService, testConfig } from '../helpers/service';
import { startWorld, syncNow } from '../helpers/world';

jest.setTimeout(60_000);

let database: Awaited<ReturnType<typeof getTestDb>>;
let db: Db;
beforeAll(async () => {
  database = await getTestDb();
  db = database.db;
});
afterAll(async () => {
  await database.close();
});

const DAY = 86_400_000;
const T0 = new Date('2024-01-01T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * DAY);
const iso = (d: Date) => d.toISOString();
let orderSeq = 0;

async function contact(corpId: string, ext: string, name = ext) {
  await db.execute(sql`insert into external_contacts (corp_id, external_user_id, name) values (${corpId}, ${ext}, ${name})`);
}
async function relation(corpId: string, userId: string, ext: string, addedAt: Date, status = 'active'): Promise<number> {
  const res = await db.execute(sql`
    insert into relations (corp_id, user_id, external_user_id, status, added_at, status_changed_at)
    values (${corpId}, ${userId}, ${ext}, ${status}, ${iso(addedAt)}::timestamptz, ${iso(addedAt)}::timestamptz) returning id`);
  return Number(rowsOf<{ id: string }>(res)[0]!.id);
}
async function order(corpId: string, ext: string, amount: number, at: Date, status = 'paid') {
  await db.execute(sql`
    insert into orders (corp_id, external_order_id, external_user_id, amount, ordered_at, status, source)
    values (${corpId}, ${`o${++orderSeq}`}, ${ext}, ${amount}, ${iso(at)}::timestamptz, ${status}, 'api')`);
}
const count = async (q: ReturnType<typeof sql>) => Number(rowsOf<{ n: number }>(await db.execute(q))[0]!.n);

describe('RFM scores', () => {
  it('scores 10 distinct customers by exact quintiles; no paid orders → tier none with null scores', async () => {
    const corp = freshCorpId();
    const now = day(100);
    for (let i = 0; i < 10; i++) {
      await contact(corp, `c${i}`);
      // c0 ordered most recently and spent least.
      await order(corp, `c${i}`, (i + 1) * 100, new Date(now.getTime() - (i + 1) * DAY));
    }
    await contact(corp, 'none');
    await contact(corp, 'refunded');
    await order(corp, 'refunded', 5000, day(90), 'refunded');
    await order(corp, 'stranger', 99999, day(90)); // not in the ledger: ignored

    expect(await recomputeScores(db, corp, now)).toEqual({ customers: 12, paying: 10, changed: 12 });
    const rows = [];
    for (let i = 0; i < 10; i++) rows.push((await getScore(db, corpScope(corp), `c${i}`))!);
    expect(rows.map((r) => r.m)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(rows.map((r) => r.r)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    // Everyone has one order: a tie, so all share the lowest score.
    expect(rows.map((r) => r.f)).toEqual(Array(10).fill(1));
    expect(rows.map((r) => recencyDays(r, now))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rows[9]!.monetary).toBe('1000.00');
    // key = top 20% by spend; then R+F ≥ 5 regular, else low.
    expect(rows.map((r) => r.tier)).toEqual(['regular', 'regular', 'regular', 'regular', 'low', 'low', 'low', 'low', 'key', 'key']);
    for (const ext of ['none', 'refunded']) {
      expect(await getScore(db, corpScope(corp), ext)).toMatchObject({ tier: 'none', r: null, f: null, m: null, lastOrderAt: null, frequency: 0, monetary: '0.00' });
    }
    expect(await getScore(db, corpScope(corp), 'stranger')).toBeUndefined();

    // A rerun is stable, updates in place and writes nothing when nothing moved.
    expect((await recomputeScores(db, corp, now)).changed).toBe(0);
    expect(await count(sql`select count(*)::int as n from customer_scores where corp_id = ${corp}`)).toBe(12);
  });

  it('gives equal values equal scores (the lower one) and includes boundary ties in key', async () => {
    const corp = freshCorpId();
    const now = day(50);
    const spend = [100, 100, 200, 300, 300];
    for (const [i, s] of spend.entries()) {
      await contact(corp, `t${i}`);
      await order(corp, `t${i}`, s, day(10));
      if (i >= 2) await order(corp, `t${i}`, 0, day(10)); // t2..t4 have two orders
    }
    await recomputeScores(db, corp, now);
    const rows = await Promise.all(spend.map((_, i) => getScore(db, corpScope(corp), `t${i}`)));
    expect(rows.map((r) => r!.m)).toEqual([1, 1, 3, 4, 4]);
    expect(rows.map((r) => r!.f)).toEqual([1, 1, 3, 3, 3]);
    expect(rows.map((r) => r!.r)).toEqual([1, 1, 1, 1, 1]);
    // ceil(5/5) = 1 key slot, but both customers tied at the top are key.
    expect(rows.map((r) => r!.tier)).toEqual(['low', 'low', 'low', 'key', 'key']);
  });
});

describe('stages over simulated time', () => {
  it('walks new → growing → mature → dormant → churned, recording only changes', async () => {
    const corp = freshCorpId();
    await contact(corp, 'a');
    await relation(corp, 'rep1', 'a', day(0));
    await contact(corp, 'gone');
    await relation(corp, 'rep1', 'gone', day(0), 'removed_by_customer');

    const run = async (n: number) => {
      await recomputeScores(db, corp, day(n));
      return recomputeStages(db, corp, day(n), `run-${n}`);
    };
    await run(1);
    expect((await stageOf(db, corpScope(corp), 'a'))?.stage).toBe('new');
    expect((await stageOf(db, corpScope(corp), 'gone'))?.stage).toBe('churned');

    await order(corp, 'a', 100, day(10));
    await run(20);
    expect((await stageOf(db, corpScope(corp), 'a'))?.stage).toBe('growing'); // has an order: no longer new
    await run(21);
    await order(corp, 'a', 100, day(40));
    await order(corp, 'a', 100, day(60));
    await run(61);
    expect(await stageOf(db, corpScope(corp), 'a')).toEqual({ stage: 'mature', since: day(61) });
    expect(await stageFunnel(db, corpScope(corp))).toEqual([
      { stage: 'new', customers: 0 }, { stage: 'growing', customers: 0 }, { stage: 'mature', customers: 1 },
      { stage: 'dormant', customers: 0 }, { stage: 'churned', customers: 1 },
    ]);
    await run(149);
    expect((await stageOf(db, corpScope(corp), 'a'))?.stage).toBe('mature'); // 89 days idle
    await run(151);
    expect((await stageOf(db, corpScope(corp), 'a'))?.stage).toBe('dormant');
    await run(151);
    await run(241);
    expect((await stageOf(db, corpScope(corp), 'a'))?.stage).toBe('churned');

    const changes = rowsOf<{ from_stage: string | null; to_stage: string; at: string | Date }>(
      await db.execute(sql`select from_stage, to_stage, at from stage_changes where corp_id = ${corp} and external_user_id = 'a' order by id`),
    );
    expect(changes.map((c) => [c.from_stage, c.to_stage])).toEqual([
      [null, 'new'], ['new', 'growing'], ['growing', 'mature'], ['mature', 'dormant'], ['dormant', 'churned'],
    ]);
    expect(new Date(changes[3]!.at)).toEqual(day(151));
  });

  it('validates and applies configurable rules', async () => {
    const corp = freshCorpId();
    await expect(setStageRules(db, corpScope(corp), { dormantDays: 200, churnedDays: 100 })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('churnedDays') });
    await expect(setStageRules(db, corpScope(corp), { newDays: 'x' })).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('newDays') });
    await setStageRules(db, corpScope(corp), { dormantDays: 10, churnedDays: 20 });
    await contact(corp, 'b');
    await relation(corp, 'rep1', 'b', day(0));
    await recomputeStages(db, corp, day(15), 'r');
    expect((await stageOf(db, corpScope(corp), 'b'))?.stage).toBe('dormant');
  });
});

describe('churn warnings and digests', () => {
  async function scenario() {
    const corp = freshCorpId();
    // sleepy: will go dormant. big: a key account whose buying stopped. leaver: removed their rep.
    await contact(corp, 'sleepy', '小睡');
    await relation(corp, 'rep1', 'sleepy', day(0));
    await order(corp, 'sleepy', 20, day(300));
    await contact(corp, 'big', '大客户');
    await relation(corp, 'rep2', 'big', day(0));
    for (let d = 0; d < 300; d += 30) await order(corp, 'big', 1000, day(d));
    // Still talking (not dormant), just no longer buying.
    await db.execute(sql`insert into interactions (corp_id, external_user_id, user_id, kind, at) values (${corp}, 'big', 'rep2', 'message', ${iso(day(400))}::timestamptz)`);
    for (let i = 0; i < 4; i++) {
      await contact(corp, `small${i}`);
      await relation(corp, 'rep2', `small${i}`, day(0));
      await order(corp, `small${i}`, 30 + 10 * i, day(400));
    }
    await contact(corp, 'leaver');
    const rel = await relation(corp, 'rep3', 'leaver', day(0), 'removed_by_customer');
    await db.execute(sql`
      insert into relation_history (corp_id, relation_id, user_id, external_user_id, change, from_status, to_status, cause, at)
      values (${corp}, ${rel}, 'rep3', 'leaver', 'removed_by_customer', 'active', 'removed_by_customer', 'callback', ${iso(day(395))}::timestamptz)`);
    return corp;
  }

  it('raises one warning per transition, not per run, and digests each rep exactly once', async () => {
    const corp = await scenario();
    // Day 310: everyone is fine; stages settle first.
    expect((await recomputeArchive(db, corpScope(corp), day(310))).warnings).toEqual({ entered_dormant: 0, key_account_decline: 0, removed_rep: 0 });
    const first = await recomputeArchive(db, corpScope(corp), day(410));
    expect(first.warnings).toEqual({ entered_dormant: 1, key_account_decline: 1, removed_rep: 1 });
    const again = await recomputeArchive(db, corpScope(corp), day(411));
    expect(again.warnings).toEqual({ entered_dormant: 0, key_account_decline: 0, removed_rep: 0 });
    expect(again.stageChanges).toBe(0);

    const all = await listWarnings(db, corpScope(corp), { limit: 50 });
    expect(all.map((w) => [w.externalUserId, w.kind, w.userId]).sort()).toEqual([
      ['big', 'key_account_decline', 'rep2'], ['leaver', 'removed_rep', 'rep3'], ['sleepy', 'entered_dormant', 'rep1'],
    ]);
    expect((await listWarnings(db, corpScope(corp), { limit: 50, tier: 'key' })).map((w) => w.externalUserId)).toEqual(['big']);
    expect(all.find((w) => w.kind === 'key_account_decline')!.detail).toMatchObject({ recentOrders: 0, recentSpend: 0 });

    // Two instances at once: every warning goes out in exactly one digest, one per rep.
    const [a, b] = await Promise.all([sendWarningDigests(db, corp, day(411), 'zh-CN'), sendWarningDigests(db, corp, day(411), 'zh-CN')]);
    expect(a.warnings + b.warnings).toBe(3);
    expect(await sendWarningDigests(db, corp, day(412), 'zh-CN')).toEqual({ reps: 0, warnings: 0 });
    const msgs = rowsOf<{ to_user_ids: string[]; content: string }>(
      await db.execute(sql`select to_user_ids, content from app_messages where corp_id = ${corp} and purpose = 'warning_digest' order by to_user_ids[1]`),
    );
    expect(msgs.map((m) => m.to_user_ids)).toEqual([['rep1'], ['rep2'], ['rep3']]);
    expect(msgs[0]!.content).toContain('小睡');
    expect(await count(sql`select count(*)::int as n from churn_warnings where corp_id = ${corp} and digest_sent_at is null`)).toBe(0);

    // A second recompute in a later month sees the decline again: a new transition key.
    const nextMonth = await recomputeArchive(db, corpScope(corp), day(440));
    expect(nextMonth.warnings.key_account_decline).toBe(1);

    // Handling: a rep may resolve only their own; resolving again keeps the first resolution.
    const leaver = all.find((w) => w.kind === 'removed_rep')!;
    expect(await resolveWarning(db, corpScope(corp), leaver.id, { by: 'rep1', now: day(441), onlyUserId: 'rep1' })).toBeUndefined();
    expect(await resolveWarning(db, corpScope(corp), leaver.id, { by: 'rep3', resolution: 'called back', now: day(441), onlyUserId: 'rep3' }))
      .toMatchObject({ resolvedBy: 'rep3', resolution: 'called back' });
    expect(await resolveWarning(db, corpScope(corp), leaver.id, { by: 'boss', now: day(442) })).toMatchObject({ resolvedBy: 'rep3', resolution: 'called back' });
    // The dormant customer orders again: active again, so their warning resolves itself.
    await order(corp, 'sleepy', 10, day(443));
    await recomputeArchive(db, corpScope(corp), day(444));
    const open = await listWarnings(db, corpScope(corp), { limit: 50 });
    expect(open.map((w) => [w.externalUserId, w.kind])).toEqual([['big', 'key_account_decline'], ['big', 'key_account_decline']]);
    const [sleepy] = rowsOf<{ resolved_by: string; resolution: string }>(await db.execute(sql`
      select resolved_by, resolution from churn_warnings where corp_id = ${corp} and external_user_id = 'sleepy'`));
    expect(sleepy).toMatchObject({ resolved_by: 'system' });
    expect(sleepy!.resolution).toMatch(/^active again: (growing|mature)$/);
  });

  it('lets only one recompute run at a time', async () => {
    const corp = await scenario();
    const results = await Promise.allSettled([recomputeArchive(db, corpScope(corp), day(410)), recomputeArchive(db, corpScope(corp), day(410))]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    // Either they serialised (by chance on a server; always on PGlite, one session: both ran, the second found nothing new) or one was refused with conflict.
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'conflict' });
    expect(await count(sql`select count(*)::int as n from churn_warnings where corp_id = ${corp}`)).toBe(3);
  });
});

describe('HTTP', () => {
  it('recomputes through the route and serves scores, funnel, rules and warnings', async () => {
    const config = testConfig();
    const service = await startTestService(database, config);
    try {
      const corp = config.corpId;
      await contact(corp, 'h1');
      await relation(corp, 'rep1', 'h1', new Date(Date.now() - 5 * DAY));
      await order(corp, 'h1', 88, new Date(Date.now() - DAY));
      const res = await fetch(`${service.url}/api/scores/recompute`, { method: 'POST', headers: auth });
      expect(res.status).toBe(200);
      const summary = (await res.json()) as any;
      expect(summary).toMatchObject({ customers: 1, paying: 1, stageChanges: 1 });
      expect(typeof summary.timings.total).toBe('number');

      expect((await getJson(`${service.url}/api/scores/h1`)).body).toMatchObject({ tier: 'key', r: 1, f: 1, m: 1, monetary: '88.00', frequency: 1, stage: 'growing' });
      expect((await getJson(`${service.url}/api/scores/nobody`)).status).toBe(404);
      expect((await getJson(`${service.url}/api/stages/funnel`)).body.stages).toContainEqual({ stage: 'growing', customers: 1 });
      expect((await getJson(`${service.url}/api/stages/rules`)).body).toMatchObject({ dormantDays: 90, churnedDays: 180 });
      const put = await fetch(`${service.url}/api/stages/rules`, {
        method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ dormantDays: 30, churnedDays: 20 }),
      });
      expect(put.status).toBe(400);
      const ok = await fetch(`${service.url}/api/stages/rules`, {
        method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ dormantDays: 30, churnedDays: 60 }),
      });
      expect(ok.status).toBe(200);
      expect((await getJson(`${service.url}/api/stages/rules`)).body).toMatchObject({ dormantDays: 30, churnedDays: 60 });
      expect((await getJson(`${service.url}/api/warnings?tier=key`)).body).toEqual({ items: [], nextBefore: null });
      expect((await getJson(`${service.url}/api/warnings?kind=bogus`)).status).toBe(400);
      const resolve = (id: string, body: unknown) => fetch(`${service.url}/api/warnings/${id}/resolve`, {
        method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      expect((await resolve('999999999', {})).status).toBe(404);
      expect((await resolve('abc', {})).status).toBe(400);
      expect((await resolve('1', { resolution: 7 })).status).toBe(400);
    } finally {
      await service.stop();
    }
  });
});

describe('auto-tags', () => {
  it('adds a corp tag in WeCom via mark_tag when the rule holds, and mirrors it in the ledger', async () => {
    const w = await startWorld(database);
    try {
      await syncNow(w);
      const corp = w.corpId;
      const [target] = rowsOf<{ id: string; user_id: string; external_user_id: string }>(await db.execute(sql`
        select r.id, r.user_id, r.external_user_id from relations r where r.corp_id = ${corp} and r.status = 'active' order by r.id limit 1`));
      const [tag] = rowsOf<{ tag_id: string }>(await db.execute(sql`
        select t.tag_id from tags t where t.corp_id = ${corp} and t.deleted_at is null
          and not exists (select 1 from relation_tags rt where rt.relation_id = ${target!.id} and rt.tag_id = t.tag_id)
        order by t.tag_id limit 1`));
      await order(corp, target!.external_user_id, 5000, new Date(Date.now() - DAY));

      await expect(createAutoTagRule(db, corpScope(corp), { name: 'bad', rule: { orderCount: { gte: 'x' } }, tagId: tag!.tag_id, action: 'add' }))
        .rejects.toMatchObject({ status: 400 });
      const res = await fetch(`${w.service.url}/api/auto-tag-rules`, {
        method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'buyers', rule: { orderCount: { gte: 1 } }, tagId: tag!.tag_id, action: 'add' }),
      });
      expect(res.status).toBe(201);
      expect((await getJson(`${w.service.url}/api/auto-tag-rules`)).body.items).toHaveLength(1);

      const summary = await recomputeArchive(db, corpScope(corp), new Date());
      expect(summary.autoTags).toEqual({ rules: 1, changes: 1 });
      // Pending changes are not queued twice.
      expect((await recomputeArchive(db, corpScope(corp), new Date())).autoTags.changes).toBe(0);

      // The service's own outbox worker mirrors it (a second worker here would only race it for the claim).
      w.service.tagChanges.wake();
      await eventually(async () => w.sim.truth().relations
        .find((r) => r.userid === target!.user_id && r.external_userid === target!.external_user_id)!.tag_ids.includes(tag!.tag_id));
      await eventually(async () => (await count(sql`select count(*)::int as n from relation_tags where relation_id = ${target!.id} and tag_id = ${tag!.tag_id}`)) === 1);
      expect(await count(sql`select count(*)::int as n from tag_changes where corp_id = ${corp} and status = 'done' and done_at is not null`)).toBe(1);
      // Now the relation has the tag: nothing more to do.
      expect((await recomputeArchive(db, corpScope(corp), new Date())).autoTags.changes).toBe(0);
    } finally {
      await w.close();
    }
  });
});
