/**
 * `npm run bench:handover`: 10 reps leave holding about 10,000 customers and
 * 200 groups between them; each gets a resigned-transfer plan to five
 * colleagues (balanced by load), which is confirmed, sent and polled until
 * every item is final. 5% of customers refuse (the simulator's refusal rate).
 *
 * Prints the WeCom calls made per API against the lower bound the API's
 * limits allow, wall time per stage (WeCom's 24 h wait is simulated time, not
 * counted) and peak RSS. Runs on DATABASE_URL when set (a fresh database,
 * dropped after), else on in-memory PGlite. BENCH_LEAVERS / BENCH_TAKEOVERS /
 * BENCH_CUSTOMERS / BENCH_GROUPS resize it.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { systemClock } from '../../src/lib/clock';
import { confirmHandover, planHandover, pollHandoverResults, sendHandoverBatch, syncUnassigned } from '../../src/handover';
import { SyncWorker } from '../../src/jobs/syncWorker';
import { requestFullSync } from '../../src/ledger';
import { createLogger } from '../../src/lib/logger';
import { benchDatabase } from './benchDatabase';
import { createWeComClient } from '../../src/wecom/client';
import { createSimulator } from '../../src/simulator';

const int = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const LEAVERS = int('BENCH_LEAVERS', 10);
const TAKEOVERS = int('BENCH_TAKEOVERS', 5);
const TARGET_CUSTOMERS = int('BENCH_CUSTOMERS', 10_000);
const TARGET_GROUPS = int('BENCH_GROUPS', 200);
const REFUSAL_RATE = 0.05;


const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function main() {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const corpId = 'wwbench00000handover';
  // A world where LEAVERS reps hold about TARGET_CUSTOMERS customers: 4× the
  // reps, and customers sized so the leavers' share comes out near the target.
  const employees = LEAVERS * 4;
  const sim = createSimulator({
    corpId, agentId: 1000002, secrets: { contact: 'bench-contact', agent: 'bench-agent' },
    callback: { token: 'benchtoken', aesKey: randomBytes(32).toString('base64').slice(0, 43).replace(/[+/]/g, 'q') },
    seed: 7, counts: { employees, customers: TARGET_CUSTOMERS * 3, groups: TARGET_GROUPS * 4, departments: 5, tagGroups: 2, tags: 10 },
    // Only advanceTime moves WeCom's clock: the 24 h wait is simulated.
    clock: { now: () => new Date('2026-11-02T02:00:00Z') },
    logger: createLogger('silent'),
    settings: { transferRefusalRate: REFUSAL_RATE },
  });
  const { url } = await sim.listen(0);
  const { database, label, drop } = await benchDatabase();
  await database.migrate();
  const db = database.db;
  const log = createLogger('silent');
  const client = createWeComClient(
    { corpId, WECOM_API_BASE: url, WECOM_CONTACT_SECRET: 'bench-contact', WECOM_AGENT_SECRET: 'bench-agent', WECOM_AGENT_ID: '1000002' },
    db, log,
  );
  await requestFullSync(db, corpId, 'bench');
  await new SyncWorker({ db, corpId, client, log }).runOnce();

  // The leavers: reps picked greedily until they hold about the target customers and groups.
  const t = sim.truth();
  const load = (u: string) => t.relations.filter((r) => r.userid === u).length;
  const groupsOf = (u: string) => t.groups.filter((g) => g.owner === u && !g.dismissed).length;
  const reps = t.employees.filter((e) => e.customerContact && e.leftAt === undefined).map((e) => e.userid);
  const byLoad = [...reps].sort((a, b) => load(b) - load(a) || a.localeCompare(b));
  const perLeaver = TARGET_CUSTOMERS / LEAVERS;
  const leavers = [...reps].sort((a, b) => Math.abs(load(a) - perLeaver) - Math.abs(load(b) - perLeaver) || a.localeCompare(b)).slice(0, LEAVERS);
  const takeovers = byLoad.filter((u) => !leavers.includes(u)).slice(-TAKEOVERS);
  const customers = leavers.reduce((n, u) => n + load(u), 0);
  const groups = leavers.reduce((n, u) => n + groupsOf(u), 0);
  for (const u of leavers) sim.employeeLeaves({ userid: u, deliver: 'drop' });
  await syncUnassigned(db, client, corpId, systemClock.now());
  sim.calls.reset();

  let started = process.hrtime.bigint();
  const planIds: number[] = [];
  for (const from of leavers) {
    planIds.push(await db.transaction(async (tx) => {
      const id = await planHandover(tx, { fromUserId: from, takeoverUserIds: takeovers, rule: 'balance', customers: { mode: 'all' }, groups: { mode: 'all' } },
        { scope: corpScope(corpId), actor: 'bench', now: new Date(), customerCap: 50_000 });
      await confirmHandover(tx, corpScope(corpId), id, 'bench', new Date());
      return id;
    }));
  }
  const planSeconds = seconds(started);

  // Send everything due, let WeCom's 24 h pass, poll to final; again for what
  // WeCom asked us to retry later (a customer shared by two leavers is in one
  // transfer at a time) — our retry clock is moved on in step with WeCom's.
  let sendSeconds = 0;
  let pollSeconds = 0;
  let rounds = 0;
  for (;;) {
    rounds++;
    started = process.hrtime.bigint();
    while ((await sendHandoverBatch(db, client, corpId, 'bench', systemClock, 'zh-CN')) > 0);
    sendSeconds += seconds(started);
    sim.advanceTime(25 * 3600_000);
    started = process.hrtime.bigint();
    await pollHandoverResults(db, client, corpId, systemClock, 'zh-CN');
    pollSeconds += seconds(started);
    const [open] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from handover_items where corp_id = ${corpId} and status in ('pending', 'waiting', 'planned')`));
    if (open!.n === 0 || rounds >= 5) break;
    await db.execute(sql`update handover_items set available_at = now() where corp_id = ${corpId} and status = 'pending'`);
  }
  clearInterval(sampler);

  const outcomes = rowsOf<{ type: string; status: string; n: number }>(await db.execute(sql`
    select type, status, count(*)::int as n from handover_items where corp_id = ${corpId} group by 1, 2 order by 1, 2`));
  const plans = rowsOf<{ status: string; n: number }>(await db.execute(sql`
    select status, count(*)::int as n from handover_plans where corp_id = ${corpId} group by 1`));

  // Agreement: every succeeded customer item is owned by its takeover in WeCom and in the ledger.
  const truth = sim.truth();
  const owns = new Set(truth.relations.map((r) => `${r.userid}|${r.external_userid}`));
  const succeeded = rowsOf<{ to_user_id: string; target_id: string; type: string }>(await db.execute(sql`
    select to_user_id, target_id, type from handover_items where corp_id = ${corpId} and status = 'succeeded'`));
  const ledgerOwns = new Set(rowsOf<{ k: string }>(await db.execute(sql`
    select user_id || '|' || external_user_id as k from relations where corp_id = ${corpId} and status = 'active'`)).map((r) => r.k));
  const groupOwner = new Map(truth.groups.map((g) => [g.chat_id, g.owner]));
  const disagreements = succeeded.filter((i) => i.type === 'customer'
    ? !owns.has(`${i.to_user_id}|${i.target_id}`) || !ledgerOwns.has(`${i.to_user_id}|${i.target_id}`)
    : groupOwner.get(i.target_id) !== i.to_user_id).length;

  // The lower bound: one transfer call per 100 customers (or groups) of each
  // (leaver, takeover) pair, one result page per 1000 of a pair, one group list
  // per takeover — per round, as a retried customer needs a call of its own.
  const pairs = rowsOf<{ type: string; n: number }>(await db.execute(sql`
    select type, count(*)::int as n from handover_items where corp_id = ${corpId} and sent_at is not null group by type, from_user_id, to_user_id`));
  const groupTakeovers = rowsOf<{ n: number }>(await db.execute(sql`
    select count(distinct to_user_id)::int as n from handover_items where corp_id = ${corpId} and type = 'group' and sent_at is not null`))[0]!.n;
  const custPairs = pairs.filter((p) => p.type === 'customer');
  // A customer shared by leavers is in one transfer at a time: each later one is a call of another day.
  const later = rowsOf<{ n: number }>(await db.execute(sql`
    select count(*)::int as n from (
      select from_user_id, to_user_id, row_number() over (partition by target_id order by final_at, id) as k
      from handover_items where corp_id = ${corpId} and type = 'customer' and sent_at is not null) x
    where k > 1 group by from_user_id, to_user_id`));
  const retried = later.reduce((n, p) => n + p.n, 0);
  const bound: Record<string, number> = {
    'externalcontact/resigned/transfer_customer': custPairs.reduce((n, p) => n + Math.ceil(p.n / 100), 0) + later.reduce((n, p) => n + Math.ceil(p.n / 100), 0),
    'externalcontact/resigned/transfer_result': custPairs.reduce((n, p) => n + Math.ceil(p.n / 1000), 0) + later.length,
    'externalcontact/groupchat/transfer': pairs.filter((p) => p.type === 'group').reduce((n, p) => n + Math.ceil(p.n / 100), 0),
    'externalcontact/groupchat/list': groupTakeovers,
  };
  const made = sim.calls.snapshot().byApi;
  const rows = Object.keys({ ...bound, ...made }).filter((api) => api !== 'gettoken').sort()
    .map((api) => ({ api, made: made[api] ?? 0, bound: bound[api] ?? 0 }));
  const totalMade = rows.reduce((n, r) => n + r.made, 0);
  const totalBound = rows.reduce((n, r) => n + r.bound, 0);

  const out = [
    `bench:handover on ${label}: ${LEAVERS} reps leave with ${customers} customers and ${groups} groups → ${TAKEOVERS} takeovers (balance); refusal rate ${REFUSAL_RATE * 100}%`,
    '',
    '| API | calls | lower bound |',
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.api} | ${r.made} | ${r.bound} |`),
    `| **total** | **${totalMade}** | **${totalBound}** (+${(((totalMade - totalBound) / totalBound) * 100).toFixed(1)}%) |`,
    '',
    `plans: ${plans.map((p) => `${p.n} ${p.status}`).join(', ')} · items: ${outcomes.map((o) => `${o.type} ${o.status} ${o.n}`).join(', ')}`,
    `customers shared with another leaver (one transfer at a time), sent again a day later: ${retried}`,
    `ledger/simulator disagreements on succeeded items: ${disagreements}`,
    `plan + preflight + confirm ${planSeconds.toFixed(2)} s · send ${sendSeconds.toFixed(2)} s · poll ${pollSeconds.toFixed(2)} s (${rounds} simulated day${rounds > 1 ? 's' : ''}) · ${Math.round((customers + groups) / (planSeconds + sendSeconds + pollSeconds))} items/s · peak RSS ${Math.round(peakRss / 1048576)} MB (service + simulator in one process)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  await database.close();
  await drop();
  await sim.close();
  if (disagreements > 0) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
