import { sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../src/db/connection';
import { appendEvent, appendEvents, GroupCommitAppender, type EventToAppend } from '../../src/events';
import type { Service } from '../../src/service';
import { parseCallbackXml } from '../../src/wecom/callback/parse';
import { contactEventXml, postCallback, seal } from '../helpers/callbacks';
import { getTestDb } from '../helpers/db';
import { freshCorpId, startTestService, testConfig } from '../helpers/service';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => {
  database = await getTestDb();
});
afterAll(() => database.close());

async function stored(corpId: string): Promise<Array<{ id: number; dedupe_key: string; payload: unknown; priority: number; created_at: unknown }>> {
  return rowsOf(await database.db.execute(sql`select id::int as id, dedupe_key, payload, priority, created_at from inbound_events where corp_id = ${corpId} order by id`));
}

async function event(corpId: string, i: number, extra: { welcomeCode?: string } = {}) {
  const xml = contactEventXml(corpId, 'add_external_contact', { userId: 'rep1', externalUserId: `wm${i}`, ...extra }, 1731300000 + i);
  return { corpId, xml, event: await parseCallbackXml(xml) };
}

/** appendEvents, counting statements and the rows in each. */
function countingWriter() {
  const batches: number[] = [];
  return {
    batches,
    write: (ex: Executor, items: readonly EventToAppend[]) => {
      batches.push(items.length);
      return appendEvents(ex, items);
    },
  };
}

describe('appendEvents (one statement for many rows)', () => {
  it('stores rows as appendEvent does, the same columns and dedupe keys', async () => {
    const corpId = freshCorpId();
    const one = await event(corpId, 1, { welcomeCode: 'WC1' });
    const two = await event(corpId, 2);
    const [a, b] = await appendEvents(database.db, [one, two]);
    expect(a).toEqual({ id: expect.any(Number), duplicate: false });
    expect(b).toEqual({ id: expect.any(Number), duplicate: false });
    const rows = await stored(corpId);
    expect(rows.map((r) => r.id)).toEqual([a!.id, b!.id]);
    expect(rows[0]).toMatchObject({ priority: 10, payload: JSON.parse(JSON.stringify(one.event)) });
    expect(new Date(rows[0]!.created_at as string).getTime()).toBe(1731300001 * 1000);
    // A retry through the single-row path is a duplicate of the batch's row.
    expect(await appendEvent(database.db, corpId, one.xml, one.event)).toEqual({ id: null, duplicate: true });
  });

  it('a repeat within the call and a row stored before are duplicates; one row each', async () => {
    const corpId = freshCorpId();
    const before = await event(corpId, 1);
    await appendEvent(database.db, corpId, before.xml, before.event);
    const fresh = await event(corpId, 2);
    const outcomes = await appendEvents(database.db, [fresh, before, fresh]);
    expect(outcomes).toEqual([
      { id: expect.any(Number), duplicate: false },
      { id: null, duplicate: true },
      { id: null, duplicate: true },
    ]);
    expect((await stored(corpId)).length).toBe(2);
  });

  it('the same XML for two corps is two rows', async () => {
    const [c1, c2] = [freshCorpId(), freshCorpId()];
    const e = await event(c1, 1);
    const outcomes = await appendEvents(database.db, [e, { ...e, corpId: c2 }]);
    expect(outcomes.map((o) => o.duplicate)).toEqual([false, false]);
  });
});

describe('GroupCommitAppender', () => {
  it('N concurrent appends share fewer than N statements, each answered with its own id', async () => {
    const corpId = freshCorpId();
    const w = countingWriter();
    const appender = new GroupCommitAppender(database.db, { write: w.write });
    const events = await Promise.all(Array.from({ length: 60 }, (_, i) => event(corpId, i)));
    const outcomes = await Promise.all(events.map((e) => appender.append(e.corpId, e.xml, e.event)));
    expect(outcomes.every((o) => !o.duplicate && typeof o.id === 'number')).toBe(true);
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(60);
    expect(w.batches.reduce((n, b) => n + b, 0)).toBe(60);
    expect(w.batches.length).toBeLessThan(60);
    expect(w.batches.length).toBeLessThanOrEqual(3);
    const rows = await stored(corpId);
    expect(rows.length).toBe(60);
    // Each caller got the id of its own row.
    expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(outcomes.map((o) => o.id).sort((a, b) => a! - b!));
    expect(appender.pending).toBe(0);
  });

  it('duplicates in one batch: one row, the first answered stored and the rest duplicate, as today', async () => {
    const corpId = freshCorpId();
    const w = countingWriter();
    const appender = new GroupCommitAppender(database.db, { write: w.write });
    const e = await event(corpId, 7);
    const other = await event(corpId, 8);
    const outcomes = await Promise.all([e, e, other, e].map((x) => appender.append(x.corpId, x.xml, x.event)));
    expect(outcomes.map((o) => o.duplicate)).toEqual([false, true, false, true]);
    expect(outcomes[1]!.id).toBeNull();
    expect((await stored(corpId)).length).toBe(2);
    expect(w.batches).toEqual([4]);
  });

  it('bounds a batch at maxBatch rows', async () => {
    const corpId = freshCorpId();
    const w = countingWriter();
    const appender = new GroupCommitAppender(database.db, { write: w.write, maxBatch: 10 });
    const events = await Promise.all(Array.from({ length: 35 }, (_, i) => event(corpId, i)));
    await Promise.all(events.map((e) => appender.append(e.corpId, e.xml, e.event)));
    expect(Math.max(...w.batches)).toBeLessThanOrEqual(10);
    expect(w.batches.reduce((n, b) => n + b, 0)).toBe(35);
    expect((await stored(corpId)).length).toBe(35);
  });

  it('a failing statement rejects every append in it; the next batch goes on', async () => {
    const corpId = freshCorpId();
    let fail = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batches: number[] = [];
    const appender = new GroupCommitAppender(database.db, {
      maxInFlight: 1,
      write: async (ex, items) => {
        batches.push(items.length);
        if (batches.length === 1) await gate; // hold the first insert so the others queue behind it
        if (fail) throw new Error('connection lost');
        return appendEvents(ex, items);
      },
    });
    const events = await Promise.all(Array.from({ length: 6 }, (_, i) => event(corpId, i)));
    const first = appender.append(corpId, events[0]!.xml, events[0]!.event);
    first.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5)); // the first insert is in flight
    const rest = events.slice(1).map((e) => appender.append(corpId, e.xml, e.event).then(() => 'ok', (err: Error) => err.message));
    await new Promise((r) => setTimeout(r, 10));
    fail = true;
    release();
    await expect(first).rejects.toThrow('connection lost');
    expect(await Promise.all(rest)).toEqual(Array(5).fill('connection lost'));
    expect(batches).toEqual([1, 5]);
    expect((await stored(corpId)).length).toBe(0);
    fail = false;
    expect(await appender.append(corpId, events[0]!.xml, events[0]!.event)).toEqual({ id: expect.any(Number), duplicate: false });
  });

  it('a writer that throws synchronously rejects its batch too', async () => {
    const appender = new GroupCommitAppender(database.db, { write: () => { throw new Error('boom'); } });
    const e = await event(freshCorpId(), 1);
    await expect(appender.append(e.corpId, e.xml, e.event)).rejects.toThrow('boom');
  });

  it('a lone append at low load is written at once, not after the wait window', async () => {
    const corpId = freshCorpId();
    const w = countingWriter();
    const appender = new GroupCommitAppender(database.db, { write: w.write, maxWaitMs: 5_000 });
    for (let i = 0; i < 3; i++) {
      const e = await event(corpId, i);
      const t0 = Date.now();
      await appender.append(e.corpId, e.xml, e.event);
      expect(Date.now() - t0).toBeLessThan(1_000);
    }
    expect(w.batches).toEqual([1, 1, 1]);
  });
});

describe('the callback route groups concurrent callbacks', () => {
  let service: Service;
  const config = testConfig();
  const secrets = { token: config.callback.token, aesKey: config.callback.aesKey, corpId: config.corpId };
  beforeAll(async () => (service = await startTestService(database, config, { worker: false })));
  afterAll(() => service.stop());

  it('concurrent distinct callbacks and retries: all answered success, each stored once', async () => {
    const xmls = Array.from({ length: 30 }, (_, i) => contactEventXml(config.corpId, 'add_external_contact', { userId: 'rep1', externalUserId: `wmc${i}` }, 1731300000 + i));
    // Every fifth delivered twice at once (WeCom retrying while the first is in flight), sealed anew each time.
    const deliveries = [...xmls, ...xmls.filter((_, i) => i % 5 === 0)].map((x) => seal(secrets, x));
    const answers = await Promise.all(deliveries.map(async (s) => {
      const res = await postCallback(service.url, s);
      return `${res.status} ${await res.text()}`;
    }));
    expect(answers).toEqual(Array(36).fill('200 success'));
    expect((await stored(config.corpId)).length).toBe(30);
  });
});
