/**
 * `npm run bench:scores`: BENCH_CUSTOMERS customers (default 1,000,000), one
 * relation each and 5 orders each (some refunded), seeded with
 * generate_series; then times recomputeScores and recomputeStages, and ONE
 * hand-written statement computing the same RFM scores (ntile-free, same
 * tie rule) into a temporary table, in the same run, and prints the ratio
 * (goal ≤ 1.5×). Also times a preview (count) of a three-condition segment
 * rule. Runs on DATABASE_URL when set (a fresh database, dropped after), else
 * on in-memory PGlite.
 */
import { sql } from 'drizzle-orm';
import { recomputeScores, recomputeStages } from '../../src/archive';
import { rowsOf, type Db } from '../../src/db/connection';
import { compileRule, parseRule } from '../../src/segments';
import { benchDatabase } from './benchDatabase';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 1_000_000);
const ORDERS_PER_CUSTOMER = 5;
const CORP = 'wwbench000000000score';
const NOW = new Date('2025-01-01T00:00:00Z');

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
async function timed<T>(label: string, f: () => Promise<T>): Promise<{ s: number; v: T }> {
  const t = process.hrtime.bigint();
  const v = await f();
  const s = seconds(t);
  console.log(`${label.padEnd(44)} ${s.toFixed(2)} s`);
  return { s, v };
}

async function seed(db: Db) {
  const now = sql`${NOW.toISOString()}::timestamptz`;
  await db.execute(sql`
    insert into external_contacts (corp_id, external_user_id, name)
    select ${CORP}, 'wm' || g, 'customer ' || g from generate_series(1, ${CUSTOMERS}) g`);
  await db.execute(sql`
    insert into relations (corp_id, user_id, external_user_id, status, added_at, status_changed_at)
    select ${CORP}, 'rep' || (g % 200), 'wm' || g, case when g % 23 = 0 then 'removed_by_customer' else 'active' end,
           ${now} - make_interval(days => (g % 700)), ${now} - make_interval(days => (g % 700))
    from generate_series(1, ${CUSTOMERS}) g`);
  // 5 orders per customer, except every 10th customer has none; amounts and dates spread by a cheap hash.
  await db.execute(sql`
    insert into orders (corp_id, external_order_id, external_user_id, amount, ordered_at, status, source)
    select ${CORP}, 'o' || g || '-' || k, 'wm' || g, ((g * 7919 + k * 104729) % 100000) / 100.0,
           ${now} - make_interval(days => ((g * 31 + k * 97) % 720)::int),
           case when (g + k) % 17 = 0 then 'refunded' else 'paid' end, 'api'
    from generate_series(1::bigint, ${CUSTOMERS}::bigint) g, generate_series(1::bigint, ${ORDERS_PER_CUSTOMER}::bigint) k
    where g % 10 <> 0`);
  await db.execute(sql`analyze`);
}

/** The same scores as recomputeScores, as one hand-written statement into a temporary table (the yardstick). */
const handWritten = (db: Db) =>
  db.execute(sql`
    create temporary table hand_scores as
    with agg as (
      select o.external_user_id, count(*) as frequency, sum(o.amount) as monetary,
             floor(extract(epoch from (${NOW.toISOString()}::timestamptz - max(o.ordered_at))) / 86400)::int as recency_days
      from orders o join external_contacts c using (corp_id, external_user_id)
      where o.corp_id = ${CORP} and o.status = 'paid' group by o.external_user_id),
    n as (select count(*) as n from agg)
    select a.*, 1 + 5 * (rank() over (order by recency_days desc) - 1) / n.n as r,
                1 + 5 * (rank() over (order by frequency) - 1) / n.n as f,
                1 + 5 * (rank() over (order by monetary) - 1) / n.n as m
    from agg a, n`);

async function main() {
  const { database, label, drop } = await benchDatabase();
  try {
    await database.migrate();
    console.log(`bench:scores on ${label}: ${CUSTOMERS.toLocaleString()} customers, ${ORDERS_PER_CUSTOMER} orders each (90% of them)`);
    const db = database.db;
    await timed('seed (generate_series)', () => seed(db));
    const scores = await timed('recomputeScores (upsert into customer_scores)', () => recomputeScores(db, CORP, NOW));
    const stages = await timed('recomputeStages (first run: every customer)', () => recomputeStages(db, CORP, NOW, 'bench'));
    await timed('recomputeStages (rerun: no changes)', () => recomputeStages(db, CORP, NOW, 'bench-2'));
    // The yardstick runs in one session so its temp table lives long enough; a second run warms nothing the first did not.
    const hand = await timed('hand-written RFM statement (temp table)', () => db.transaction((tx) => handWritten(tx as unknown as Db).then(() => tx.execute(sql`drop table hand_scores`))));
    const scores2 = await timed('recomputeScores (second run)', () => recomputeScores(db, CORP, NOW));
    console.log(`customers ${scores.v.customers.toLocaleString()}, paying ${scores.v.paying.toLocaleString()}, stage changes ${stages.v.changed.toLocaleString()}`);
    console.log(`ratio recomputeScores / hand-written: ${(scores.s / hand.s).toFixed(2)}× (second run ${(scores2.s / hand.s).toFixed(2)}×; goal ≤ 1.5×)`);

    const rule = parseRule({ all: [{ tier: { in: ['key', 'growth'] } }, { stage: { in: ['growing', 'mature'] } }, { lastOrder: { withinDays: 180 } }] });
    const preview = await timed('segment preview (3 conditions, count)', async () =>
      rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from (${compileRule(CORP, rule, NOW)}) s`))[0]!.n);
    console.log(`segment preview matched ${Number(preview.v).toLocaleString()} customers`);
  } finally {
    await database.close();
    await drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
