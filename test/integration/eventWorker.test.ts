import { sql } from 'drizzle-orm';
import { rowsOf, type Database, type Db } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { eventQueue } from '../../src/jobs/queues';
import { appendEvent, HandlerRegistry, type EventHandler } from '../../src/events';
import { EventWorker } from '../../src/jobs/eventWorker';
import { createLogger } from '../../src/lib/logger';
import { parseCallbackXml } from '../../src/wecom/callback/parse';
import { WeComRateLimitedError } from '../../src/wecom/client';
import { contactEventXml, postCallback, seal } from '../helpers/callbacks';
import { getTestDb, openSecondConnection } from '../helpers/db';
import { eventually, freshCorpId, getJson, startTestService, testConfig } from '../helpers/service';

const log = createLogger('silent');
let database: Awaited<ReturnType<typeof getTestDb>>;

beforeAll(async () => {
  database = await getTestDb();
  // A side effect the handlers write, so "applied exactly once" is observable.
  await database.db.execute(sql`create table test_effects (corp_id text, event_id bigint, applied int not null default 1, primary key (corp_id, event_id))`);
});
afterAll(() => database.close());

const recordEffect: EventHandler = {
  async apply(tx, _event, _p, ctx) {
    await tx.execute(sql`insert into test_effects (corp_id, event_id) values (${ctx.corpId}, ${ctx.eventId})
      on conflict (corp_id, event_id) do update set applied = test_effects.applied + 1`);
  },
};

async function addEvents(db: Db, corpId: string, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const xml = contactEventXml(corpId, 'add_external_contact', { userId: 'rep1', externalUserId: `wm${i}` }, 1731300000 + i);
    const { id } = await appendEvent(db, corpId, xml, await parseCallbackXml(xml));
    ids.push(id!);
  }
  return ids;
}

async function effects(corpId: string): Promise<Array<{ event_id: string; applied: number }>> {
  return rowsOf(await database.db.execute(sql`select event_id, applied from test_effects where corp_id = ${corpId} order by event_id`));
}

async function statuses(corpId: string): Promise<Record<string, number>> {
  const rows = rowsOf<{ status: string; n: number }>(await database.db.execute(sql`select status, count(*)::int as n from inbound_events where corp_id = ${corpId} group by status`));
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

function worker(db: Db, corpId: string, handlers: HandlerRegistry, extra: Partial<ConstructorParameters<typeof EventWorker>[0]> = {}) {
  return new EventWorker({ db, corpId, handlers, log, maxAttempts: 3, pollMs: 20, backoff: { baseSeconds: 0.01, capSeconds: 0.05 }, ...extra });
}

it('applies each event once and marks it done', async () => {
  const corpId = freshCorpId();
  await addEvents(database.db, corpId, 5);
  const w = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', recordEffect));
  await w.runOnce();
  expect((await effects(corpId)).map((e) => e.applied)).toEqual([1, 1, 1, 1, 1]);
  expect(await statuses(corpId)).toEqual({ done: 5 });
  expect(await w.runOnce()).toBe(0);
});

it('events with no handler are settled, not left pending', async () => {
  const corpId = freshCorpId();
  await addEvents(database.db, corpId, 2);
  await worker(database.db, corpId, new HandlerRegistry()).runOnce();
  expect(await statuses(corpId)).toEqual({ done: 2 });
});

it('a failing handler is retried with backoff, then parked with its error; its writes never commit', async () => {
  const corpId = freshCorpId();
  const [id] = await addEvents(database.db, corpId, 1);
  let calls = 0;
  const failing: EventHandler = {
    async apply(tx, e, p, ctx) {
      calls++;
      await recordEffect.apply(tx, e, p, ctx);
      throw new Error('ledger unavailable');
    },
  };
  const w = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', failing));
  w.start();
  await eventually(async () => (await statuses(corpId)).dead === 1);
  await w.stop();
  expect(calls).toBe(3);
  expect(await effects(corpId)).toEqual([]);
  const [row] = rowsOf<{ attempts: number; last_error: string; dead_at: Date | null }>(
    await database.db.execute(sql`select attempts, last_error, dead_at from inbound_events where id = ${id}`),
  );
  expect(row).toMatchObject({ attempts: 3, last_error: 'ledger unavailable' });
  expect(row!.dead_at).not.toBeNull();
});

it('a worker killed between claim and commit leaves the event to be processed again', async () => {
  const corpId = freshCorpId();
  await addEvents(database.db, corpId, 3);
  // The "killed" worker: claimed with a short lease, never settled.
  const claimed = await eventQueue.claim(database.db, corpScope(corpId), { owner: 'killed-worker', limit: 10, leaseSeconds: 1 });
  expect(claimed).toHaveLength(3);
  const w = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', recordEffect));
  expect(await w.runOnce()).toBe(0); // still leased
  await new Promise((r) => setTimeout(r, 1100));
  expect(await w.runOnce()).toBe(3);
  expect((await effects(corpId)).map((e) => e.applied)).toEqual([1, 1, 1]);
  expect(await statuses(corpId)).toEqual({ done: 3 });
});

it('a worker whose lease ran out cannot commit over the worker that took over', async () => {
  const corpId = freshCorpId();
  await addEvents(database.db, corpId, 1);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow: EventHandler = {
    async prepare() {
      await gate; // outlives its 1 s lease
    },
    apply: recordEffect.apply,
  };
  const a = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', slow), { leaseSeconds: 1 });
  const aRun = a.runOnce();
  await new Promise((r) => setTimeout(r, 1200));
  const b = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', recordEffect));
  expect(await b.runOnce()).toBe(1);
  release();
  await aRun;
  expect((await effects(corpId)).map((e) => e.applied)).toEqual([1]);
  expect(await statuses(corpId)).toEqual({ done: 1 });
});

it('stop() lets the current event finish', async () => {
  const corpId = freshCorpId();
  await addEvents(database.db, corpId, 1);
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  const slow: EventHandler = {
    async prepare() {
      entered();
      await new Promise((r) => setTimeout(r, 300));
    },
    apply: recordEffect.apply,
  };
  const w = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', slow));
  w.start();
  await inHandler;
  await w.stop();
  expect(await statuses(corpId)).toEqual({ done: 1 });
});

describe('two workers on one database', () => {
  let second: Database;
  beforeAll(async () => {
    // On the server the second worker has its own connection pool: a second instance.
    second = await openSecondConnection(database.url);
  });
  afterAll(async () => {
    await second.close();
  });

  it('never process the same event twice', async () => {
    const corpId = freshCorpId();
    await addEvents(database.db, corpId, 200);
    let applied = 0;
    const counting: EventHandler = {
      async apply(tx, e, p, ctx) {
        applied++;
        await recordEffect.apply(tx, e, p, ctx);
      },
    };
    const handlers = new HandlerRegistry().on('change_external_contact:add_external_contact', counting);
    const w1 = worker(database.db, corpId, handlers, { batchSize: 7 });
    const w2 = worker(second.db, corpId, handlers, { batchSize: 7 });
    w1.start();
    w2.start();
    await eventually(async () => (await statuses(corpId)).done === 200, 30_000);
    await Promise.all([w1.stop(), w2.stop()]);
    const rows = await effects(corpId);
    expect(rows).toHaveLength(200);
    expect(rows.every((r) => r.applied === 1)).toBe(true);
    expect(applied).toBe(200);
  });
});

describe('through the service', () => {
  it('an event answered with success survives a stop before processing, and is processed after restart', async () => {
    const config = testConfig();
    const secrets = { token: config.callback.token, aesKey: config.callback.aesKey, corpId: config.corpId };
    const first = await startTestService(database, config, { worker: false });
    const res = await postCallback(first.url, seal(secrets, contactEventXml(config.corpId, 'del_follow_user', { userId: 'rep1', externalUserId: 'wmA' })));
    expect(await res.text()).toBe('success');
    await first.stop(); // the "crash": nothing processed yet

    const second = await startTestService(database, config);
    second.handlers.on('change_external_contact:del_follow_user', recordEffect);
    await eventually(async () => (await statuses(config.corpId)).done === 1);
    expect(await effects(config.corpId)).toHaveLength(1);
    const { body } = await getJson(`${second.url}/api/events?status=done&type=del_follow_user`);
    expect(body.items).toEqual([expect.objectContaining({ event: 'change_external_contact', changeType: 'del_follow_user', status: 'done', attempts: 1 })]);
    await second.stop();
  });

  it('a parked event is listed with its error and can be put back', async () => {
    const config = testConfig({ EVENT_MAX_ATTEMPTS: '2' });
    const secrets = { token: config.callback.token, aesKey: config.callback.aesKey, corpId: config.corpId };
    const service = await startTestService(database, config);
    let fail = true;
    service.handlers.on('change_external_contact:del_external_contact', {
      async apply(tx, e, p, ctx) {
        if (fail) throw new Error('boom');
        await recordEffect.apply(tx, e, p, ctx);
      },
    });
    await postCallback(service.url, seal(secrets, contactEventXml(config.corpId, 'del_external_contact', { userId: 'rep1', externalUserId: 'wmB' })));
    const dead = await eventually(async () => (await getJson(`${service.url}/api/events?status=dead`)).body.items[0]);
    expect(dead).toMatchObject({ status: 'dead', attempts: 2, lastError: 'boom' });
    fail = false;
    const retried = await fetch(`${service.url}/api/events/${dead.id}/retry`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token' } });
    expect(retried.status).toBe(200);
    await eventually(async () => (await statuses(config.corpId)).done === 1);
    expect((await fetch(`${service.url}/api/events/${dead.id}/retry`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token' } })).status).toBe(404);
    await service.stop();
  });
});

it('waits out a WeCom frequency block without spending an attempt (a burst must not park good events)', async () => {
  const corpId = freshCorpId();
  const [id] = await addEvents(database.db, corpId, 1);
  const rateLimited: EventHandler = {
    async prepare() {
      throw new WeComRateLimitedError('externalcontact/get', { errcode: 45009, errmsg: 'api freq out of limit' });
    },
    async apply() {},
  };
  const w = worker(database.db, corpId, new HandlerRegistry().on('change_external_contact:add_external_contact', rateLimited));
  // maxAttempts is 3: five tries that each spent an attempt would have parked it.
  for (let i = 0; i < 5; i++) await w.runOnce();
  const [row] = rowsOf<{ status: string; attempts: number; wait: number; last_error: string }>(await database.db.execute(sql`
    select status, attempts, extract(epoch from available_at - now())::float8 as wait, last_error
    from inbound_events where corp_id = ${corpId} and id = ${id}`));
  expect(row).toMatchObject({ status: 'pending', attempts: 0 });
  expect(row!.wait).toBeGreaterThan(50);
  expect(row!.last_error).toMatch(/45009/);
});
