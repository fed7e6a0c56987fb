import { and, eq } from 'drizzle-orm';
import { recordInteractionsFor, remindDueFollowUps, stageChanges, interactions, orders } from '../../src/archive';
import { applyRelations, employees, endRelation, upsertContacts } from '../../src/ledger';
import { appMessages } from '../../src/notify';
import type { Service } from '../../src/service';
import type { WeComEvent } from '../../src/wecom/callback/events';
import { getTestDb, openSecondConnection } from '../helpers/db';
import { auth, startTestService, testConfig } from '../helpers/service';

let database: Awaited<ReturnType<typeof getTestDb>>;
let service: Service;
let corpId: string;
beforeAll(async () => {
  database = await getTestDb();
  const config = testConfig();
  corpId = config.corpId;
  service = await startTestService(database, config);
  // Follow-up authors must be employees the ledger knows.
  await database.db.insert(employees).values(['rep_a', 'rep_b', 'rep_r1', 'rep_r2', 'rep_c1', 'rep_c2', 'rep_c3', 'rep_t1'].map((userId) => ({ corpId, userId, name: userId })));
});
afterAll(async () => {
  await service.stop();
  await database.close();
});

let seq = 0;
/** A fresh customer known to the ledger (one active relation with `rep`). */
async function customer(name: string, rep = 'rep_a'): Promise<string> {
  const id = `wmtest${process.pid}x${++seq}${Math.random().toString(36).slice(2, 8)}`;
  await upsertContacts(database.db, corpId, [{ externalUserId: id, name }]);
  await applyRelations(database.db, corpId, [{ userId: rep, externalUserId: id }], { cause: 'sync', at: new Date() });
  return id;
}

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${service.url}${path}`, {
    method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const HOUR = 3600_000;

describe('custom fields', () => {
  it('validates values by type and names the field in the error', async () => {
    const key = (k: string) => `${k}_${seq++}`;
    const budget = key('budget');
    const code = key('code');
    const level = key('level');
    const since = key('since');
    const tagsKey = key('interests');
    expect((await call('POST', '/api/fields', { key: budget, label: 'Budget', type: 'number', validation: { min: 0, max: 100 } })).status).toBe(201);
    expect((await call('POST', '/api/fields', { key: code, label: 'Code', type: 'text', validation: { maxLength: 5, pattern: '^[A-Z]+$' } })).status).toBe(201);
    expect((await call('POST', '/api/fields', { key: level, label: 'Level', type: 'select', options: ['gold', 'silver'], required: true })).status).toBe(201);
    expect((await call('POST', '/api/fields', { key: since, label: 'Since', type: 'date' })).status).toBe(201);
    expect((await call('POST', '/api/fields', { key: tagsKey, label: 'Interests', type: 'multi_select', options: ['a', 'b'] })).status).toBe(201);
    // A select without options is a bad definition; a duplicate key a conflict.
    const noOptions = await call('POST', '/api/fields', { key: key('bad'), label: 'Bad', type: 'select' });
    expect(noOptions.status).toBe(400);
    expect(noOptions.body.error.message).toMatch(/needs options/);
    expect((await call('POST', '/api/fields', { key: budget, label: 'Again', type: 'number' })).status).toBe(409);

    const c = await customer('Fields Customer');
    const bad = await call('PUT', `/api/contacts/${c}/fields`, { [budget]: 101, [code]: 'abc', [since]: '2024-02-30', [tagsKey]: ['a', 'z'], nope: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.message).toContain(`field "${budget}": must be at most 100`);
    expect(bad.body.error.message).toContain(`field "${code}": must match the pattern`);
    expect(bad.body.error.message).toContain(`field "${since}"`);
    expect(bad.body.error.message).toContain(`field "${tagsKey}": z not among the options`);
    expect(bad.body.error.message).toContain('field "nope": no such field');
    // The required select is missing too.
    expect(bad.body.error.message).toContain(`field "${level}": is required`);

    const ok = await call('PUT', `/api/contacts/${c}/fields`, { [budget]: 42.5, [code]: 'ABC', [level]: 'gold', [since]: '2024-02-29', [tagsKey]: ['b'] });
    expect(ok.status).toBe(200);
    const got = await call('GET', `/api/contacts/${c}/fields`);
    expect(Object.fromEntries(got.body.items.map((i: any) => [i.key, i.value]))).toEqual({ [budget]: 42.5, [code]: 'ABC', [level]: 'gold', [since]: '2024-02-29', [tagsKey]: ['b'] });
    expect(got.body.items[0].updatedBy).toBe('admin');

    // A required field cannot be cleared; another can.
    const clearRequired = await call('PUT', `/api/contacts/${c}/fields`, { [level]: null });
    expect(clearRequired.status).toBe(400);
    expect(clearRequired.body.error.message).toContain(`field "${level}": is required`);
    expect((await call('PUT', `/api/contacts/${c}/fields`, { [code]: null })).body.items.map((i: any) => i.key)).not.toContain(code);

    // Archived: hidden from values and from the list, and cannot be set.
    const fields = (await call('GET', '/api/fields')).body.items;
    const budgetField = fields.find((f: any) => f.key === budget);
    expect((await call('POST', `/api/fields/${budgetField.id}/archive`)).body.archivedAt).not.toBeNull();
    expect((await call('GET', '/api/fields')).body.items.map((f: any) => f.key)).not.toContain(budget);
    const archived = await call('PUT', `/api/contacts/${c}/fields`, { [budget]: 1 });
    expect(archived.status).toBe(400);
    expect(archived.body.error.message).toContain(`field "${budget}": the field is archived`);
    expect((await call('GET', `/api/contacts/${c}/fields`)).body.items.map((i: any) => i.key)).not.toContain(budget);

    expect((await call('GET', '/api/contacts/wmnobody/fields')).status).toBe(404);
    expect((await call('PUT', '/api/contacts/wmnobody/fields', {})).status).toBe(404);
  });

  it('runs an admin\'s pattern in a linear-time engine, refuses what it cannot run, and bounds text values', async () => {
    const nested = `nested_${seq++}`;
    // Required fields of the test before would refuse every write here.
    for (const f of (await call('GET', '/api/fields')).body.items) if (f.required) await call('POST', `/api/fields/${f.id}/archive`);
    // Catastrophic in a backtracking engine (2^40 paths for this value); linear in RE2.
    expect((await call('POST', '/api/fields', { key: nested, label: 'Nested', type: 'text', validation: { pattern: '^(a+)+$' } })).status).toBe(201);
    const c = await customer('Pattern Customer');
    const evil = await call('PUT', `/api/contacts/${c}/fields`, { [nested]: 'a'.repeat(40) + 'b' });
    expect(evil.status).toBe(400);
    expect(evil.body.error.message).toContain(`field "${nested}": must match the pattern`);
    expect((await call('PUT', `/api/contacts/${c}/fields`, { [nested]: 'a'.repeat(40) })).status).toBe(200);
    // Look-arounds and back-references cannot run in linear time: refused when saved, with the reason.
    for (const pattern of ['^(?=a)a$', '^(a)\\1$']) {
      const refused = await call('POST', '/api/fields', { key: `refused_${seq++}`, label: 'Refused', type: 'text', validation: { pattern } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/not a valid RE2 regular expression/);
    }
    // A text field without maxLength still takes at most 10,000 characters.
    const free = `free_${seq++}`;
    expect((await call('POST', '/api/fields', { key: free, label: 'Free', type: 'text' })).status).toBe(201);
    const long = await call('PUT', `/api/contacts/${c}/fields`, { [free]: 'x'.repeat(10_001) });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain(`field "${free}": must be at most 10000 characters`);
  });
});

describe('follow-ups', () => {
  it('reminds each rep once, in one message listing their due customers', async () => {
    const now = new Date();
    const [c1, c2, c3, c4] = [await customer('Alice Due'), await customer('Bob Due'), await customer('Carol Due', 'rep_b'), await customer('Dan Later')];
    const note = (c: string, userId: string, next: Date) =>
      call('POST', `/api/contacts/${c}/follow-ups`, { userId, channel: 'phone', content: 'called', nextFollowUpAt: next.toISOString() });
    expect((await note(c1, 'rep_r1', new Date(now.getTime() - HOUR))).status).toBe(201);
    await note(c2, 'rep_r1', new Date(now.getTime() - 2 * HOUR));
    await note(c3, 'rep_r2', new Date(now.getTime() - HOUR));
    await note(c4, 'rep_r1', new Date(now.getTime() + 24 * HOUR)); // not due yet
    const bad = await call('POST', `/api/contacts/${c1}/follow-ups`, { channel: 'pigeon', content: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/channel/);
    expect((await call('POST', '/api/contacts/wmnobody/follow-ups', { channel: 'phone', content: 'x' })).status).toBe(404);

    const first = await remindDueFollowUps(database.db, corpId, now, 'zh-CN');
    const second = await remindDueFollowUps(database.db, corpId, now, 'zh-CN');
    expect(first).toEqual({ reps: 2, notes: 3 });
    expect(second).toEqual({ reps: 0, notes: 0 });

    const msgs = await database.db.select().from(appMessages).where(and(eq(appMessages.corpId, corpId), eq(appMessages.purpose, 'follow_up_reminder')));
    expect(msgs.map((m) => m.toUserIds).sort()).toEqual([['rep_r1'], ['rep_r2']]);
    const r1 = msgs.find((m) => m.toUserIds[0] === 'rep_r1')!;
    expect(r1.content).toContain('Alice Due');
    expect(r1.content).toContain('Bob Due');
    expect(r1.content).not.toContain('Dan Later');

    const list = await call('GET', `/api/contacts/${c1}/follow-ups`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].remindedAt).not.toBeNull();

    // The later one comes due: one more message, for it alone.
    expect(await remindDueFollowUps(database.db, corpId, new Date(now.getTime() + 25 * HOUR), 'zh-CN')).toEqual({ reps: 1, notes: 1 });
  });

  it('refuses an author who is not an employee (400 unknown_employee) or has left (400 employee_departed), and records nothing', async () => {
    const c = await customer('Author Check');
    await database.db.insert(employees).values({ corpId, userId: 'rep_gone', name: 'Gone', status: 'departed', departedAt: new Date() });
    const note = (body: Record<string, unknown>) => call('POST', `/api/contacts/${c}/follow-ups`, { channel: 'phone', content: 'called', ...body });

    const stranger = await note({ userId: 'not_a_rep' });
    expect(stranger).toEqual({ status: 400, body: { error: { code: 'unknown_employee', message: 'userId: not_a_rep is not an employee of this corp', details: { userId: 'not_a_rep' } } } });
    // Without userId the caller is the author: the admin token is nobody's employee account.
    expect((await note({})).body.error).toMatchObject({ code: 'unknown_employee', message: expect.stringContaining('admin') });
    const departed = await note({ userId: 'rep_gone', at: new Date(Date.now() - 30 * 24 * HOUR).toISOString() });
    expect(departed.status).toBe(400);
    expect(departed.body.error).toMatchObject({ code: 'employee_departed', message: expect.stringContaining('rep_gone') });
    expect((await call('GET', `/api/contacts/${c}/follow-ups`)).body.items).toEqual([]);

    expect((await note({ userId: 'rep_a' })).status).toBe(201);
    expect((await call('GET', `/api/contacts/${c}/follow-ups`)).body.items.map((f: any) => f.userId)).toEqual(['rep_a']);
  });
});

describe('follow-up reminders on two instances', () => {
  it('still send one message per rep when both run at once', async () => {
    const other = await openSecondConnection(database.url);
    try {
      const now = new Date();
      const reps = ['rep_c1', 'rep_c2', 'rep_c3'];
      for (const rep of reps) {
        for (let i = 0; i < 20; i++) {
          const c = await customer(`Conc ${rep} ${i}`);
          await call('POST', `/api/contacts/${c}/follow-ups`, { userId: rep, channel: 'other', content: 'x', nextFollowUpAt: new Date(now.getTime() - HOUR).toISOString() });
        }
      }
      const runs = await Promise.all([remindDueFollowUps(database.db, corpId, now, 'zh-CN'), remindDueFollowUps(other.db, corpId, now, 'zh-CN'), remindDueFollowUps(database.db, corpId, now, 'zh-CN')]);
      expect(runs.reduce((n, r) => n + r.notes, 0)).toBe(60);
      const msgs = await database.db.select().from(appMessages).where(and(eq(appMessages.corpId, corpId), eq(appMessages.purpose, 'follow_up_reminder')));
      const mine = msgs.filter((m) => reps.includes(m.toUserIds[0]!));
      // Concurrent claims may split one rep's notes between instances; each note is still listed exactly once.
      const listed = mine.flatMap((m) => (m.detail as { followUpIds: number[] }).followUpIds);
      expect(listed).toHaveLength(60);
      expect(new Set(listed).size).toBe(60);
    } finally {
      await other.close();
    }
  });
});

describe('complaints', () => {
  it('go from open to resolved once, with the time it took', async () => {
    const c = await customer('Complainer');
    const openedAt = new Date(Date.now() - 2 * HOUR);
    const opened = await call('POST', `/api/contacts/${c}/complaints`, { content: 'late delivery', openedAt: openedAt.toISOString(), userId: 'rep_a' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: 'open', timeToResolveSeconds: null, resolvedAt: null });
    const open = await call('GET', `/api/complaints?status=open&externalUserId=${c}`);
    expect(open.body.items.map((i: any) => i.id)).toEqual([opened.body.id]);

    const resolved = await call('POST', `/api/complaints/${opened.body.id}/resolve`, { resolution: 'refunded shipping' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolvedBy: 'admin', resolution: 'refunded shipping' });
    expect(resolved.body.timeToResolveSeconds).toBeGreaterThanOrEqual(2 * 3600);
    expect(resolved.body.timeToResolveSeconds).toBeLessThan(2 * 3600 + 60);

    const again = await call('POST', `/api/complaints/${opened.body.id}/resolve`, { resolution: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect((await call('POST', '/api/complaints/99999999/resolve', { resolution: 'x' })).status).toBe(404);
    expect((await call('POST', `/api/complaints/${opened.body.id}/resolve`, {})).status).toBe(400);
    expect((await call('GET', `/api/complaints?status=open&externalUserId=${c}`)).body.items).toEqual([]);
    expect((await call('GET', `/api/complaints?status=resolved&externalUserId=${c}`)).body.items[0].timeToResolveSeconds).toBe(resolved.body.timeToResolveSeconds);
    expect((await call('GET', '/api/complaints?status=closed')).status).toBe(400);
  });
});

describe('orders', () => {
  let buyer: string;
  beforeAll(async () => (buyer = await customer('Order Buyer')));
  const order = (id: string, over: Record<string, unknown> = {}) => ({
    externalOrderId: id, externalUserId: buyer, amount: '100.50', currency: 'CNY', orderedAt: '2024-03-01T10:00:00+08:00', status: 'paid', ...over,
  });
  const scoreOf = async (externalUserId: string) => (await call('GET', `/api/scores/${externalUserId}`)).body;

  it('are imported idempotently: the same payload twice changes nothing, a changed amount updates', async () => {
    const p = `o${seq++}-`;
    const payload = [order(`${p}1`), order(`${p}2`, { amount: 20 }), order(`${p}3`, { status: 'refunded', items: [{ sku: 'x', qty: 1 }] })];
    expect((await call('POST', '/api/orders', payload)).body).toEqual({ inserted: 3, updated: 0, unchanged: 0, rejected: [] });
    expect((await call('POST', '/api/orders', payload)).body).toEqual({ inserted: 0, updated: 0, unchanged: 3, rejected: [] });
    // 20 and "20.00" are the same amount.
    payload[1] = order(`${p}2`, { amount: '20.00' });
    payload[0] = order(`${p}1`, { amount: '100.51' });
    expect((await call('POST', '/api/orders', { orders: payload })).body).toEqual({ inserted: 0, updated: 1, unchanged: 2, rejected: [] });
  });

  it('keep the good rows and report the bad ones by index', async () => {
    const p = `b${seq++}-`;
    const res = await call('POST', '/api/orders', [
      order(`${p}1`),
      order(`${p}2`, { amount: '-1' }),
      order(`${p}3`, { amount: '1.234', status: 'lost', orderedAt: 'yesterday' }),
      'not an order',
      order(`${p}4`, { externalUserId: '' }),
      order(`${p}1`, { amount: '3' }),
      order(`${p}5`, { currency: undefined, status: undefined }),
      order(`${p}6`, { orderedAt: '2024-02-31' }),
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ inserted: 2, updated: 0, unchanged: 0 });
    expect(res.body.rejected.map((r: any) => [r.index, r.code])).toEqual([
      [1, 'invalid_order'], [2, 'invalid_order'], [3, 'invalid_order'], [4, 'invalid_order'], [5, 'duplicate_order'], [7, 'invalid_order'],
    ]);
    expect(res.body.rejected[0].errors).toEqual(['amount: "-1" is not a number ≥ 0 with at most 2 decimals']);
    expect(res.body.rejected[1].errors).toEqual([expect.stringMatching(/^amount:/), expect.stringMatching(/^orderedAt:/), expect.stringMatching(/^status: "lost"/)]);
    expect(res.body.rejected[2].errors).toEqual(['row: must be an object']);
    expect(res.body.rejected[3].errors).toEqual(['externalUserId: required']);
    expect(res.body.rejected[4].errors[0]).toMatch(/more than once/);
    // A day that does not exist is not read as another day.
    expect(res.body.rejected[5].errors[0]).toMatch(/^orderedAt: "2024-02-31" is not an ISO-8601 date/);
  });

  it('of customers the ledger does not know are rejected per row unless allowUnknown; kept ones count once the customer exists', async () => {
    const p = `u${seq++}-`;
    const stranger = `wmNOSUCHCUSTOMER${seq++}`;
    const rows = [order(`${p}1`), order(`${p}2`, { externalUserId: stranger, amount: '30.00' }), order(`${p}3`, { externalUserId: stranger, amount: 'x' })];
    const strict = await call('POST', '/api/orders', rows);
    expect(strict.status).toBe(200);
    expect(strict.body).toMatchObject({ inserted: 1, unchanged: 0 });
    expect(strict.body.rejected).toEqual([
      { index: 1, code: 'unknown_customer', errors: [expect.stringContaining(`no customer "${stranger}" in the ledger`)] },
      { index: 2, code: 'invalid_order', errors: [expect.stringMatching(/^amount:/)] },
    ]);
    expect((await database.db.select().from(orders).where(and(eq(orders.corpId, corpId), eq(orders.externalUserId, stranger))))).toEqual([]);

    // Kept on request; the customer appears later (a sync, a callback) and the next recompute counts the order.
    const kept = await call('POST', '/api/orders', { orders: rows, allowUnknown: true });
    expect(kept.body).toMatchObject({ inserted: 1, unchanged: 1, rejected: [{ index: 2, code: 'invalid_order' }] });
    await upsertContacts(database.db, corpId, [{ externalUserId: stranger, name: 'Late Customer' }]);
    await applyRelations(database.db, corpId, [{ userId: 'rep_a', externalUserId: stranger }], { cause: 'sync', at: new Date() });
    expect((await call('POST', '/api/scores/recompute')).status).toBe(200);
    expect(await scoreOf(stranger)).toMatchObject({ frequency: 1, monetary: '30.00' });
  });

  it('take a full batch of 5000 in one request, although that is more than the 1 MB other routes accept', async () => {
    const p = `f${seq++}-`;
    const batch = Array.from({ length: 5000 }, (_, i) => order(`${p}${i}`, { items: [{ sku: `sku-${i}`, qty: 1, note: 'x'.repeat(120) }] }));
    expect(Buffer.byteLength(JSON.stringify(batch))).toBeGreaterThan(1024 * 1024);
    const res = await call('POST', '/api/orders', batch);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ inserted: 5000, rejected: [] });
    // Other routes keep the 1 MB bound.
    const big = await call('POST', '/api/segments/preview', { rule: { all: [] }, pad: 'x'.repeat(1024 * 1024 + 1) });
    expect(big.status).toBe(413);
  });

  it('answer 400 for a body that is neither an array nor { orders, allowUnknown }', async () => {
    const notArray = await call('POST', '/api/orders', { rows: [] });
    expect(notArray.status).toBe(400);
    expect(notArray.body.error).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('the body must be a JSON array of orders') });
    expect((await call('POST', '/api/orders', '{bad json')).status).toBe(400);
    const tooMany = await call('POST', '/api/orders', Array.from({ length: 5001 }, () => 0));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/at most 5000/);
    const badFlag = await call('POST', '/api/orders', { orders: [], allowUnknown: 'yes' });
    expect(badFlag.status).toBe(400);
    expect(badFlag.body.error.message).toMatch(/allowUnknown/);
  });

  it('are documented with the row schema the import checks them with', async () => {
    const doc = (await call('GET', '/api/openapi.json')).body;
    const body = doc.paths['/api/orders'].post.requestBody.content['application/json'].schema;
    const arrays = [body, ...(body.anyOf ?? [])].flatMap((s: any) => [s, s.properties?.orders]).filter((s: any) => s?.type === 'array');
    expect(arrays.length).toBeGreaterThan(0);
    for (const a of arrays) {
      expect(a.items).toMatchObject({
        type: 'object',
        required: expect.arrayContaining(['externalOrderId', 'externalUserId', 'amount', 'orderedAt']),
        properties: expect.objectContaining({ status: expect.objectContaining({ enum: ['paid', 'refunded', 'cancelled'], default: 'paid' }) }),
      });
    }
  });
});

describe('timeline', () => {
  it('merges every source newest first and pages across types without gaps or repeats', async () => {
    const c = await customer('Timeline Customer', 'rep_t1');
    const base = Date.now() - 10 * 24 * HOUR;
    const t = (h: number) => new Date(base + h * HOUR).toISOString();
    await call('POST', `/api/contacts/${c}/follow-ups`, { userId: 'rep_t1', channel: 'visit', content: 'first visit', at: t(1) });
    await call('POST', `/api/contacts/${c}/complaints`, { content: 'too slow', openedAt: t(2) });
    await call('POST', '/api/orders', [
      { externalOrderId: `tl${seq++}`, externalUserId: c, amount: 9, currency: 'CNY', orderedAt: t(3), status: 'paid' },
      // Same instant as the next follow-up: the tie is broken by source, stably.
      { externalOrderId: `tl${seq++}`, externalUserId: c, amount: 10, currency: 'CNY', orderedAt: t(4), status: 'paid' },
    ]);
    await call('POST', `/api/contacts/${c}/follow-ups`, { userId: 'rep_t1', channel: 'phone', content: 'same time as an order', at: t(4) });
    await database.db.insert(stageChanges).values({ corpId, externalUserId: c, fromStage: 'new', toStage: 'growing', at: new Date(t(5)) });
    const event: WeComEvent = {
      kind: 'external_chat', changeType: 'update', chatId: 'wrchat1', updateDetail: 'add_member', memChangeList: [c, 'rep_t1'],
      createTime: Math.floor(new Date(t(6)).getTime() / 1000), toUserName: corpId, fromUserName: 'sys',
    };
    await recordInteractionsFor(database.db, event, { corpId, eventId: 424242 });
    await recordInteractionsFor(database.db, event, { corpId, eventId: 424242 }); // a replay adds nothing
    expect(await database.db.select().from(interactions).where(and(eq(interactions.corpId, corpId), eq(interactions.externalUserId, c)))).toHaveLength(1);
    // A handover moves the customer to another rep (newest: the ledger writes history at now).
    await endRelation(database.db, corpId, 'rep_t1', c, 'transferred', { cause: 'handover', at: new Date() });

    const full = await call('GET', `/api/contacts/${c}/timeline?limit=50`);
    expect(full.status).toBe(200);
    const kinds = full.body.items.map((i: any) => `${i.source}:${i.kind}`);
    expect(kinds).toEqual([
      'relation:handover', 'relation:added', 'interaction:group_join', 'stage_change:stage_change',
      'order:order', 'follow_up:follow_up', 'order:order', 'complaint:complaint', 'follow_up:follow_up',
    ]);
    // relation:added happened at "now" too, before the handover; both are newer than the seeded past.
    const ats = full.body.items.map((i: any) => i.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    expect(full.body.nextCursor).toBeNull();

    // Pages of 2 walk the same list.
    const walked: string[] = [];
    let before: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = await call('GET', `/api/contacts/${c}/timeline?limit=2${before ? `&before=${encodeURIComponent(before)}` : ''}`);
      walked.push(...page.body.items.map((x: any) => x.cursor));
      before = page.body.nextCursor;
      if (!before) break;
    }
    expect(walked).toEqual(full.body.items.map((x: any) => x.cursor));

    expect((await call('GET', `/api/contacts/${c}/timeline?before=garbage`)).status).toBe(400);
    expect((await call('GET', '/api/contacts/wmnobody/timeline')).status).toBe(404);
  });
});
