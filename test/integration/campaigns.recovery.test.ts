import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { createLogger } from '../../src/lib/logger';
import {
  campaignSettings, dispatchNextBatch, MAX_POLL_FAILURES, POLL_BACKOFF_CAP_S, pollResultsOnce, renderForSender, type CampaignSettings,
} from '../../src/touchpoints/campaigns';
import { createWeComClient } from '../../src/wecom/client';
import { getTestDb } from '../helpers/db';
import { auth, eventually, getJson } from '../helpers/service';
import { startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
let w: TestWorld;
let s: CampaignSettings;
beforeAll(async () => {
  database = await getTestDb();
  w = await startWorld(database, {
    seed: 303, counts: { customers: 90 },
    env: { WECOM_CALLBACK_MAX_SKEW_S: '0', CAMPAIGN_QUIET_HOURS: '', CAMPAIGN_RESULTS_POLL_S: '1', CAMPAIGN_FREQUENCY_CAP: '0' },
  });
  w.sim.configure({ massConfirmRate: 0 }); // nobody confirms: every task stays waiting
  await syncNow(w);
  // The test plays the dispatcher and the poller.
  await w.service.campaignDispatcher.stop();
  await w.service.campaignPoller.stop();
  s = campaignSettings(w.config);
});
afterAll(async () => {
  await w.close();
  await database.close();
});

const q = async <T = any>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));

async function post(p: string, body: unknown = {}) {
  const res = await fetch(`${w.service.url}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

/** A push to every customer, once, now; waits until it is planned. */
async function pushNow(name: string): Promise<number> {
  const c = await post('/api/campaigns', {
    name, kind: 'push', audience: { type: 'rule', rule: { all: [] } }, content: { type: 'inline', text: `${name} from {{rep.name}}` },
    schedule: { type: 'once', at: new Date().toISOString() },
  });
  expect(c.status).toBe(201);
  expect((await post(`/api/campaigns/${c.body.id}/schedule`)).status).toBe(200);
  await eventually(async () => (await batchesOf(c.body.id)).length > 1);
  return c.body.id as number;
}

type Batch = { id: number; sender: string; status: string; msgid: string | null; msgid_source: string | null; recipients: number; last_error: string | null };
const batchesOf = (campaignId: number) => q<Batch>(sql`
  select id::int, sender, status, msgid, msgid_source, recipients, last_error from campaign_batches where campaign_id = ${campaignId} order by id`);
const deliveriesOf = (batchId: number) => q<{ status: string; reason: string | null }>(sql`
  select d.status, d.reason from campaign_deliveries d join campaign_batches b on b.run_id = d.run_id and b.sender = d.sender and b.batch_no = d.batch_no
  where b.id = ${batchId}`);
const recipientsOf = async (batchId: number) => (await q<{ recipient_id: string }>(sql`
  select d.recipient_id from campaign_deliveries d join campaign_batches b on b.run_id = d.run_id and b.sender = d.sender and b.batch_no = d.batch_no
  where b.id = ${batchId} order by d.recipient_id`)).map((r) => r.recipient_id);

const deps = (over: Partial<Parameters<typeof dispatchNextBatch>[0]> = {}) => ({
  db: database.db, client: w.service.client, corpId: w.corpId, owner: 'test', settings: s, unsureDelaySeconds: 0, ...over,
});
async function dispatchAll(campaignId: number) {
  while ((await dispatchNextBatch(deps(), new Date())) > 0);
  const batches = await batchesOf(campaignId);
  expect(batches.every((b) => b.status === 'waiting')).toBe(true);
  return batches;
}

/** Batch `id` was marked `sending` with its rendered text (so a call may have reached WeCom), and is first in line to be claimed. */
async function crashedWhileSending(b: Batch, name: string, sendingAgo: string): Promise<string> {
  const render = await renderForSender(database.db, w.service.client, w.corpId, { type: 'inline', text: `${name} from {{rep.name}}`, attachments: [] }, b.sender, new Date());
  await database.db.execute(sql`update campaign_batches set status = 'sending', attempts = 1, locked_by = 'crashed', locked_until = now() - interval '1 second',
      sending_at = now() - ${sendingAgo}::interval, available_at = now() - interval '1 day', text = ${render.text}, attachments = '[]'::jsonb
    where id = ${b.id}`);
  return render.text;
}

describe('the results poller and a msgid WeCom does not know', () => {
  it('backs off (capped, computed in SQL) and settles the batch unknown after MAX_POLL_FAILURES refusals, not polling it again', async () => {
    const id = await pushNow('Forgotten');
    const [forgotten, ...others] = await dispatchAll(id);
    // As after a reset of the test corp: WeCom has never heard of this msgid.
    const msgid = `msgFORGOTTEN${id}x${forgotten!.id}`;
    await database.db.execute(sql`update campaign_batches set msgid = ${msgid} where id = ${forgotten!.id}`);
    // A long results interval makes the cap show within the bounded number of polls.
    const slow = { ...s, resultsPollMs: 1800_000 };
    const pollDeps = { db: database.db, client: w.service.client, corpId: w.corpId, owner: 'poller', settings: slow, limit: 100 };
    const epoch = async () => (await q<{ t: number }>(sql`select extract(epoch from clock_timestamp())::float8 as t`))[0]!.t;

    for (let i = 1; i <= MAX_POLL_FAILURES; i++) {
      // Time passes: every waiting batch of the campaign is due.
      await database.db.execute(sql`update campaign_batches set available_at = now() - interval '1 second' where campaign_id = ${id} and status = 'waiting'`);
      const calls = w.sim.calls.count('externalcontact/get_groupmsg_task', msgid);
      const before = await epoch();
      await pollResultsOnce(pollDeps, new Date());
      const after = await epoch();
      expect(w.sim.calls.count('externalcontact/get_groupmsg_task', msgid)).toBe(calls + 1);
      const [row] = await q<{ status: string; poll_failures: number; next: number; last_error: string }>(sql`
        select status, poll_failures, extract(epoch from available_at)::float8 as next, last_error from campaign_batches where id = ${forgotten!.id}`);
      expect(row).toMatchObject({ poll_failures: i, last_error: expect.stringContaining('40058') });
      if (i < MAX_POLL_FAILURES) {
        expect(row!.status).toBe('waiting');
        const wait = Math.min(POLL_BACKOFF_CAP_S, 1800 * 2 ** (i - 1));
        // available_at = now() + wait, with now() taken inside the poll.
        expect(row!.next - before).toBeGreaterThanOrEqual(wait - 0.001);
        expect(row!.next - after).toBeLessThanOrEqual(wait + 0.001);
      } else {
        expect(row!.status).toBe('unknown');
      }
    }
    expect(new Set((await deliveriesOf(forgotten!.id)).map((d) => `${d.status}:${d.reason}`))).toEqual(new Set(['unknown:msgid_unknown']));
    // The batches WeCom does know were polled fine all along.
    expect((await q<{ n: number }>(sql`select count(*)::int as n from campaign_batches where campaign_id = ${id} and status = 'waiting' and poll_failures = 0`))[0]!.n)
      .toBe(others.length);
    const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${id}/stats`);
    expect(stats).toMatchObject({ unknown: forgotten!.recipients, unconfirmed: others.reduce((n, b) => n + b.recipients, 0) });

    // Settled: never polled again.
    await database.db.execute(sql`update campaign_batches set available_at = now() - interval '1 second' where campaign_id = ${id}`);
    const calls = w.sim.calls.count('externalcontact/get_groupmsg_task', msgid);
    await pollResultsOnce(pollDeps, new Date());
    expect(w.sim.calls.count('externalcontact/get_groupmsg_task', msgid)).toBe(calls);
  });
});

describe('a msgid is one batch', () => {
  it('the database refuses a second batch with a msgid another batch of the corp holds', async () => {
    const id = await pushNow('Twice');
    const [a, b] = await dispatchAll(id);
    await expect(database.db.execute(sql`update campaign_batches set msgid = ${a!.msgid} where id = ${b!.id}`)).rejects.toThrow();
    expect((await batchesOf(id)).find((x) => x.id === b!.id)!.msgid).toBe(b!.msgid);
  });

  it('a batch WeCom answers with a msgid already recorded is parked dead and flagged, the other batch left as it was', async () => {
    const [holder] = (await q<Batch>(sql`select id::int, msgid, status from campaign_batches where corp_id = ${w.corpId} and status = 'waiting' and msgid is not null order by id limit 1`));
    // In front of the simulator: add_msg_template answers carry the holder's msgid (a reset corp reissuing ids).
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(`${w.config.WECOM_API_BASE}${req.url}`, {
        method: req.method, headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') }, body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      let text = await upstream.text();
      if (req.url?.includes('externalcontact/add_msg_template')) text = JSON.stringify({ ...JSON.parse(text), msgid: holder!.msgid });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const client = createWeComClient({ ...w.config, WECOM_API_BASE: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, database.db, createLogger('silent'));
      const id = await pushNow('Reissued');
      expect(await dispatchNextBatch(deps({ client }), new Date())).toBe(1);
      const [parked] = (await batchesOf(id)).filter((b) => b.status !== 'pending');
      expect(parked).toMatchObject({ status: 'dead', msgid: null, last_error: expect.stringContaining(`duplicate_msgid: WeCom answered msgid ${holder!.msgid}`) });
      expect(new Set((await deliveriesOf(parked!.id)).map((d) => `${d.status}:${d.reason}`))).toEqual(new Set(['failed:duplicate_msgid']));
      expect((await q<Batch>(sql`select id::int, msgid, status from campaign_batches where id = ${holder!.id}`))[0]).toMatchObject({ msgid: holder!.msgid, status: 'waiting' });
      const { body: stats } = await getJson(`${w.service.url}/api/campaigns/${id}/stats`);
      expect(stats.failed).toMatchObject({ duplicate_msgid: parked!.recipients });
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('the crash lookup before a resend', () => {
  it('finds a task whose sending began hours ago, whatever our own clock reads: no resend', async () => {
    const id = await pushNow('Hours ago');
    const [a] = await batchesOf(id);
    const text = await crashedWhileSending(a!, 'Hours ago', '3 hours');
    const accepted = await w.service.client.messages.addMsgTemplate({ chat_type: 'single', sender: a!.sender, external_userid: await recipientsOf(a!.id), text: { content: text } });
    const calls = w.sim.calls.count('externalcontact/add_msg_template');
    // This instance's clock lags: it reads the moment sending began, three hours before WeCom's and the database's.
    const [{ sendingAt }] = await q<{ sendingAt: Date }>(sql`select sending_at as "sendingAt" from campaign_batches where id = ${a!.id}`) as [{ sendingAt: Date }];
    expect(await dispatchNextBatch(deps(), new Date(new Date(sendingAt).getTime() + 60_000))).toBe(1);
    expect((await batchesOf(id)).find((b) => b.id === a!.id)).toMatchObject({ status: 'waiting', msgid: accepted.msgid, msgid_source: 'lookup' });
    expect(w.sim.calls.count('externalcontact/add_msg_template')).toBe(calls);
  });

  it('reads the window on WeCom\'s clock: a task stamped two hours ahead of ours is found, not sent again', async () => {
    const id = await pushNow('Ahead');
    const [a] = await batchesOf(id);
    const text = await crashedWhileSending(a!, 'Ahead', '1 minute');
    w.sim.advanceTime(2 * 3600_000); // WeCom's clock runs two hours ahead of ours (last in this file: the world keeps that clock)
    const accepted = await w.service.client.messages.addMsgTemplate({ chat_type: 'single', sender: a!.sender, external_userid: await recipientsOf(a!.id), text: { content: text } });
    const calls = w.sim.calls.count('externalcontact/add_msg_template');
    expect(await dispatchNextBatch(deps(), new Date())).toBe(1);
    expect((await batchesOf(id)).find((b) => b.id === a!.id)).toMatchObject({ status: 'waiting', msgid: accepted.msgid, msgid_source: 'lookup' });
    expect(w.sim.calls.count('externalcontact/add_msg_template')).toBe(calls);
  });
});
