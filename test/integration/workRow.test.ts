import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { mirrorLease, workQueue } from '../../src/db/workRow';
import { getTestDb } from '../helpers/db';
import { freshCorpId } from '../helpers/service';

let database: Database;
const queue = workQueue({ name: 'test', table: 'test_work', claimable: ['ready', 'unsure'] });

beforeAll(async () => {
  database = await getTestDb();
  await database.db.execute(sql`create table test_work (
    id bigserial primary key, corp_id text not null, status text not null default 'ready',
    available_at timestamptz not null default now(), attempts int not null default 0,
    locked_until timestamptz, locked_by text, last_error text, dead_at timestamptz, note text)`);
});
afterAll(() => database.close());

async function add(corpId: string, status: string, availableAt = sql`now()`): Promise<number> {
  const [r] = rowsOf<{ id: string }>(await database.db.execute(sql`
    insert into test_work (corp_id, status, available_at) values (${corpId}, ${status}, ${availableAt}) returning id`));
  return Number(r!.id);
}

async function row(id: number) {
  const [r] = rowsOf<{ status: string; attempts: number; locked_by: string | null; locked_until: Date | null; available_at: string; dead_at: string | null; last_error: string | null; note: string | null }>(
    await database.db.execute(sql`select * from test_work where id = ${id}`));
  return r!;
}

it('claims only rows in its claimable states, of its corp, and says which state each was in', async () => {
  const corpId = freshCorpId();
  const ready = await add(corpId, 'ready');
  const unsure = await add(corpId, 'unsure');
  await add(corpId, 'pending'); // not claimable by this queue
  await add(corpId, 'done');
  await add(freshCorpId(), 'ready'); // another corp's
  const claimed = await queue.claim(database.db, corpScope(corpId), { owner: 'a', limit: 10, leaseSeconds: 60 });
  expect(claimed.map((c) => [c.id, c.status, c.attempts]).sort()).toEqual([[ready, 'ready', 1], [unsure, 'unsure', 1]].sort());
  expect(await queue.claim(database.db, corpScope(corpId), { owner: 'b', limit: 10, leaseSeconds: 60 })).toEqual([]); // leased
});

it('is due by the injected time, not the database clock', async () => {
  const corpId = freshCorpId();
  const id = await add(corpId, 'ready', sql`now() + interval '1 hour'`);
  expect(await queue.claim(database.db, corpScope(corpId), { owner: 'a', limit: 1, leaseSeconds: 60 })).toEqual([]);
  const later = new Date(Date.now() + 2 * 3600_000);
  expect((await queue.claim(database.db, corpScope(corpId), { owner: 'a', limit: 1, leaseSeconds: 60, now: later })).map((c) => c.id)).toEqual([id]);
});

it('refuses a settle, fail, retry or release by another owner or from another corp', async () => {
  const corpId = freshCorpId();
  const id = await add(corpId, 'ready');
  await queue.claim(database.db, corpScope(corpId), { owner: 'a', limit: 1, leaseSeconds: 60 });
  const foreign = corpScope(freshCorpId());
  expect(await queue.settle(database.db, corpScope(corpId), id, 'b')).toBe(false);
  expect(await queue.settle(database.db, foreign, id, 'a')).toBe(false);
  expect(await queue.fail(database.db, foreign, id, 'a', 'boom', { maxAttempts: 5 })).toBe('lost');
  expect(await queue.retry(database.db, foreign, [id], 'a', { availableAt: new Date() })).toBe(0);
  await queue.release(database.db, foreign, [id], 'a');
  expect(await row(id)).toMatchObject({ status: 'ready', attempts: 1, locked_by: 'a', last_error: null });
  expect(await queue.settle(database.db, corpScope(corpId), id, 'a', { set: sql`note = 'settled'` })).toBe(true);
  expect(await row(id)).toMatchObject({ status: 'done', locked_until: null, note: 'settled' });
});

it('settles after the lease ran out only when asked to (whileLeased: false), and never once another owner claimed it', async () => {
  const corpId = freshCorpId();
  const scope = corpScope(corpId);
  const id = await add(corpId, 'ready');
  await queue.claim(database.db, scope, { owner: 'a', limit: 1, leaseSeconds: 60 });
  await database.db.execute(sql`update test_work set locked_until = now() - interval '1 second' where id = ${id}`);
  expect(await queue.settle(database.db, scope, id, 'a')).toBe(false);
  expect(await queue.settle(database.db, scope, id, 'a', { whileLeased: false, status: 'unsure' })).toBe(true);
  await database.db.execute(sql`update test_work set available_at = now() where id = ${id}`);
  await queue.claim(database.db, scope, { owner: 'b', limit: 1, leaseSeconds: 60 });
  expect(await queue.settle(database.db, scope, id, 'a', { whileLeased: false })).toBe(false);
});

it('backs off (capped, computed in SQL from the injected time) and parks the row dead after maxAttempts', async () => {
  const corpId = freshCorpId();
  const scope = corpScope(corpId);
  const id = await add(corpId, 'ready');
  const now = new Date(Date.now() + 24 * 3600_000);
  const policy = { maxAttempts: 3, baseSeconds: 100, capSeconds: 150, now };
  for (const attempt of [1, 2]) {
    await queue.claim(database.db, scope, { owner: 'a', limit: 1, leaseSeconds: 60, now: new Date(now.getTime() + 3600_000) });
    expect(await queue.fail(database.db, scope, id, 'a', `boom ${attempt}`, policy)).toBe('retry');
    const r = await row(id);
    const wait = (new Date(r.available_at).getTime() - now.getTime()) / 1000;
    const expected = Math.min(150, 100 * 2 ** (attempt - 1));
    expect(wait).toBeGreaterThanOrEqual(expected * 0.75 - 0.01);
    expect(wait).toBeLessThanOrEqual(expected * 1.25 + 0.01);
    expect(r).toMatchObject({ status: 'ready', attempts: attempt, locked_until: null, last_error: `boom ${attempt}` });
  }
  await queue.claim(database.db, scope, { owner: 'a', limit: 1, leaseSeconds: 60, now: new Date(now.getTime() + 3600_000) });
  expect(await queue.fail(database.db, scope, id, 'a', 'boom 3', policy)).toBe('dead');
  expect(await row(id)).toMatchObject({ status: 'dead', attempts: 3 });
  expect((await row(id)).dead_at).not.toBeNull();
});

it('retry keeps the attempt counted; release gives it back', async () => {
  const corpId = freshCorpId();
  const scope = corpScope(corpId);
  const a = await add(corpId, 'ready');
  const b = await add(corpId, 'ready');
  await queue.claim(database.db, scope, { owner: 'w', limit: 2, leaseSeconds: 60 });
  const at = new Date(Date.now() + 60_000);
  expect(await queue.retry(database.db, scope, [a], 'w', { availableAt: at, status: 'unsure', error: 'maybe sent' })).toBe(1);
  await queue.release(database.db, scope, [b], 'w', { set: sql`note = 'held back'` });
  expect(await row(a)).toMatchObject({ status: 'unsure', attempts: 1, locked_until: null, last_error: 'maybe sent' });
  expect(new Date((await row(a)).available_at).getTime()).toBe(at.getTime());
  expect(await row(b)).toMatchObject({ status: 'ready', attempts: 0, locked_by: null, locked_until: null, note: 'held back' });
});

it('stats() counts rows per status and the oldest due wait', async () => {
  const corpId = freshCorpId();
  const scope = corpScope(corpId);
  const now = new Date();
  await add(corpId, 'ready', sql`${now.toISOString()}::timestamptz - interval '90 seconds'`);
  await add(corpId, 'ready', sql`${now.toISOString()}::timestamptz + interval '1 hour'`); // not due yet
  await add(corpId, 'unsure', sql`${now.toISOString()}::timestamptz - interval '30 seconds'`);
  await add(corpId, 'dead');
  await add(corpId, 'done');
  await add(freshCorpId(), 'ready', sql`now() - interval '1 day'`);
  const stats = await queue.stats(database.db, scope, now);
  expect(stats.byStatus).toEqual({ ready: 2, unsure: 1, dead: 1 });
  expect(stats.oldestDueSeconds).toBeCloseTo(90, 0);
  expect((await queue.stats(database.db, corpScope(freshCorpId()), now))).toEqual({ byStatus: { ready: 0, unsure: 0, dead: 0 }, oldestDueSeconds: 0 });
});

describe('mirrorLease: the lease on an entity row owing WeCom a call', () => {
  const lease = mirrorLease({ name: 'test_mirror', table: 'test_mirror', owed: sql`status = 'owed'` });

  beforeAll(async () => {
    await database.db.execute(sql`create table test_mirror (
      id bigserial primary key, corp_id text not null, status text not null default 'owed',
      wecom_locked_until timestamptz, wecom_locked_by text, updated_at timestamptz not null default now(), note text)`);
  });

  async function addOwed(corpId: string, status = 'owed', lockedUntil = sql`null`): Promise<number> {
    const [r] = rowsOf<{ id: string }>(await database.db.execute(sql`
      insert into test_mirror (corp_id, status, wecom_locked_until) values (${corpId}, ${status}, ${lockedUntil}) returning id`));
    return Number(r!.id);
  }
  async function mirrorRow(id: number) {
    const [r] = rowsOf<{ wecom_locked_by: string | null; lease_left: number | null; note: string | null }>(await database.db.execute(sql`
      select wecom_locked_by, extract(epoch from wecom_locked_until - now())::float8 as lease_left, note from test_mirror where id = ${id}`));
    return r!;
  }

  it('takes only owed rows of its corp whose lease is free, for one owner at a time', async () => {
    const corpId = freshCorpId();
    const scope = corpScope(corpId);
    const owed = await addOwed(corpId);
    await addOwed(corpId, 'synced'); // owes nothing
    await addOwed(corpId, 'owed', sql`now() + interval '1 minute'`); // a call in flight (no owner recorded)
    await addOwed(freshCorpId()); // another corp's
    expect(await lease.take(database.db, scope, { owner: 'a', leaseSeconds: 60, limit: 10 })).toEqual([owed]);
    expect(await lease.take(database.db, scope, { owner: 'b', leaseSeconds: 60, limit: 10 })).toEqual([]);
    expect(await mirrorRow(owed)).toMatchObject({ wecom_locked_by: 'a' });
  });

  it('a lease taken by A is released neither by B nor by A from another corp', async () => {
    const corpId = freshCorpId();
    const scope = corpScope(corpId);
    const id = await addOwed(corpId);
    await lease.take(database.db, scope, { owner: 'a', leaseSeconds: 60, limit: 1 });
    expect(await lease.release(database.db, scope, id, 'b', { set: sql`note = 'b'` })).toBe(false);
    expect(await lease.release(database.db, corpScope(freshCorpId()), id, 'a', { set: sql`note = 'other corp'` })).toBe(false);
    expect(await mirrorRow(id)).toMatchObject({ wecom_locked_by: 'a', note: null });
    expect(await lease.release(database.db, scope, id, 'a', { set: sql`note = 'a'` })).toBe(true);
    expect(await mirrorRow(id)).toEqual({ wecom_locked_by: null, lease_left: null, note: 'a' });
  });

  it('an expired lease can be taken by B, after which A no longer holds it', async () => {
    const corpId = freshCorpId();
    const scope = corpScope(corpId);
    const id = await addOwed(corpId);
    await lease.take(database.db, scope, { owner: 'a', leaseSeconds: 60, limit: 1 });
    await database.db.execute(sql`update test_mirror set wecom_locked_until = now() - interval '1 second' where id = ${id}`);
    expect(await lease.take(database.db, scope, { owner: 'b', leaseSeconds: 60, limit: 1 })).toEqual([id]);
    expect(await lease.release(database.db, scope, id, 'a')).toBe(false);
    expect(await mirrorRow(id)).toMatchObject({ wecom_locked_by: 'b' });
  });

  it('lease times follow the database clock, the retry pause too', async () => {
    const corpId = freshCorpId();
    const scope = corpScope(corpId);
    const id = await addOwed(corpId);
    await lease.take(database.db, scope, { owner: 'a', leaseSeconds: 120, limit: 1 });
    expect((await mirrorRow(id)).lease_left).toBeCloseTo(120, -1);
    // The pause keeps the lease ours for that long, counted from the database's now().
    expect(await lease.release(database.db, scope, id, 'a', { availableAfterSeconds: 30 })).toBe(true);
    expect(await mirrorRow(id)).toMatchObject({ wecom_locked_by: 'a', lease_left: expect.closeTo(30, -1) });
    expect(await lease.take(database.db, scope, { owner: 'b', leaseSeconds: 60, limit: 1 })).toEqual([]);
    // A short lease runs out on the database's clock, whatever the process thinks the time is.
    await lease.release(database.db, scope, id, 'a', { availableAfterSeconds: 0.2 });
    await new Promise((r) => setTimeout(r, 400));
    expect(await lease.take(database.db, scope, { owner: 'b', leaseSeconds: 60, limit: 1 })).toEqual([id]);
    // The assignments for an insert or update are on the database's clock as well.
    const taken = lease.taken('c', 45);
    expect(taken.wecomLockedBy).toBe('c');
    expect(rowsOf<{ left: number }>(await database.db.execute(sql`select extract(epoch from ${taken.wecomLockedUntil} - now())::float8 as left`))[0]!.left).toBeCloseTo(45, 3);
  });

  it('stats: owed rows, and how long the oldest free one has waited', async () => {
    const corpId = freshCorpId();
    const scope = corpScope(corpId);
    await addOwed(corpId, 'owed', sql`now() - interval '90 seconds'`);
    await addOwed(corpId, 'owed', sql`now() + interval '1 minute'`); // in flight: owed, not waiting
    await addOwed(corpId, 'synced');
    await addOwed(freshCorpId(), 'owed', sql`now() - interval '1 hour'`);
    const stats = await lease.stats(database.db, scope);
    expect(stats.byStatus).toEqual({ owed: 2 });
    expect(stats.oldestDueSeconds).toBeCloseTo(90, 0);
    expect(await lease.stats(database.db, corpScope(freshCorpId()))).toEqual({ byStatus: { owed: 0 }, oldestDueSeconds: 0 });
  });
});
