import { sql } from 'drizzle-orm';
import { textArray } from '../../src/db/bulk';
import { rowsOf } from '../../src/db/connection';
import { campaignSettings, dispatchNextBatch, pollResultsOnce, remindUnconfirmed } from '../../src/touchpoints/campaigns';
import { getTestDb } from '../helpers/db';
import { auth, eventually, getJson } from '../helpers/service';
import { settle, startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

const q = async <T = any>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));
/** No quiet hours unless a test wants them (tests run at any hour); results polled every second. */
const env = { WECOM_CALLBACK_MAX_SKEW_S: '0', CAMPAIGN_QUIET_HOURS: '', CAMPAIGN_RESULTS_POLL_S: '1' };

async function call(w: TestWorld, method: string, path: string, body?: unknown) {
  const res = await fetch(`${w.service.url}${path}`, {
    method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const post = (w: TestWorld, path: string, body?: unknown) => call(w, 'POST', path, body ?? {});

/** Live customer-contact reps and, per customer, their live relations in the simulator. */
function truthOf(w: TestWorld) {
  const t = w.sim.truth();
  const live = new Set(t.employees.filter((e) => e.customerContact && e.leftAt === undefined).map((e) => e.userid));
  const owners = new Map<string, Array<{ userid: string; createtime: number }>>();
  for (const r of t.relations) if (live.has(r.userid)) owners.set(r.external_userid, [...(owners.get(r.external_userid) ?? []), { userid: r.userid, createtime: r.createtime }]);
  return { t, live, owners };
}

async function waitForRun(w: TestWorld, id: number, statuses = ['waiting', 'completed']) {
  return eventually(async () => {
    const { body } = await getJson(`${w.service.url}/api/campaigns/${id}/runs`);
    const run = body.items[0];
    return run && statuses.includes(run.status) ? run : undefined;
  }, 30_000);
}

async function allDeliveries(w: TestWorld, id: number, status?: string) {
  const out: any[] = [];
  let after = 0;
  for (;;) {
    const { body } = await getJson(`${w.service.url}/api/campaigns/${id}/deliveries?limit=1000&after=${after}${status ? `&status=${status}` : ''}`);
    out.push(...body.items);
    if (!body.nextAfter) return out;
    after = body.nextAfter;
  }
}

/** The msgids our batches recorded for a campaign. */
const msgidsOf = (campaignId: number) => q<{ msgid: string; sender: string; recipients: number }>(sql`
  select msgid, sender, recipients from campaign_batches where campaign_id = ${campaignId} and msgid is not null order by id`);

describe('a push to a segment', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 101, env });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 0 });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('reaches every customer once, from the owner added most recently, rendered per sender, to final statuses', async () => {
    const { owners } = truthOf(w);
    const shared = [...owners].filter(([, os]) => os.length >= 2);
    expect(shared.length).toBeGreaterThan(0); // the seed gives customers with two reps

    const created = await post(w, '/api/campaigns', {
      name: 'Spring catalogue', kind: 'push', audience: { type: 'rule', rule: { all: [] } },
      content: { type: 'inline', text: 'Hello, this is {{rep.name}} — our spring catalogue is out.' },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', kind: 'push', ownerRule: 'recent_added' });
    const id = created.body.id;

    const preview = await post(w, `/api/campaigns/${id}/preview`);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ targeted: owners.size, willSend: owners.size, skipped: {} });

    expect((await post(w, `/api/campaigns/${id}/schedule`)).body.status).toBe('active');
    const run = await waitForRun(w, id);
    expect(run.summary).toMatchObject({ targeted: owners.size, planned: owners.size });

    // WeCom got one task per sender (each ≤10,000 recipients), each customer in exactly one, from the chosen owner.
    const batches = await eventually(async () => {
      const b = await msgidsOf(id);
      return b.length === run.summary.batches ? b : undefined;
    });
    const calls = w.sim.massTemplateCallsBySender();
    for (const b of batches) expect(calls[b.sender]).toBe(1);
    const sentTo = new Map<string, string[]>();
    for (const b of batches) {
      const m = w.sim.massMessage(b.msgid)!;
      expect(m.senders.map((s) => s.userid)).toEqual([b.sender]);
      for (const r of m.senders[0]!.recipients ?? []) sentTo.set(r.id, [...(sentTo.get(r.id) ?? []), b.sender]);
    }
    expect(sentTo.size).toBe(owners.size);
    for (const [customer, os] of owners) {
      const latest = [...os].sort((a, b) => b.createtime - a.createtime || (a.userid < b.userid ? 1 : -1))[0]!;
      expect(sentTo.get(customer)).toEqual([latest.userid]);
    }
    // Rendered per sender: the rep's own name.
    const someBatch = batches[0]!;
    const rep = w.sim.truth().employees.find((e) => e.userid === someBatch.sender)!;
    const [stored] = await q<{ text: string }>(sql`select text from campaign_batches where campaign_id = ${id} and sender = ${someBatch.sender}`);
    expect(stored!.text).toBe(`Hello, this is ${rep.name} — our spring catalogue is out.`);

    // Reps confirm (delay 0): the poller records every recipient as sent and completes the run.
    await eventually(async () => (await waitForRun(w, id, ['completed'])) as unknown, 20_000);
    const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${id}/stats`);
    expect(stats).toMatchObject({ targeted: owners.size, dispatched: owners.size, sent: owners.size, unconfirmed: 0, capped: {}, batches: batches.length });
    for (const customer of owners.keys()) expect(w.sim.massReceivedCount(customer)).toBe(1);

    // Effect: a paid order within CAMPAIGN_EFFECT_DAYS of the send counts, one 10 days later does not.
    const [buyer, late] = [...owners.keys()];
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
    expect((await post(w, '/api/orders', [
      { externalOrderId: 'bench-o1', externalUserId: buyer, amount: '88.00', orderedAt: inDays(0.1) },
      { externalOrderId: 'bench-o2', externalUserId: late, amount: '12.00', orderedAt: inDays(10) },
    ])).status).toBe(200);
    const { body: after } = await getJson(`${w.service.url}/api/campaigns/${id}/stats`);
    expect(after.effect).toMatchObject({ days: 7, touched: owners.size, ordered: 1, orders: 1, revenue: '88.00' });

    // The customer's timeline shows the push they received.
    const customer = [...owners.keys()][0]!;
    const { body: timeline } = await getJson(`${w.service.url}/api/contacts/${customer}/timeline?limit=50`);
    expect(timeline.items).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'touchpoint', kind: 'push', detail: expect.objectContaining({ campaignId: id }) })]));
  });

  it('rejects a per-customer variable in a push with a 400 naming it, and wrong-state changes with 409', async () => {
    const bad = await post(w, '/api/campaigns', {
      name: 'Personal', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'Dear {{customer.name}}' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_content', message: expect.stringContaining('{{customer.name}}') });
    const noAudience = await post(w, '/api/campaigns', {
      name: 'x', kind: 'push', audience: { type: 'segment', segmentId: 999999 }, content: { type: 'inline', text: 'hi' },
    });
    expect(noAudience.status).toBe(404);
    const badCron = await post(w, '/api/campaigns', {
      name: 'x', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'hi' }, schedule: { type: 'cron', cron: '0 0 9 * * 1' },
    });
    expect(badCron.body.error).toMatchObject({ code: 'invalid_schedule', message: expect.stringMatching(/five fields/) });
    const groupsToCustomers = await post(w, '/api/campaigns', {
      name: 'x', kind: 'group_post', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'hi' },
    });
    expect(groupsToCustomers.status).toBe(400);

    const ok = await post(w, '/api/campaigns', {
      name: 'Later', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'hi from {{rep.name}}' },
      schedule: { type: 'cron', cron: '0 9 * * 1' },
    });
    expect(ok.status).toBe(201);
    expect((await post(w, `/api/campaigns/${ok.body.id}/pause`)).status).toBe(409);
    expect((await post(w, `/api/campaigns/${ok.body.id}/schedule`)).body.status).toBe('active');
    expect((await call(w, 'PUT', `/api/campaigns/${ok.body.id}`, { name: 'Renamed' })).status).toBe(409);
    expect((await post(w, `/api/campaigns/${ok.body.id}/pause`)).body.status).toBe('paused');
    expect((await call(w, 'PUT', `/api/campaigns/${ok.body.id}`, { name: 'Renamed' })).body.name).toBe('Renamed');
    expect((await post(w, `/api/campaigns/${ok.body.id}/resume`)).body.status).toBe('active');
    expect((await post(w, `/api/campaigns/${ok.body.id}/cancel`)).body.status).toBe('cancelled');
    expect((await call(w, 'DELETE', `/api/campaigns/${ok.body.id}`)).status).toBe(409);
    // The other owner rules plan the same audience (one owner each), chosen differently.
    const { owners } = truthOf(w);
    for (const ownerRule of ['earliest_added', 'recent_interaction']) {
      const other = await post(w, '/api/campaigns', { name: ownerRule, kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'hi' }, ownerRule });
      const { body: p } = await post(w, `/api/campaigns/${other.body.id}/preview`);
      expect(p.targeted).toBe(owners.size);
      if (ownerRule === 'earliest_added') {
        for (const x of p.sample) {
          const earliest = [...owners.get(x.recipientId)!].sort((a, b) => a.createtime - b.createtime || (a.userid < b.userid ? -1 : 1))[0]!;
          expect(x.sender).toBe(earliest.userid);
        }
      }
    }
    const { body: doc } = await getJson(`${w.service.url}/api/openapi.json`);
    for (const p of ['/api/campaigns', '/api/campaigns/{id}/preview', '/api/campaigns/{id}/deliveries', '/api/campaigns/{id}/stats', '/api/campaigns/{id}/runs']) {
      expect(doc.paths[p]).toBeDefined();
    }
  });
});

describe('pause and cancel', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 113, env: { ...env, CAMPAIGN_FREQUENCY_CAP: '0' } });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 3600 });
    await syncNow(w);
    await w.service.campaignDispatcher.stop(); // dispatched by hand
  });
  afterAll(() => w.close());

  it('pause holds undispatched batches; cancel ends the rest and cancels in WeCom what reps have not sent', async () => {
    const settings = campaignSettings(w.config);
    const deps = { db: database.db, client: w.service.client, corpId: w.corpId, owner: 'hand', settings };
    const c = await post(w, '/api/campaigns', {
      name: 'Stoppable', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'Maybe' },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const run = await waitForRun(w, c.body.id, ['dispatching']);
    expect(run.summary.batches).toBeGreaterThan(3);

    expect((await post(w, `/api/campaigns/${c.body.id}/pause`)).body.status).toBe('paused');
    expect(await dispatchNextBatch(deps, new Date())).toBe(0);
    expect(w.sim.calls.count('externalcontact/add_msg_template')).toBe(0);

    expect((await post(w, `/api/campaigns/${c.body.id}/resume`)).body.status).toBe('active');
    expect(await dispatchNextBatch(deps, new Date())).toBe(1);
    expect(await dispatchNextBatch(deps, new Date())).toBe(1);
    const sent = await msgidsOf(c.body.id);
    expect(sent).toHaveLength(2);

    // Another corp's delivery filed under one of this run's unsent batches: cancelling here must not reach it.
    await q(sql`insert into campaign_deliveries (corp_id, campaign_id, run_id, recipient_id, recipient_kind, sender, batch_no, status, planned_at)
      select 'corp-other', campaign_id, run_id, 'wmOTHERCORP', 'customer', sender, batch_no, 'planned', now() from campaign_batches
      where campaign_id = ${c.body.id} and status = 'pending' and msgid is null order by id limit 1`);
    expect((await post(w, `/api/campaigns/${c.body.id}/cancel`)).body.status).toBe('cancelled');
    expect(await q(sql`select status from campaign_deliveries where corp_id = 'corp-other'`)).toEqual([{ status: 'planned' }]);
    await q(sql`delete from campaign_deliveries where corp_id = 'corp-other'`);
    expect(await dispatchNextBatch(deps, new Date())).toBe(0);
    // The poller reads the two WeCom tasks once more, then cancels them: nobody had sent.
    await eventually(async () => (await q(sql`select 1 from campaign_batches where campaign_id = ${c.body.id} and status in ('pending', 'sending', 'waiting')`)).length === 0, 15_000);
    for (const b of sent) expect(w.sim.massMessage(b.msgid)!.cancelled).toBe(true);
    expect(w.sim.calls.count('externalcontact/add_msg_template')).toBe(2);
    const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${c.body.id}/stats`);
    expect(stats).toMatchObject({ cancelled: stats.targeted, sent: 0, unconfirmed: 0, planned: 0 });
    expect((await getJson(`${w.service.url}/api/campaigns/${c.body.id}/runs`)).body.items[0].status).toBe('completed');
  });

  it('a template changed to a per-customer variable after scheduling: later batches are refused, not sent with a blank name', async () => {
    const settings = campaignSettings(w.config);
    const deps = { db: database.db, client: w.service.client, corpId: w.corpId, owner: 'hand', settings };
    const tpl = await post(w, '/api/templates', { name: 'Autumn', kind: 'message', text: 'Autumn news from {{rep.name}}' });
    expect(tpl.status).toBe(201);
    const c = await post(w, '/api/campaigns', {
      name: 'Templated', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'template', templateId: tpl.body.id },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    expect(c.status).toBe(201);
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const run = await waitForRun(w, c.body.id, ['dispatching']);
    const before = w.sim.calls.count('externalcontact/add_msg_template');
    expect(await dispatchNextBatch(deps, new Date())).toBe(1);
    const [first] = await msgidsOf(c.body.id);
    const rep = w.sim.truth().employees.find((e) => e.userid === first!.sender)!;
    expect(w.sim.massMessage(first!.msgid)).toBeDefined();
    expect((await q<{ text: string }>(sql`select text from campaign_batches where msgid = ${first!.msgid}`))[0]!.text).toBe(`Autumn news from ${rep.name}`);

    expect((await call(w, 'PATCH', `/api/templates/${tpl.body.id}`, { text: 'Dear {{customer.name}}, autumn news' })).status).toBe(200);
    while ((await dispatchNextBatch(deps, new Date())) > 0);
    expect(w.sim.calls.count('externalcontact/add_msg_template') - before).toBe(1);
    const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${c.body.id}/stats`);
    expect(stats.failed.batch_refused).toBe(run.summary.planned - first!.recipients);
    const refused = await q<{ last_error: string }>(sql`select last_error from campaign_batches where campaign_id = ${c.body.id} and status = 'failed'`);
    expect(refused.length).toBe(run.summary.batches - 1);
    expect(refused[0]!.last_error).toMatch(/customer\.name/);
  });
});

describe('caps: our frequency cap and WeCom\'s receive limit, shown before dispatch', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 103, env: { ...env, WECOM_MASS_RECEIVE_RULE: 'day_1', CAMPAIGN_FREQUENCY_CAP: '2', CAMPAIGN_FREQUENCY_DAYS: '7' } });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 0, massReceiveRule: 'day1' });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('preview counts who is skipped and why; the run skips exactly them and WeCom never sees them', async () => {
    const { owners } = truthOf(w);
    const customers = [...owners.keys()].sort();
    const todays = customers.slice(0, 40);
    const busy = customers.slice(40, 70);

    // Earlier pushes, planted as deliveries of a finished campaign: `todays` received one minutes ago (WeCom's 1-per-day rule is used up).
    const { id: pastCampaign } = (await q<{ id: number }>(sql`
      insert into campaigns (corp_id, name, kind, status, audience, content, timezone, created_by)
      values (${w.corpId}, 'Earlier', 'push', 'completed', '{"type":"rule","rule":{"all":[]}}', '{"type":"inline","text":"x","attachments":[]}', 'Asia/Shanghai', 'test')
      returning id`))[0]!;
    const plant = async (ids: string[], at: string, runKey: string) => {
      const { id: runId } = (await q<{ id: number }>(sql`insert into campaign_runs (corp_id, campaign_id, scheduled_at, status)
        values (${w.corpId}, ${pastCampaign}, ${at}::timestamptz + ${runKey}::interval, 'completed') returning id`))[0]!;
      await database.db.execute(sql`insert into campaign_deliveries (corp_id, campaign_id, run_id, recipient_id, recipient_kind, sender, status, planned_at, sent_at)
        select ${w.corpId}, ${pastCampaign}, ${runId}, x, 'customer', 'someone', 'sent', ${at}::timestamptz, ${at}::timestamptz from unnest(${textArray(ids)}) x`);
    };
    await plant(todays, new Date(Date.now() - 60_000).toISOString(), '0 seconds');
    // `busy` got two pushes in the last week (days ago, so not today): our cap of 2 per 7 days is reached.
    await plant(busy, new Date(Date.now() - 3 * 86_400_000).toISOString(), '0 seconds');
    await plant(busy, new Date(Date.now() - 4 * 86_400_000).toISOString(), '1 second');

    // A rep's own mass message from the client today (we cannot know it): WeCom will refuse ours to that customer as over the limit.
    const personal = customers[customers.length - 1]!;
    w.sim.repCreatesMassMessage({ userid: owners.get(personal)![0]!.userid, externalUserIds: [personal], text: 'personal note' });

    const c = await post(w, '/api/campaigns', {
      name: 'Noon', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'Lunch offer' },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    const { body: preview } = await post(w, `/api/campaigns/${c.body.id}/preview`);
    expect(preview).toMatchObject({
      targeted: customers.length, willSend: customers.length - todays.length - busy.length,
      skipped: { receive_limit: todays.length, frequency_cap: busy.length },
    });
    const sampled = preview.sample.filter((s: any) => s.reason);
    expect(sampled.filter((s: any) => s.reason === 'receive_limit').every((s: any) => todays.includes(s.recipientId))).toBe(true);
    expect(sampled.filter((s: any) => s.reason === 'frequency_cap').every((s: any) => busy.includes(s.recipientId))).toBe(true);
    expect(sampled.length).toBe(10);

    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const run = await waitForRun(w, c.body.id);
    expect(run.summary.skipped).toEqual({ receive_limit: todays.length, frequency_cap: busy.length });
    const skipped = await allDeliveries(w, c.body.id, 'skipped');
    expect(skipped.filter((d) => d.reason === 'receive_limit').map((d) => d.recipientId).sort()).toEqual(todays);
    expect(skipped.filter((d) => d.reason === 'frequency_cap').map((d) => d.recipientId).sort()).toEqual(busy);
    await eventually(async () => (await msgidsOf(c.body.id)).length === run.summary.batches);
    for (const b of await msgidsOf(c.body.id)) {
      const recipients = w.sim.massMessage(b.msgid)!.senders[0]!.recipients!.map((r) => r.id);
      expect(recipients.filter((r) => todays.includes(r) || busy.includes(r))).toEqual([]);
    }
    // Reps confirm at once; the poller records WeCom's verdicts: the customer over the limit is status 3.
    const final = await eventually(async () => {
      const { body } = await getJson(`${w.service.url}/api/campaigns/${c.body.id}/stats`);
      return body.unconfirmed === 0 && body.planned === 0 ? body : undefined;
    }, 20_000);
    expect(final.capped).toEqual({ receive_limit: todays.length, frequency_cap: busy.length });
    expect(final.overLimit).toBe(1);
    expect(final.sent).toBe(customers.length - todays.length - busy.length - 1);
    expect((await allDeliveries(w, c.body.id, 'over_limit')).map((d) => d.recipientId)).toEqual([personal]);
  });
});

describe('results when reps do not all confirm, and reminders', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 107, env: { ...env, CAMPAIGN_REMIND_AFTER_S: '3600', CAMPAIGN_CONFIRM_WINDOW_H: '48' } });
    await syncNow(w);
    await w.service.campaignPoller.stop(); // polled by hand with a moving clock
  });
  afterAll(() => w.close());

  it('polls to final per-recipient statuses with confirm rate < 1; reminds the unconfirmed at most 3 times a day', async () => {
    w.sim.configure({ massConfirmRate: 0.5, massConfirmDelaySeconds: 600 });
    const c = await post(w, '/api/campaigns', {
      name: 'Half', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'New arrivals' },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const run = await waitForRun(w, c.body.id);
    const batches = await eventually(async () => {
      const b = await msgidsOf(c.body.id);
      return b.length === run.summary.batches ? b : undefined;
    });
    expect(batches.length).toBeGreaterThan(3);
    // One recipient left the rep before the rep sends: WeCom reports "not a friend".
    const m0 = w.sim.massMessage(batches[0]!.msgid)!;
    const leaving = m0.senders[0]!.recipients![0]!.id;
    w.sim.customerDeletesRep({ userid: batches[0]!.sender, externalUserId: leaving });

    const settings = campaignSettings(w.config);
    const deps = { db: database.db, client: w.service.client, corpId: w.corpId, owner: 'test-poller', settings };
    const t0 = Date.now();
    const at = (ms: number) => new Date(t0 + ms);
    const due = () => database.db.execute(sql`update campaign_batches set available_at = now() where campaign_id = ${c.body.id} and status = 'waiting'`);

    // Before the delay nobody has confirmed; after an hour every unconfirmed sender is reminded, once.
    await due();
    await pollResultsOnce({ ...deps, limit: 100 }, at(0));
    expect(await remindUnconfirmed(deps, at(30 * 60_000))).toBe(0);
    expect(await remindUnconfirmed(deps, at(3600_000 + 1000))).toBe(batches.length);
    expect(await remindUnconfirmed(deps, at(3600_000 + 2000))).toBe(0);

    // The reps' delay passes in WeCom: about half confirm.
    w.sim.advanceTime(601_000);
    await due();
    await pollResultsOnce({ ...deps, limit: 100 }, at(2 * 3600_000));
    const confirmed = (await q<{ id: number }>(sql`select id from campaign_batches where campaign_id = ${c.body.id} and sender_sent_at is not null`)).length;
    expect(confirmed).toBeGreaterThan(0);
    expect(confirmed).toBeLessThan(batches.length);
    // Reminders go on every hour for those who still have not sent, 3 per 24 h at most (WeCom's cap, never hit).
    for (let h = 3; h <= 8; h++) await remindUnconfirmed(deps, at(h * 3600_000 + 3000));
    const unconfirmedMsgids = (await q<{ msgid: string }>(sql`select msgid from campaign_batches where campaign_id = ${c.body.id} and sender_sent_at is null`)).map((r) => r.msgid);
    for (const msgid of unconfirmedMsgids) expect(w.sim.calls.count('externalcontact/remind_groupmsg_send', msgid)).toBe(3);
    const { n: recorded } = (await q<{ n: number }>(sql`select count(*)::int as n from campaign_reminders r join campaign_batches b on b.id = r.batch_id
      where b.campaign_id = ${c.body.id} and r.status = 'ok'`))[0]!;
    expect(recorded).toBe(w.sim.calls.count('externalcontact/remind_groupmsg_send'));

    // Past the confirmation window the rest is cancelled in WeCom and recorded as unsent: every delivery is final.
    await due();
    await pollResultsOnce({ ...deps, limit: 100 }, at(49 * 3600_000));
    const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${c.body.id}/stats`);
    expect(stats.unconfirmed).toBe(0);
    expect(stats.sent + stats.unsent + stats.notFriend + stats.overLimit + (stats.failed.not_sendable ?? 0)).toBe(stats.targeted);
    expect(stats.sent).toBeGreaterThan(0);
    expect(stats.unsent).toBeGreaterThan(0);
    for (const msgid of unconfirmedMsgids) expect(w.sim.massMessage(msgid)!.cancelled).toBe(true);
    const sentByUs = new Set((await allDeliveries(w, c.body.id, 'sent')).map((d) => d.recipientId));
    for (const b of batches) {
      for (const r of w.sim.massMessage(b.msgid)!.senders[0]!.recipients!) expect(sentByUs.has(r.id)).toBe(r.status === 1);
    }
    const leaver = (await allDeliveries(w, c.body.id)).find((d) => d.recipientId === leaving)!;
    expect(leaver.status).toBe(confirmed && w.sim.massMessage(batches[0]!.msgid)!.senders[0]!.status === 2 ? 'not_friend' : 'unsent');
    const { body: runs } = await getJson(`${w.service.url}/api/campaigns/${c.body.id}/runs`);
    expect(runs.items[0].status).toBe('completed');
  });
});

describe('group posts and rep tasks', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 109, counts: { groups: 20 }, env });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 0 });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('posts to every live group once, each task sent by the group owner', async () => {
    const t = w.sim.truth();
    const live = new Set(t.employees.filter((e) => e.customerContact && e.leftAt === undefined).map((e) => e.userid));
    const groups = t.groups.filter((g) => !g.dismissed && live.has(g.owner));
    const c = await post(w, '/api/campaigns', {
      name: 'Newsletter', kind: 'group_post', audience: { type: 'groups' }, content: { type: 'inline', text: 'This week in the community' },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    expect(c.status).toBe(201);
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const run = await waitForRun(w, c.body.id);
    expect(run.summary).toMatchObject({ targeted: groups.length, planned: groups.length, senders: new Set(groups.map((g) => g.owner)).size });
    const batches = await eventually(async () => {
      const b = await msgidsOf(c.body.id);
      return b.length === run.summary.senders ? b : undefined;
    });
    for (const b of batches) {
      const m = w.sim.massMessage(b.msgid)!;
      expect(m.chat_type).toBe('group');
      expect(m.senders[0]!.recipients!.map((r) => r.id).sort()).toEqual(groups.filter((g) => g.owner === b.sender).map((g) => g.chat_id).sort());
    }
    await waitForRun(w, c.body.id, ['completed']);
    for (const g of groups) expect(w.sim.massReceivedCount(g.chat_id)).toBe(1);
  });

  it('sends each rep one app message listing whom to contact, with the suggested message', async () => {
    const { owners } = truthOf(w);
    const c = await post(w, '/api/campaigns', {
      name: 'Call your VIPs', kind: 'rep_task', audience: { type: 'rule', rule: { all: [] } },
      content: { type: 'inline', text: 'Hi {{customer.name}}, just checking in.' }, schedule: { type: 'once', at: new Date().toISOString() },
    });
    expect(c.status).toBe(201); // customer variables are fine in a suggestion
    const before = w.sim.appMessages.length;
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const run = await waitForRun(w, c.body.id, ['completed']);
    await settle(w);
    const mine = w.sim.appMessages.slice(before).filter((m) => JSON.stringify(m.body).includes('Call your VIPs'));
    expect(mine).toHaveLength(run.summary.senders);
    const deliveries = await allDeliveries(w, c.body.id);
    expect(deliveries).toHaveLength(owners.size);
    expect(deliveries.every((d) => d.status === 'notified')).toBe(true);
    for (const m of mine) {
      expect(m.touser).toHaveLength(1);
      const text = (m.body as any).text.content as string;
      const rep = m.touser[0]!;
      const theirs = deliveries.filter((d) => d.sender === rep);
      expect(text).toContain(`请联系以下 ${theirs.length} 位客户`);
      expect(text).toContain('{{customer.name}}');
      if (theirs[0]!.name) expect(text).toContain(theirs[0]!.name);
    }
    expect(await msgidsOf(c.body.id)).toEqual([]); // no WeCom mass message for tasks
  });
});
