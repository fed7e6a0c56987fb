import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import {
  campaignSettings, dispatchNextBatch, localParts, materialiseOccurrences, planNextRun, previewCampaign, renderForSender, type CampaignSettings, type Content,
} from '../../src/touchpoints/campaigns';
import { getTestDb, openSecondConnection } from '../helpers/db';
import { auth, eventually, getJson, startTestService } from '../helpers/service';
import { startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

const q = async <T = any>(query: ReturnType<typeof sql>, db: Database = database) => rowsOf<T>(await db.db.execute(query));
const env = { WECOM_CALLBACK_MAX_SKEW_S: '0', CAMPAIGN_QUIET_HOURS: '', CAMPAIGN_RESULTS_POLL_S: '1' };

async function post(w: TestWorld, p: string, body: unknown = {}) {
  const res = await fetch(`${w.service.url}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

/** A push to every customer, once, now — created and scheduled through the API. */
async function pushNow(w: TestWorld, name: string, text = `${name} from {{rep.name}}`) {
  const c = await post(w, '/api/campaigns', {
    name, kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text }, schedule: { type: 'once', at: new Date().toISOString() },
  });
  expect(c.status).toBe(201);
  expect((await post(w, `/api/campaigns/${c.body.id}/schedule`)).status).toBe(200);
  return c.body.id as number;
}

const batchesOf = (id: number) => q<{ id: number; sender: string; status: string; msgid: string | null; msgid_source: string | null; recipients: number }>(sql`
  select id, sender, status, msgid, msgid_source, recipients from campaign_batches where campaign_id = ${id} order by id`);

/** Every sender confirms every task of the campaign; returns per-customer received counts from the simulator. */
async function confirmAll(w: TestWorld, id: number) {
  for (const b of await batchesOf(id)) if (b.msgid) w.sim.confirmMassMessage(b.msgid);
}

function liveCustomers(w: TestWorld): string[] {
  const t = w.sim.truth();
  const live = new Set(t.employees.filter((e) => e.customerContact && e.leftAt === undefined).map((e) => e.userid));
  return [...new Set(t.relations.filter((r) => live.has(r.userid)).map((r) => r.external_userid))];
}

async function dispatchAll(w: TestWorld, owner: string, s: CampaignSettings, db: Database = database) {
  const deps = { db: db.db, client: w.service.client, corpId: w.corpId, owner, settings: s, unsureDelaySeconds: 0 };
  let n = 0;
  while ((await dispatchNextBatch(deps, new Date())) > 0) n++;
  return n;
}

describe('two instances on one database', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 201, counts: { customers: 400 }, env });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 3600 });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('racing schedulers, planners and dispatchers: each occurrence runs once, each customer gets one task', async () => {
    const other = await openSecondConnection(database.url);
    // The twin is a full second instance (its own workers) on the same database.
    const twin = await startTestService(other, w.config, { wecom: { timeoutMs: 3000 } });
    try {
      for (const s of [w.service, twin]) await s.campaignScheduler.stop();
      const id = await pushNow(w, 'Race');
      const s = campaignSettings(w.config);
      const now = new Date();
      // Both tick at once, several times.
      const made = await Promise.all([0, 1, 2].flatMap(() => [database, other].map((db) => materialiseOccurrences(db.db, w.corpId, now, s))));
      expect(made.reduce((a, b) => a + b, 0)).toBe(1);
      // Both plan at once: one wins the run, the other finds nothing.
      const planned = await Promise.all([database, other].map((db, i) => planNextRun(db.db, w.corpId, `planner-${i}`, new Date(), s)));
      expect(planned.sort()).toEqual([0, 1]);
      // Both instances' dispatchers (running workers) and two more by hand race over the batches.
      w.service.campaignDispatcher.wake();
      twin.campaignDispatcher.wake();
      await Promise.all([dispatchAll(w, 'hand-a', s), dispatchAll(w, 'hand-b', s, other)]);
      const batches = await eventually(async () => {
        const b = await batchesOf(id);
        return b.every((x) => x.status === 'waiting') ? b : undefined;
      });
      const calls = w.sim.massTemplateCallsBySender();
      expect(w.sim.calls.count('externalcontact/add_msg_template')).toBe(batches.length);
      for (const b of batches) expect(calls[b.sender]).toBe(1);
      expect(await q(sql`select count(*)::int as n from campaign_runs where campaign_id = ${id}`)).toEqual([{ n: 1 }]);
      await confirmAll(w, id);
      for (const c of liveCustomers(w)) expect(w.sim.massReceivedCount(c)).toBe(1);
      expect(w.sim.massReceivedCounts(2)).toEqual({});
    } finally {
      await twin.stop();
      await other.close();
    }
  });
});

describe('a crash between recording "sending" and the outcome', () => {
  let w: TestWorld;
  let s: CampaignSettings;
  beforeAll(async () => {
    // Several pushes to everyone here: our frequency cap is off (its own tests are in campaigns.test.ts).
    w = await startWorld(database, { seed: 203, counts: { customers: 400 }, env: { ...env, CAMPAIGN_FREQUENCY_CAP: '0' } });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 3600 });
    await syncNow(w);
    await w.service.campaignDispatcher.stop(); // the test plays the instances
    s = campaignSettings(w.config);
  });
  afterAll(() => w.close());

  it('a call WeCom accepted is found by the lookup, not sent again; one that never arrived is sent once', async () => {
    const id = await pushNow(w, 'Crash');
    await eventually(async () => (await batchesOf(id)).length > 3);
    const [a, b] = await batchesOf(id);
    const content: Content = { type: 'inline', text: 'Crash from {{rep.name}}', attachments: [] };
    const recipientsOf = async (batchId: number) => (await q<{ recipient_id: string }>(sql`
      select d.recipient_id from campaign_deliveries d join campaign_batches b on b.run_id = d.run_id and b.sender = d.sender and b.batch_no = d.batch_no
      where b.id = ${batchId} order by d.recipient_id`)).map((r) => r.recipient_id);

    // Instance A: recorded 'sending' with its rendered text, WeCom accepted the call, A died before recording the answer.
    const render = await renderForSender(database.db, w.service.client, w.corpId, content, a!.sender, new Date());
    await database.db.execute(sql`update campaign_batches set status = 'sending', attempts = 1, locked_by = 'instance-a', locked_until = now() - interval '1 second',
      sending_at = now(), text = ${render.text}, attachments = '[]'::jsonb where id = ${a!.id}`);
    const accepted = await w.service.client.messages.addMsgTemplate({ chat_type: 'single', sender: a!.sender, external_userid: await recipientsOf(a!.id), text: { content: render.text } });
    // Instance B: recorded 'sending', died before its call left the process.
    await database.db.execute(sql`update campaign_batches set status = 'sending', attempts = 1, locked_by = 'instance-b', locked_until = now() - interval '1 second',
      sending_at = now() where id = ${b!.id}`);

    // Instance C takes over.
    await dispatchAll(w, 'instance-c', s);
    const after = await batchesOf(id);
    expect(after.find((x) => x.id === a!.id)).toMatchObject({ status: 'waiting', msgid: accepted.msgid, msgid_source: 'lookup' });
    expect(after.find((x) => x.id === b!.id)).toMatchObject({ status: 'waiting', msgid_source: 'call' });
    expect(after.every((x) => x.status === 'waiting')).toBe(true);
    const calls = w.sim.massTemplateCallsBySender();
    for (const x of after) expect(calls[x.sender]).toBe(1);
    await confirmAll(w, id);
    for (const c of liveCustomers(w)) expect(w.sim.massReceivedCount(c)).toBe(1);
  });

  it('a call that timed out (WeCom created the task anyway) and one refused with a 5xx: looked up, then sent only what WeCom lacks', async () => {
    const received = new Map(liveCustomers(w).map((c) => [c, w.sim.massReceivedCount(c)]));
    const id = await pushNow(w, 'Flaky');
    await eventually(async () => (await batchesOf(id)).length > 3);
    const before = w.sim.calls.count('externalcontact/add_msg_template');
    // The first call answers after the client's 3 s timeout (WeCom still creates it); the second gets a 503 (nothing created).
    w.sim.injectFault({ api: 'externalcontact/add_msg_template', latencyMs: 3500, count: 1 });
    const deps = { db: database.db, client: w.service.client, corpId: w.corpId, owner: 'flaky', settings: s, unsureDelaySeconds: 0 };
    expect(await dispatchNextBatch(deps, new Date())).toBe(1);
    w.sim.injectFault({ api: 'externalcontact/add_msg_template', http5xx: 1 });
    expect(await dispatchNextBatch(deps, new Date())).toBe(1);
    const unsure = (await batchesOf(id)).filter((x) => x.status === 'sending');
    expect(unsure).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 800)); // the slow call lands in WeCom
    await dispatchAll(w, 'flaky-2', s);
    const after = await batchesOf(id);
    expect(after.every((x) => x.status === 'waiting')).toBe(true);
    expect(after.filter((x) => x.msgid_source === 'lookup')).toHaveLength(1);
    // Calls: one per batch, plus the one refused with a 503 (which created nothing).
    expect(w.sim.calls.count('externalcontact/add_msg_template') - before).toBe(after.length + 1);
    await confirmAll(w, id);
    for (const [c, n] of received) expect(w.sim.massReceivedCount(c)).toBe(n + 1);
  });

  it('a dispatcher process killed with SIGKILL mid-call: restarted work finds the task, nothing twice, nothing lost', async () => {
    const received = new Map(liveCustomers(w).map((c) => [c, w.sim.massReceivedCount(c)]));
    const id = await pushNow(w, 'Killed');
    await eventually(async () => (await batchesOf(id)).length > 3);
    const before = w.sim.calls.count('externalcontact/add_msg_template');
    w.sim.injectFault({ api: 'externalcontact/add_msg_template', latencyMs: 2000, count: 1 });
    // node itself with tsx's loader (not the tsx cli, which would run the script in a grandchild that SIGKILL does not reach).
    const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(__dirname, 'campaigns.crashChild.ts')], {
      env: { ...process.env, ...Object.fromEntries(Object.entries({
        WECOM_CORP_ID: w.corpId, WECOM_CALLBACK_TOKEN: w.config.callback.token, WECOM_CALLBACK_AES_KEY: w.config.callback.aesKey, ADMIN_TOKEN: 'x',
        WECOM_CONTACT_SECRET: w.config.WECOM_CONTACT_SECRET, WECOM_AGENT_SECRET: w.config.WECOM_AGENT_SECRET, WECOM_AGENT_ID: w.config.WECOM_AGENT_ID,
        CHILD_DATABASE_URL: database.url, CHILD_API_BASE: w.config.WECOM_API_BASE, CHILD_LEASE_S: '3', CAMPAIGN_QUIET_HOURS: '',
      }).map(([k, v]) => [k, String(v ?? '')])) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise((r) => child.once('exit', r));
    // The child's first call is in WeCom's hands (counted on arrival, answered 2 s later): kill it now.
    await eventually(async () => w.sim.calls.count('externalcontact/add_msg_template') > before || (stderr ? Promise.reject(new Error(stderr)) : false), 30_000, 20);
    child.kill('SIGKILL');
    await exited;
    const [inFlight] = (await batchesOf(id)).filter((x) => x.status === 'sending');
    expect(inFlight).toMatchObject({ msgid: null });
    await new Promise((r) => setTimeout(r, 3500)); // WeCom finishes the call; the child's lease runs out
    await dispatchAll(w, 'restarted', s);
    const after = await batchesOf(id);
    expect(after.every((x) => x.status === 'waiting')).toBe(true);
    expect(after.find((x) => x.id === inFlight!.id)).toMatchObject({ msgid_source: 'lookup' });
    expect(w.sim.calls.count('externalcontact/add_msg_template') - before).toBe(after.length);
    await confirmAll(w, id);
    for (const [c, n] of received) expect(w.sim.massReceivedCount(c)).toBe(n + 1);
  }, 90_000);
});

describe('scheduling: catch-up, missed occurrences, quiet hours', () => {
  let w: TestWorld;
  let s: CampaignSettings;
  const localHour = (msAgo: number) => localParts(new Date(Date.now() - msAgo), 'Asia/Shanghai').hour;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 207, env: { ...env, CAMPAIGN_CATCHUP_GRACE_H: '6', CAMPAIGN_FREQUENCY_CAP: '0' } });
    w.sim.configure({ massConfirmRate: 1, massConfirmDelaySeconds: 3600 });
    await syncNow(w);
    await w.service.campaignScheduler.stop();
    s = campaignSettings(w.config);
  });
  afterAll(() => w.close());

  async function cronCampaign(name: string, cron: string) {
    const c = await post(w, '/api/campaigns', { name, kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: name }, schedule: { type: 'cron', cron } });
    expect(c.status).toBe(201);
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    return c.body.id as number;
  }
  const runsOf = (id: number) => q<{ scheduled_at: Date; status: string; reason: string | null }>(sql`
    select scheduled_at, status, reason from campaign_runs where campaign_id = ${id} order by scheduled_at`);

  it('after downtime: the latest occurrence inside the grace window runs (in SCHEDULE_TZ), older ones are recorded missed', async () => {
    // Daily at the local hour 2 h ago (Asia/Shanghai), and at the local hour 8 h ago; the scheduler was down for a day and a half.
    const recent = await cronCampaign('Two hours late', `0 ${localHour(2 * 3600_000)} * * *`);
    const old = await cronCampaign('Eight hours late', `0 ${localHour(8 * 3600_000)} * * *`);
    const hourly = await cronCampaign('Hourly', '0 * * * *');
    await database.db.execute(sql`update campaigns set planned_through = now() - interval '36 hours' where id in (${recent}, ${old}, ${hourly})`);
    const now = new Date();
    // Two instances tick at once.
    await Promise.all([materialiseOccurrences(database.db, w.corpId, now, s), materialiseOccurrences(database.db, w.corpId, now, s)]);

    const r = await runsOf(recent);
    expect(r.map((x) => x.status)).toEqual(['missed', 'pending']);
    // 'H * * *' in Asia/Shanghai is (H − 8) UTC.
    const hit = new Date(r[1]!.scheduled_at);
    expect((hit.getUTCHours() + 8) % 24).toBe(localHour(2 * 3600_000));
    expect(Date.now() - hit.getTime()).toBeLessThan(3 * 3600_000);
    expect(r[0]!.reason).toMatch(/grace/);
    expect((await runsOf(old)).map((x) => x.status)).toEqual(['missed', 'missed']);
    const h = await runsOf(hourly);
    expect(h.filter((x) => x.status === 'pending')).toHaveLength(1);
    expect(h.at(-1)!.status).toBe('pending');
    expect(h.filter((x) => x.reason?.includes('superseded')).length).toBeGreaterThanOrEqual(4);
    expect(h.filter((x) => x.reason?.includes('grace')).length).toBeGreaterThanOrEqual(18);
    // Ticking again changes nothing.
    expect(await materialiseOccurrences(database.db, w.corpId, now, s)).toBe(0);

    // The caught-up runs are planned and dispatched; the missed ones never are.
    while ((await planNextRun(database.db, w.corpId, 'planner', new Date(), s)) > 0);
    await eventually(async () => {
      const rows = await q<{ status: string }>(sql`select status from campaign_runs where campaign_id in (${recent}, ${hourly}) and status <> 'missed'`);
      return rows.length === 2 && rows.every((x) => x.status === 'waiting');
    }, 20_000);
    expect(await q(sql`select count(*)::int as n from campaign_batches where campaign_id = ${old}`)).toEqual([{ n: 0 }]);
    for (const id of [recent, old, hourly]) await post(w, `/api/campaigns/${id}/cancel`);
  });

  it('quiet hours defer a run and its batches to their end — not dropped — and the preview says so', async () => {
    await w.service.campaignDispatcher.stop();
    // Quiet hours from an hour ago to an hour from now (local time).
    const nowLocal = localParts(new Date(), 'Asia/Shanghai');
    const quiet = { ...s, quietHours: { start: ((nowLocal.hour + 23) % 24) * 60 + nowLocal.minute, end: ((nowLocal.hour + 1) % 24) * 60 + nowLocal.minute } };
    const c = await post(w, '/api/campaigns', {
      name: 'Late night', kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: 'Late' },
      schedule: { type: 'once', at: new Date().toISOString() },
    });
    await post(w, `/api/campaigns/${c.body.id}/schedule`);
    const preview = await previewCampaign(database.db, corpScope(w.corpId), { kind: 'push', audience: { type: 'rule', rule: { all: [] } }, ownerRule: 'recent_added' }, new Date(), quiet);
    expect(Math.abs(preview.deferredUntil!.getTime() - (Date.now() + 3600_000))).toBeLessThan(120_000);
    const calls = w.sim.calls.count('externalcontact/add_msg_template');
    await materialiseOccurrences(database.db, w.corpId, new Date(), quiet);
    expect(await planNextRun(database.db, w.corpId, 'planner', new Date(), quiet)).toBe(1);
    const [run] = await q<{ status: string; deferred_until: Date; available_at: Date }>(sql`select status, deferred_until, available_at from campaign_runs where campaign_id = ${c.body.id}`);
    const end = Date.now() + 3600_000;
    expect(run!.status).toBe('pending');
    expect(Math.abs(new Date(run!.deferred_until).getTime() - end)).toBeLessThan(120_000);
    expect(new Date(run!.available_at).getTime()).toBe(new Date(run!.deferred_until).getTime());

    // Quiet hours end (settings without them stand for "later"): the run is planned; a dispatcher inside them holds the batches back.
    await database.db.execute(sql`update campaign_runs set available_at = now() where campaign_id = ${c.body.id}`);
    expect(await planNextRun(database.db, w.corpId, 'planner', new Date(), s)).toBe(1);
    expect(await dispatchNextBatch({ db: database.db, client: w.service.client, corpId: w.corpId, owner: 'd', settings: quiet }, new Date())).toBe(0);
    expect(w.sim.calls.count('externalcontact/add_msg_template')).toBe(calls);
    const held = await q<{ deferred_until: Date | null; available_at: Date }>(sql`select deferred_until, available_at from campaign_batches where campaign_id = ${c.body.id}`);
    expect(held.length).toBeGreaterThan(0);
    for (const b of held) expect(Math.abs(new Date(b.deferred_until!).getTime() - end)).toBeLessThan(120_000);
    await database.db.execute(sql`update campaign_batches set available_at = now() where campaign_id = ${c.body.id}`);
    while ((await dispatchNextBatch({ db: database.db, client: w.service.client, corpId: w.corpId, owner: 'd', settings: s }, new Date())) > 0);
    const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${c.body.id}/stats`);
    expect(stats.deferred).toBe(stats.targeted);
    expect(stats.dispatched).toBe(stats.targeted);
    expect(w.sim.calls.count('externalcontact/add_msg_template') - calls).toBe(stats.batches);
  });
});
