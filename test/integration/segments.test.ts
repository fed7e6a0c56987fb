import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from '../../src/db/connection';
import { rowsOf } from '../../src/db/connection';
import { importOrders, refreshOrderFacts } from '../../src/archive';
import { compileRule, parseRule } from '../../src/segments';
import { corpScope } from '../../src/db/scope';
import { getTestDb } from '../helpers/db';
import { auth, freshCorpId, startTestService, testConfig } from '../helpers/service';

const DAY = 86_400_000;
const NOW = new Date('2025-06-01T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
const INJECT = "x'); drop table orders; --";

let database: Database;
const corp = freshCorpId();
const otherCorp = freshCorpId();

async function exec(q: SQL) {
  return rowsOf<Record<string, unknown>>(await database.db.execute(q));
}

/**
 * The crafted dataset (corp `corp`):
 *  a  — rep1 (dept 2), channel poster, tags t1+t2, added 100d ago, mature, key tier r5 f4 m5, 3 paid orders (last 5d, total 300),
 *       interaction 2d ago, city Shanghai, age 35, birthday 1990-05-01, hobbies [golf, tea], level gold, in group g1, archived field set.
 *  b  — rep2 (dept 3, child of 2), channel web, tag t1, added 3d ago, new, no scores row (tier none), no orders, city 北京, age 20,
 *       left group g2.
 *  cc — rep1 active (tag t3, added 10d ago) + rep2 removed (tag t2, added 400d ago), dormant, regular r1 f2 m3, one paid order 200d
 *       ago (100) + one refunded yesterday, interaction 100d ago, city '', age "abc" (malformed), birthday 2001-12-31, hobbies [tea].
 *  d  — disconnected: only a removed relation (rep1, poster), churned, paid order 10d ago.
 *  e  — rep3 (dept 5), no tags, no channel, added_at unknown, no stage, low r2 f1 m1, city = an injection string, age 100.
 * Corp `otherCorp` has `a` again, matching nearly everything: it must never show up.
 */
async function seed(): Promise<void> {
  const contact = (c: string, id: string, name: string, connected = true) =>
    exec(sql`insert into external_contacts (corp_id, external_user_id, name, connected) values (${c}, ${id}, ${name}, ${connected})`);
  const relation = async (c: string, user: string, ext: string, status: string, state: string | null, addedAt: string | null, tags: string[]) => {
    const [row] = await exec(sql`insert into relations (corp_id, user_id, external_user_id, status, state, added_at)
      values (${c}, ${user}, ${ext}, ${status}, ${state}, ${addedAt}::timestamptz) returning id`);
    for (const t of tags) await exec(sql`insert into relation_tags (corp_id, relation_id, tag_id) values (${c}, ${row!.id}::bigint, ${t})`);
  };
  const order = (c: string, ext: string, n: string, amount: string, at: string, status = 'paid') =>
    exec(sql`insert into orders (corp_id, external_order_id, external_user_id, amount, ordered_at, status, source)
      values (${c}, ${n}, ${ext}, ${amount}::numeric, ${at}::timestamptz, ${status}, 'api')`);
  const scores = (c: string, ext: string, r: number, f: number, m: number, tier: string) =>
    exec(sql`insert into customer_scores (corp_id, external_user_id, r, f, m, tier) values (${c}, ${ext}, ${r}, ${f}, ${m}, ${tier})`);
  const stage = (c: string, ext: string, s: string) => exec(sql`insert into customer_stages (corp_id, external_user_id, stage) values (${c}, ${ext}, ${s})`);
  const interaction = (c: string, ext: string, at: string) =>
    exec(sql`insert into interactions (corp_id, external_user_id, kind, at) values (${c}, ${ext}, 'message', ${at}::timestamptz)`);
  const fieldIds: Record<string, Record<string, number>> = {};
  const defineField = async (c: string, key: string, type: string, archived = false) => {
    const [row] = await exec(sql`insert into custom_fields (corp_id, key, label, type, archived_at)
      values (${c}, ${key}, ${key}, ${type}, ${archived ? NOW.toISOString() : null}::timestamptz) returning id`);
    (fieldIds[c] ??= {})[key] = Number(row!.id);
  };
  const value = (c: string, ext: string, key: string, v: unknown) =>
    exec(sql`insert into custom_field_values (corp_id, external_user_id, field_id, value) values (${c}, ${ext}, ${fieldIds[c]![key]!}::bigint, ${JSON.stringify(v)}::jsonb)`);

  for (const c of [corp, otherCorp]) {
    await exec(sql`insert into departments (corp_id, id, name, parent_id) values (${c}, 1, 'root', null), (${c}, 2, 'sales', 1), (${c}, 3, 'sales east', 2), (${c}, 5, 'support', 1)`);
    await exec(sql`insert into employees (corp_id, user_id, name, department_ids) values
      (${c}, 'rep1', 'Rep One', '{2}'), (${c}, 'rep2', 'Rep Two', '{3}'), (${c}, 'rep3', 'Rep Three', '{5}')`);
    await exec(sql`insert into customer_groups (corp_id, chat_id, name, status) values (${c}, 'g1', 'G1', 'active'), (${c}, 'g2', 'G2', 'active')`);
    for (const [k, t] of [['city', 'text'], ['age', 'number'], ['birthday', 'date'], ['hobbies', 'multi_select'], ['level', 'select']] as const) await defineField(c, k, t);
    await defineField(c, 'old', 'text', true);
  }

  await contact(corp, 'a', 'Alice');
  await relation(corp, 'rep1', 'a', 'active', 'poster', ago(100), ['t1', 't2']);
  await stage(corp, 'a', 'mature');
  await scores(corp, 'a', 5, 4, 5, 'key');
  await order(corp, 'a', 'o-a1', '100', ago(50));
  await order(corp, 'a', 'o-a2', '100', ago(20));
  await order(corp, 'a', 'o-a3', '100', ago(5));
  await interaction(corp, 'a', ago(2));
  await value(corp, 'a', 'city', 'Shanghai');
  await value(corp, 'a', 'age', 35);
  await value(corp, 'a', 'birthday', '1990-05-01');
  await value(corp, 'a', 'hobbies', ['golf', 'tea']);
  await value(corp, 'a', 'level', 'gold');
  await value(corp, 'a', 'old', 'kept');
  await exec(sql`insert into group_members (corp_id, chat_id, member_id, type, status) values (${corp}, 'g1', 'a', 2, 'active')`);

  await contact(corp, 'b', '北京客户');
  await relation(corp, 'rep2', 'b', 'active', 'web', ago(3), ['t1']);
  await stage(corp, 'b', 'new');
  await value(corp, 'b', 'city', '北京');
  await value(corp, 'b', 'age', 20);
  await exec(sql`insert into group_members (corp_id, chat_id, member_id, type, status, left_at) values (${corp}, 'g2', 'b', 2, 'left', now())`);

  await contact(corp, 'cc', 'Carol');
  await relation(corp, 'rep1', 'cc', 'active', null, ago(10), ['t3']);
  await relation(corp, 'rep2', 'cc', 'removed_by_rep', 'web-old', ago(400), ['t2']);
  await stage(corp, 'cc', 'dormant');
  await scores(corp, 'cc', 1, 2, 3, 'regular');
  await order(corp, 'cc', 'o-c1', '100', ago(200));
  await order(corp, 'cc', 'o-c2', '5000', ago(1), 'refunded');
  await interaction(corp, 'cc', ago(100));
  await value(corp, 'cc', 'city', '');
  await value(corp, 'cc', 'age', 'abc');
  await value(corp, 'cc', 'birthday', '2001-12-31');
  await value(corp, 'cc', 'hobbies', ['tea']);

  await contact(corp, 'd', 'Dave', false);
  await relation(corp, 'rep1', 'd', 'removed_by_customer', 'poster', ago(300), ['t1']);
  await stage(corp, 'd', 'churned');
  await order(corp, 'd', 'o-d1', '80', ago(10));

  await contact(corp, 'e', INJECT);
  await relation(corp, 'rep3', 'e', 'active', null, null, []);
  await scores(corp, 'e', 2, 1, 1, 'low');
  await value(corp, 'e', 'city', INJECT);
  await value(corp, 'e', 'age', 100);

  // The other corp: `a` with everything.
  await contact(otherCorp, 'a', 'Other Alice');
  await relation(otherCorp, 'rep1', 'a', 'active', 'poster', ago(3), ['t1', 't2', 't3']);
  await stage(otherCorp, 'a', 'new');
  await scores(otherCorp, 'a', 5, 5, 5, 'key');
  await order(otherCorp, 'a', 'o-z', '999', ago(1));
  await value(otherCorp, 'a', 'city', 'Shanghai');
  await contact(otherCorp, 'zz', 'Zed');
  await relation(otherCorp, 'rep1', 'zz', 'active', 'web', ago(3), ['t1']);
  // Orders were written behind importOrders' back: bring the order facts up to date as an import does.
  await refreshOrderFacts(database.db, corp, ['a', 'b', 'cc', 'd', 'e']);
  await refreshOrderFacts(database.db, otherCorp, ['a', 'zz']);
}

async function matches(rule: unknown, opts: { includeDisconnected?: boolean } = {}): Promise<string[]> {
  const rows = await exec(compileRule(corp, parseRule(rule), NOW, opts));
  return rows.map((r) => String(r.external_user_id)).sort();
}

beforeAll(async () => {
  database = await getTestDb();
  await seed();
});
afterAll(() => database.close());

describe('segment rules over the crafted dataset', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['tag hasAny t1', { tag: { hasAny: ['t1'] } }, ['a', 'b']],
    ['tag hasAny t2 (a removed relation\'s tag does not count)', { tag: { hasAny: ['t2'] } }, ['a']],
    ['tag hasAll t1 t2', { tag: { hasAll: ['t1', 't2'] } }, ['a']],
    ['tag hasAll t1 t3', { tag: { hasAll: ['t1', 't3'] } }, []],
    ['tag hasNone t1', { tag: { hasNone: ['t1'] } }, ['cc', 'e']],
    ['stage new/dormant', { stage: { in: ['new', 'dormant'] } }, ['b', 'cc']],
    ['stage churned (disconnected only)', { stage: { in: ['churned'] } }, []],
    ['tier key', { tier: { in: ['key'] } }, ['a']],
    ['tier none (no scores row)', { tier: { in: ['none'] } }, ['b']],
    ['tier regular/low', { tier: { in: ['regular', 'low'] } }, ['cc', 'e']],
    ['score r gte 4', { score: { r: { gte: 4 } } }, ['a']],
    ['score f lte 2', { score: { f: { lte: 2 } } }, ['cc', 'e']],
    ['score m eq 1', { score: { m: { eq: 1 } } }, ['e']],
    ['score r 1..2', { score: { r: { gte: 1, lte: 2 } } }, ['cc', 'e']],
    ['score r and m', { score: { r: { gte: 1 }, m: { gte: 3 } } }, ['a', 'cc']],
    ['owner rep1', { owner: { in: ['rep1'] } }, ['a', 'cc']],
    ['owner rep2 (active only)', { owner: { in: ['rep2'] } }, ['b']],
    ['department 2', { department: { in: [2] } }, ['a', 'cc']],
    ['department 2 with children', { department: { in: [2], includeChildren: true } }, ['a', 'b', 'cc']],
    ['department 1 with children', { department: { in: [1], includeChildren: true } }, ['a', 'b', 'cc', 'e']],
    ['department 5', { department: { in: [5] } }, ['e']],
    ['channel poster', { channel: { in: ['poster'] } }, ['a']],
    ['channel web/web-old', { channel: { in: ['web', 'web-old'] } }, ['b', 'cc']],
    ['inGroup any', { inGroup: { any: true } }, ['a']],
    ['inGroup g2 (left)', { inGroup: { chatIds: ['g2'] } }, []],
    ['inGroup g1/g2', { inGroup: { chatIds: ['g1', 'g2'] } }, ['a']],
    ['lastOrder within 30d', { lastOrder: { withinDays: 30 } }, ['a']],
    ['lastOrder older than 30d (refunds ignored)', { lastOrder: { olderThanDays: 30 } }, ['cc']],
    ['lastOrder never', { lastOrder: { never: true } }, ['b', 'e']],
    ['lastInteraction within 7d', { lastInteraction: { withinDays: 7 } }, ['a']],
    ['lastInteraction older than 30d', { lastInteraction: { olderThanDays: 30 } }, ['cc']],
    ['lastInteraction never', { lastInteraction: { never: true } }, ['b', 'e']],
    ['added within 30d (first relation)', { added: { withinDays: 30 } }, ['b']],
    ['added older than 30d', { added: { olderThanDays: 30 } }, ['a', 'cc']],
    ['orderCount gte 1', { orderCount: { gte: 1 } }, ['a', 'cc']],
    ['orderCount lte 0', { orderCount: { lte: 0 } }, ['b', 'e']],
    ['orderCount 2..3', { orderCount: { gte: 2, lte: 3 } }, ['a']],
    ['totalSpend gte 150', { totalSpend: { gte: 150 } }, ['a']],
    ['totalSpend lte 100', { totalSpend: { lte: 100 } }, ['b', 'cc', 'e']],
    ['totalSpend 50..150', { totalSpend: { gte: 50, lte: 150 } }, ['cc']],
    ['field city eq', { field: { key: 'city', op: 'eq', value: 'Shanghai' } }, ['a']],
    ['field city neq (unset counts)', { field: { key: 'city', op: 'neq', value: 'Shanghai' } }, ['b', 'cc', 'e']],
    ['field city in (unicode)', { field: { key: 'city', op: 'in', value: ['北京', 'Shanghai'] } }, ['a', 'b']],
    ['field city eq unicode', { field: { key: 'city', op: 'eq', value: '北京' } }, ['b']],
    ['field city contains (case-insensitive)', { field: { key: 'city', op: 'contains', value: 'HANG' } }, ['a']],
    ['field city isSet (empty string is unset)', { field: { key: 'city', op: 'isSet' } }, ['a', 'b', 'e']],
    ['field city notSet', { field: { key: 'city', op: 'notSet' } }, ['cc']],
    ['field age gt 30 (numbers as numbers)', { field: { key: 'age', op: 'gt', value: 30 } }, ['a', 'e']],
    ['field age gte 20', { field: { key: 'age', op: 'gte', value: 20 } }, ['a', 'b', 'e']],
    ['field age lt 50 (malformed value is no match)', { field: { key: 'age', op: 'lt', value: 50 } }, ['b', 'a'].sort()],
    ['field age lte 35', { field: { key: 'age', op: 'lte', value: 35 } }, ['a', 'b']],
    ['field age eq "35" (numeric string)', { field: { key: 'age', op: 'eq', value: '35' } }, ['a']],
    ['field age eq 35.0', { field: { key: 'age', op: 'eq', value: 35.0 } }, ['a']],
    ['field age in', { field: { key: 'age', op: 'in', value: [20, '100'] } }, ['b', 'e']],
    ['field birthday before', { field: { key: 'birthday', op: 'before', value: '2000-01-01' } }, ['a']],
    ['field birthday after', { field: { key: 'birthday', op: 'after', value: '2000-01-01' } }, ['cc']],
    ['field birthday gte', { field: { key: 'birthday', op: 'gte', value: '1990-05-01' } }, ['a', 'cc']],
    ['field birthday lt', { field: { key: 'birthday', op: 'lt', value: '1990-05-01' } }, []],
    ['field birthday lte (a number is no date)', { field: { key: 'birthday', op: 'lte', value: 20300101 } }, []],
    ['field hobbies contains tea', { field: { key: 'hobbies', op: 'contains', value: 'tea' } }, ['a', 'cc']],
    ['field hobbies contains golf', { field: { key: 'hobbies', op: 'contains', value: 'golf' } }, ['a']],
    ['field hobbies eq golf', { field: { key: 'hobbies', op: 'eq', value: 'golf' } }, ['a']],
    ['field hobbies in', { field: { key: 'hobbies', op: 'in', value: ['golf', 'chess'] } }, ['a']],
    ['field level eq (select)', { field: { key: 'level', op: 'eq', value: 'gold' } }, ['a']],
    ['field archived isSet', { field: { key: 'old', op: 'isSet' } }, []],
    ['field unknown key isSet', { field: { key: 'nope', op: 'isSet' } }, []],
    ['any of new, (key and t1)', { any: [{ stage: { in: ['new'] } }, { all: [{ tier: { in: ['key'] } }, { tag: { hasAny: ['t1'] } }] }] }, ['a', 'b']],
    ['rep1 and not mature', { all: [{ owner: { in: ['rep1'] } }, { not: { stage: { in: ['mature'] } } }] }, ['cc']],
    ['nested any in all in any', { any: [{ all: [{ any: [{ owner: { in: ['rep3'] } }, { tier: { in: ['key'] } }] }, { lastOrder: { never: true } }] }, { stage: { in: ['dormant'] } }] }, ['cc', 'e']],
    ['empty any', { any: [] }, []],
    ['empty all', { all: [] }, ['a', 'b', 'cc', 'e']],
  ];

  it.each(cases)('%s', async (_name, rule, expected) => {
    expect(await matches(rule)).toEqual(expected);
  });

  it('includes disconnected customers only when asked', async () => {
    expect(await matches({ stage: { in: ['churned'] } }, { includeDisconnected: true })).toEqual(['d']);
    expect(await matches({ all: [], includeDisconnected: true })).toEqual(['a', 'b', 'cc', 'd', 'e']);
    expect(await matches({ channel: { in: ['poster'] } }, { includeDisconnected: true })).toEqual(['a', 'd']);
  });
});

describe('values are inert', () => {
  const nasty = [INJECT, '$1', '$1::text', "\\'; select 1; --", 'a\\b\\', "'", '"', '%', '_', '🚀 上海', 'null\\u0000'];

  it('binds every value as a parameter (the SQL text is the same whatever the values)', () => {
    const compiled = (v: string) => {
      const rule = parseRule({ any: [{ field: { key: 'city', op: 'eq', value: v } }, { tag: { hasAny: [v] } }, { owner: { in: [v] } }, { channel: { in: [v] } }] });
      return new PgDialect().sqlToQuery(compileRule(corp, rule, NOW));
    };
    const baseline = compiled('plain');
    for (const v of nasty) {
      const q = compiled(v);
      expect(q.sql).toBe(baseline.sql);
      expect(q.params).toContain(v);
    }
  });

  it.each(nasty)('%j matches only literally and leaves the tables alone', async (v) => {
    const conditions = [
      { field: { key: 'city', op: 'eq', value: v } },
      { field: { key: 'city', op: 'contains', value: v } },
      { field: { key: 'city', op: 'in', value: [v] } },
      { field: { key: 'hobbies', op: 'contains', value: v } },
      { tag: { hasAny: [v] } },
      { tag: { hasAll: [v] } },
      { owner: { in: [v] } },
      { channel: { in: [v] } },
      { inGroup: { chatIds: [v] } },
    ];
    for (const c of conditions) {
      // e's city is the injection string itself: equality matches it only for that exact value, a substring for its parts.
      const f = 'field' in c ? c.field : undefined;
      const hit = f?.key === 'city' && (f.op === 'contains' ? INJECT.includes(v) : v === INJECT);
      const expected = hit ? ['e'] : [];
      expect(await matches(c)).toEqual(expected);
    }
    const [row] = await exec(sql`select to_regclass('orders') is not null as orders, to_regclass('external_contacts') is not null as contacts, (select count(*) from orders)::int as n`);
    expect(row).toEqual({ orders: true, contacts: true, n: 7 });
  });

  it('a contains with % or _ is not a LIKE pattern', async () => {
    expect(await matches({ field: { key: 'city', op: 'contains', value: '%' } })).toEqual([]);
    expect(await matches({ field: { key: 'city', op: 'contains', value: '_' } })).toEqual([]);
    expect(await matches({ field: { key: 'city', op: 'contains', value: "'); drop" } })).toEqual(['e']);
  });
});

describe('segments over HTTP', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    service = await startTestService(database, testConfig({ WECOM_CORP_ID: corp }), { worker: false });
  });
  afterAll(() => service.stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('previews count and sample', async () => {
    const res = await call('POST', '/api/segments/preview', { rule: { tag: { hasAny: ['t1'] } } });
    expect(res).toEqual({ status: 200, body: { count: 2, sample: [{ externalUserId: 'a', name: 'Alice' }, { externalUserId: 'b', name: '北京客户' }] } });
    const small = await call('POST', '/api/segments/preview', { rule: { all: [] }, sampleSize: 1, includeDisconnected: true });
    expect(small.body).toEqual({ count: 5, sample: [{ externalUserId: 'a', name: 'Alice' }] });
  });

  it('answers 400 invalid_rule naming the path', async () => {
    const res = await call('POST', '/api/segments/preview', {
      rule: { all: [{ stage: { in: ['new'] } }, { tier: { in: ['key'] } }, { field: { key: 'city', op: 'like', value: 'x' } }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_rule');
    expect(res.body.error.message).toMatch(/^all\[2\]\.field\.op: /);
  });

  it('refuses a field condition on an unknown or archived custom field, naming the path: on preview, create and update alike', async () => {
    const unknownField = { all: [{ stage: { in: ['new'] } }, { not: { field: { key: 'citty', op: 'eq', value: 'Shanghai' } } }] };
    const expectUnknown = (res: { status: number; body: any }) => {
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'invalid_rule', message: 'all[1].not.field.key: unknown custom field "citty"', details: { path: 'all[1].not.field.key' } });
    };
    expectUnknown(await call('POST', '/api/segments/preview', { rule: unknownField }));
    expectUnknown(await call('POST', '/api/segments', { name: 'Typo', rule: unknownField }));
    const archived = await call('POST', '/api/segments/preview', { rule: { field: { key: 'old', op: 'isSet' } } });
    expect(archived.status).toBe(400);
    expect(archived.body.error).toMatchObject({ code: 'invalid_rule', message: 'field.key: custom field "old" is archived', details: { path: 'field.key' } });
    // Another corp's field is no field of this one.
    await exec(sql`insert into custom_fields (corp_id, key, label, type) values (${otherCorp}, 'other_only', 'x', 'text')`);
    expect((await call('POST', '/api/segments/preview', { rule: { field: { key: 'other_only', op: 'isSet' } } })).body.error.code).toBe('invalid_rule');

    const saved = await call('POST', '/api/segments', { name: 'Shanghai', rule: { field: { key: 'city', op: 'eq', value: 'Shanghai' } } });
    expect(saved.status).toBe(201);
    expectUnknown(await call('PUT', `/api/segments/${saved.body.id}`, { rule: unknownField }));
    expect((await call('GET', `/api/segments/${saved.body.id}`)).body.rule).toEqual({ field: { key: 'city', op: 'eq', value: 'Shanghai' } });
    expect((await call('POST', '/api/segments/preview', { rule: { field: { key: 'city', op: 'eq', value: 'Shanghai' } } })).body.count).toBe(1);
    expect((await call('GET', '/api/segments')).body.items.map((x: any) => x.name)).not.toContain('Typo');
    expect((await call('DELETE', `/api/segments/${saved.body.id}`)).status).toBe(200);
  });

  it('documents rule as required on create and preview, as the server requires it', async () => {
    const doc = (await call('GET', '/api/openapi.json')).body;
    for (const path of ['/api/segments', '/api/segments/preview']) {
      const schema = doc.paths[path].post.requestBody.content['application/json'].schema;
      expect(schema.required).toContain('rule');
      expect(schema.properties.rule).toMatchObject({ type: 'object' });
    }
    expect(doc.paths['/api/segments/{id}'].put.requestBody.content['application/json'].schema.required ?? []).not.toContain('rule');
    // …and the server agrees: without a rule both answer 400.
    for (const [path, body] of [['/api/segments', { name: 'No rule' }], ['/api/segments/preview', {}]] as const) {
      const res = await call('POST', path, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^rule: /);
    }
  });

  it('creates, lists, updates, materialises, pages members and deletes', async () => {
    const created = await call('POST', '/api/segments', { name: 'Tagged t1', description: 'has t1', rule: { tag: { hasAny: ['t1'] } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Tagged t1', description: 'has t1', rule: { tag: { hasAny: ['t1'] } }, memberCount: null, materialisedAt: null });
    const id = created.body.id as number;

    expect((await call('POST', '/api/segments', { name: 'Tagged t1', rule: { all: [] } })).status).toBe(409);
    expect((await call('POST', '/api/segments', { name: 'Bad', rule: { stage: { in: ['zombie'] } } })).body.error).toMatchObject({ code: 'invalid_rule' });

    const other = await call('POST', '/api/segments', { name: 'Everyone', rule: { all: [] } });
    expect((await call('PUT', `/api/segments/${other.body.id}`, { name: 'Tagged t1' })).status).toBe(409);

    const list = await call('GET', '/api/segments');
    expect(list.body.items.map((s: any) => s.name)).toEqual(['Everyone', 'Tagged t1']);

    const mat = await call('POST', `/api/segments/${id}/materialise`);
    expect(mat.status).toBe(200);
    expect(mat.body.memberCount).toBe(2);
    expect(mat.body.materialisedAt).not.toBeNull();

    const page1 = await call('GET', `/api/segments/${id}/members?limit=1`);
    expect(page1.body.items.map((m: any) => m.externalUserId)).toEqual(['a']);
    const page2 = await call('GET', `/api/segments/${id}/members?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((m: any) => [m.externalUserId, m.name])).toEqual([['b', '北京客户']]);
    const page3 = await call('GET', `/api/segments/${id}/members?limit=1&cursor=${page2.body.nextCursor}`);
    expect(page3.body).toEqual({ items: [], nextCursor: null });

    // A changed rule, materialised again, replaces the members as a whole.
    const updated = await call('PUT', `/api/segments/${id}`, { rule: { owner: { in: ['rep1'] } } });
    expect(updated.body.rule).toEqual({ owner: { in: ['rep1'] } });
    expect((await call('PUT', `/api/segments/${id}`, { rule: { owner: {} } })).body.error.message).toMatch(/^owner\.in: /);
    const again = await call('POST', `/api/segments/${id}/materialise`);
    expect(again.body.memberCount).toBe(2);
    const members = await call('GET', `/api/segments/${id}/members`);
    expect(members.body.items.map((m: any) => m.externalUserId)).toEqual(['a', 'cc']);
    const stored = await exec(sql`select external_user_id from segment_members where segment_id = ${id}::bigint order by 1`);
    expect(stored.map((r) => r.external_user_id)).toEqual(['a', 'cc']);

    expect((await call('GET', `/api/segments/${id}`)).body.memberCount).toBe(2);
    expect(await call('DELETE', `/api/segments/${id}`)).toEqual({ status: 200, body: { deleted: true } });
    expect((await call('GET', `/api/segments/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/segments/${id}`)).status).toBe(404);
    expect(await exec(sql`select 1 from segment_members where segment_id = ${id}::bigint`)).toEqual([]);
  });
});

describe('order conditions', () => {
  it('follow order imports at once, without waiting for a recompute (moves and refunds included)', async () => {
    const c = freshCorpId();
    for (const ext of ['x', 'y']) {
      await exec(sql`insert into external_contacts (corp_id, external_user_id, name) values (${c}, ${ext}, ${ext})`);
      await exec(sql`insert into relations (corp_id, user_id, external_user_id, status, added_at) values (${c}, 'rep1', ${ext}, 'active', ${ago(300)}::timestamptz)`);
    }
    const match = async (rule: unknown) =>
      (await exec(compileRule(c, parseRule(rule), NOW))).map((r) => String(r.external_user_id)).sort();
    const order = (ext: string, status = 'paid') => ({ externalOrderId: 'o1', externalUserId: ext, amount: '10', currency: 'CNY', orderedAt: ago(2), status });

    expect(await match({ lastOrder: { never: true } })).toEqual(['x', 'y']);
    await importOrders(database.db, corpScope(c), [order('x')], 'api');
    expect(await match({ lastOrder: { withinDays: 7 } })).toEqual(['x']);
    expect(await match({ orderCount: { gte: 1 } })).toEqual(['x']);
    expect(await match({ totalSpend: { lte: 5 } })).toEqual(['y']);
    // The order moves to y: both customers' facts change.
    await importOrders(database.db, corpScope(c), [order('y')], 'api');
    expect(await match({ lastOrder: { withinDays: 7 } })).toEqual(['y']);
    expect(await match({ orderCount: { lte: 0 } })).toEqual(['x']);
    // Refunded: nobody has a paid order any more.
    await importOrders(database.db, corpScope(c), [order('y', 'refunded')], 'api');
    expect(await match({ lastOrder: { never: true } })).toEqual(['x', 'y']);
    expect(await match({ lastOrder: { olderThanDays: 1 } })).toEqual([]);
  });
});
