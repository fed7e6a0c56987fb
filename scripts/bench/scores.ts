/**
 * `npm run bench:scores`: BENCH_CUSTOMERS customers (default 1,000,000), one
 * relation each and 5 orders each (some refunded), seeded with
 * generate_series; then times ONE hand-written statement computing the same
 * RFM scores (same tie rule) twice — into a temporary table (pure compute) and
 * into a plain table of the same shape with its primary key (compute + store,
 * like for like) — and recomputeScores (first run into the empty table, then
 * a rerun with nothing changed), recomputeStages, and a segment preview of a
 * three-condition rule through previewSegment, and prints the ratios (goal
 * ≤ 1.5×; preview < 1 s). A checkpoint before each write keeps one step's WAL
 * from being flushed on the next one's clock. Runs on DATABASE_URL when set
 * (a fresh database, dropped after), else on in-memory PGlite.
 */
import { sql } from 'drizzle-orm';
import { recomputeScores, recomputeStages, SCORES_WORK_MEM } from '../../src/archive';
import type { Db } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { parseRule, previewSegment } from '../../src/segments';
import { benchDatabase } from './benchDatabase';
import { formatLoopDelay, watchLoopDelay } from './loopDelay';

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
    insert into external_contacts (corp_id, external_user_id, name, connected)
    select ${CORP}, 'wm' || g, 'customer ' || g, g % 23 <> 0 from generate_series(1, ${CUSTOMERS}) g`);
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
  // A settled table has been vacuumed by autovacuum (statistics and visibility map); a fresh load has not.
  await db.execute(sql`vacuum analyze`);
}

/** Flushes dirty pages so the next timed step does not pay for the previous one's writes. */
const settle = (db: Db) => db.execute(sql`checkpoint`).catch(() => undefined);

/**
 * The same scores as recomputeScores (minus the tier), as one hand-written statement: `into` is the table that
 * receives them — a temp table (pure compute) or a plain table keyed like customer_scores, (corp_id, external_user_id).
 */
const handWritten = (db: Db, into: 'temp' | 'table') => {
  const scores = sql`
    with agg as (
      select o.external_user_id, count(*) as frequency, sum(o.amount) as monetary, max(o.ordered_at) as last_order_at,
             floor(extract(epoch from (${NOW.toISOString()}::timestamptz - max(o.ordered_at))) / 86400)::int as recency_days
      from orders o join external_contacts c using (corp_id, external_user_id)
      where o.corp_id = ${CORP} and o.status = 'paid' group by o.external_user_id),
    n as (select count(*) as n from agg)
    select ${CORP} as corp_id, a.external_user_id, a.last_order_at, a.frequency, a.monetary,
           1 + 5 * (rank() over (order by recency_days desc) - 1) / n.n as r,
           1 + 5 * (rank() over (order by frequency) - 1) / n.n as f,
           1 + 5 * (rank() over (order by monetary) - 1) / n.n as m
    from agg a, n`;
  // Same sort memory as recomputeScores gives itself, so the two are measured alike.
  return db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local work_mem = '${SCORES_WORK_MEM}'`));
    await tx.execute(into === 'temp' ? sql`create temporary table hand_scores on commit drop as ${scores}` : sql`insert into hand_scores_table ${scores}`);
  });
};

async function main() {
  const { database, label, drop } = await benchDatabase();
  try {
    await database.migrate();
    console.log(`bench:scores on ${label}: ${CUSTOMERS.toLocaleString()} customers, ${ORDERS_PER_CUSTOMER} orders each (90% of them)`);
    const db = database.db;
    await timed('seed (generate_series)', () => seed(db));
    await settle(db);
    // The temp table lives for its transaction only; it is the pure-compute yardstick.
    const handTemp = await timed('hand-written RFM statement (temp table)', () => handWritten(db, 'temp'));
    await db.execute(sql`create table hand_scores_table (corp_id text, external_user_id text, primary key (corp_id, external_user_id), last_order_at timestamptz, frequency int, monetary numeric, r int, f int, m int)`);
    await settle(db);
    const handTable = await timed('hand-written RFM statement (table with key)', () => handWritten(db, 'table'));
    await db.execute(sql`drop table hand_scores_table`);
    await settle(db);
    // The service's own work (the recompute) shares this process's event loop; the database does not.
    const loop = watchLoopDelay();
    const first = await timed('recomputeScores (first run: every row new)', () => recomputeScores(db, CORP, NOW));
    await settle(db);
    const rerun = await timed('recomputeScores (rerun: nothing moved)', () => recomputeScores(db, CORP, NOW));
    await settle(db);
    const stages = await timed('recomputeStages (first run: every customer)', () => recomputeStages(db, CORP, NOW, 'bench'));
    await settle(db);
    await timed('recomputeStages (rerun: no changes)', () => recomputeStages(db, CORP, NOW, 'bench-2'));
    await db.execute(sql`analyze customer_scores, customer_stages`); // as recomputeArchive does after a run that moved rows
    console.log(`during the recomputes: ${formatLoopDelay(loop.stop())}`);
    console.log(`customers ${first.v.customers.toLocaleString()}, paying ${first.v.paying.toLocaleString()}, rows written ${first.v.changed.toLocaleString()} then ${rerun.v.changed.toLocaleString()}, stage changes ${stages.v.changed.toLocaleString()}`);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(`ratio, first run: ${ratio(first.s, handTable.s)} of the hand-written statement into a keyed table, ${ratio(first.s, handTemp.s)} of it into a temp table (goal ≤ 1.5×)`);
    console.log(`ratio, rerun:     ${ratio(rerun.s, handTable.s)} of the keyed-table statement, ${ratio(rerun.s, handTemp.s)} of the temp-table one`);

    const rule = parseRule({ all: [{ tier: { in: ['key', 'growth'] } }, { stage: { in: ['growing', 'mature'] } }, { lastOrder: { withinDays: 180 } }] });
    await timed('segment preview (3 conditions), cold', () => previewSegment(db, corpScope(CORP), rule, NOW));
    const preview = await timed('segment preview (3 conditions), warm', () => previewSegment(db, corpScope(CORP), rule, NOW));
    console.log(`segment preview matched ${preview.v.count.toLocaleString()} customers (goal < 1 s)`);
  } finally {
    await database.close();
    await drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
