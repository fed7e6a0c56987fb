/**
 * `npm run bench:campaign`: ONE push to BENCH_CUSTOMERS customers (default
 * 1,000,000) across BENCH_REPS reps (default 500); every 20th customer is
 * also followed by a second rep (added earlier), so the owner rule has work.
 * The ledger is seeded with generate_series; the simulator gets the same
 * world (same ids) in a process of its own (a million relations as JS objects
 * would swamp this process's RSS figure, which is meant for our side).
 *
 * Times: planning (one set-based insert of every delivery, caps in SQL),
 * dispatch to the simulator (parallel dispatchers, one add_msg_template per
 * sender and ≤10,000 recipients), and — reps confirming at once — polling
 * every per-recipient result. Prints the WeCom calls against the lower bound
 * (Σ over senders of ⌈recipients / 10,000⌉) and peak RSS of this process
 * (which holds PGlite's whole database when DATABASE_URL is unset).
 * Runs on DATABASE_URL when set (a fresh database, dropped after), else PGlite.
 * BENCH_CUSTOMERS / BENCH_REPS / BENCH_DISPATCHERS resize it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { createLogger } from '../../src/lib/logger';
import {
  createCampaign, dispatchNextBatch, materialiseOccurrences, planNextRun, pollResultsOnce, previewCampaign, scheduleCampaign,
  CUSTOMERS_PER_CALL, type CampaignSettings,
} from '../../src/touchpoints/campaigns';
import { createWeComClient } from '../../src/wecom/client';
import { createSimulator } from '../../src/simulator';
import { benchDatabase } from './benchDatabase';

const int = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const CUSTOMERS = int('BENCH_CUSTOMERS', 1_000_000);
const REPS = int('BENCH_REPS', 500);
const DISPATCHERS = int('BENCH_DISPATCHERS', 4);
const SHARED_EVERY = 20;
const CORP = 'wwbench00000campaign';
const SECRETS = { contact: 'bench-contact', agent: 'bench-agent' };

const repId = (n: number) => `rep${n}`;
const customerId = (g: number) => `wm${g}`;
/** Relation add times: the primary rep's relation is the most recent one. */
const BASE_ADDED = Math.floor(Date.parse('2024-01-01T00:00:00Z') / 1000);

// ---------------------------------------------------------------- the simulator process

/** The child: a simulator holding exactly the ledger's world, answering stats over IPC. */
async function simulatorProcess(): Promise<void> {
  const sim = createSimulator({
    corpId: CORP, agentId: 1000002, secrets: SECRETS,
    callback: { token: 'benchtoken', aesKey: 'q'.repeat(43) },
    seed: 7, counts: { employees: 0, departments: 1, customers: 0, groups: 0, tagGroups: 0, tags: 0 },
    logger: createLogger('silent'),
    settings: { massConfirmRate: 1, massConfirmDelaySeconds: 0 },
  });
  const w = sim.world;
  for (let i = 0; i < REPS; i++) {
    w.employees.set(repId(i), {
      userid: repId(i), name: `Rep ${i}`, department: [1], main_department: 1, is_leader_in_dept: [0], order: [0], position: 'Sales',
      alias: '', direct_leader: [], status: 1, customerContact: true, consoleWelcome: false,
    });
  }
  const relation = (userid: string, external_userid: string, createtime: number) => ({
    userid, external_userid, remark: '', description: '', createtime, tag_ids: [], remark_corp_name: '', remark_mobiles: [], oper_userid: userid, add_way: 1,
  });
  for (let g = 1; g <= CUSTOMERS; g++) {
    const id = customerId(g);
    w.customers.set(id, { external_userid: id, name: `Customer ${g}`, type: 1, gender: 0, avatar: '' });
    w.addRelation(relation(repId(g % REPS), id, BASE_ADDED + 1000));
    if (g % SHARED_EVERY === 0) w.addRelation(relation(repId((g + 1) % REPS), id, BASE_ADDED));
  }
  const { url } = await sim.listen(0);
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') {
      const calls = sim.calls.snapshot();
      const received = sim.massReceivedCounts(1);
      let once = 0;
      let more = 0;
      for (const n of Object.values(received)) (n === 1 ? once++ : more++);
      process.send!({ byApi: calls.byApi, receivedOnce: once, receivedMore: more, rssMb: Math.round(process.memoryUsage().rss / 1048576) });
    }
  });
  process.send!({ url, rssMb: Math.round(process.memoryUsage().rss / 1048576) });
}

function startSimulator(): Promise<{ child: ChildProcess; url: string; rssMb: number; ask(): Promise<any> }> {
  const child = fork(__filename, ['--simulator'], {
    execArgv: ['--max-old-space-size=8192', '--import', require.resolve('tsx')], env: process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    child.once('message', (m: { url: string; rssMb: number }) => resolve({
      child, url: m.url, rssMb: m.rssMb,
      ask: () => new Promise((r) => {
        child.once('message', r);
        child.send({ cmd: 'stats' });
      }),
    }));
  });
}

// ---------------------------------------------------------------- this process

async function seedLedger(db: Db): Promise<void> {
  await db.execute(sql`
    insert into employees (corp_id, user_id, name, status, has_customer_contact, department_ids)
    select ${CORP}, 'rep' || i, 'Rep ' || i, 'active', true, '{1}' from generate_series(0, ${REPS - 1}::int) i`);
  await db.execute(sql`
    insert into external_contacts (corp_id, external_user_id, name)
    select ${CORP}, 'wm' || g, 'Customer ' || g from generate_series(1, ${CUSTOMERS}::int) g`);
  await db.execute(sql`
    insert into relations (corp_id, user_id, external_user_id, status, added_at)
    select ${CORP}, 'rep' || (g % ${REPS}::int), 'wm' || g, 'active', to_timestamp(${BASE_ADDED + 1000}::int) from generate_series(1, ${CUSTOMERS}::int) g
    union all
    select ${CORP}, 'rep' || ((g + 1) % ${REPS}::int), 'wm' || g, 'active', to_timestamp(${BASE_ADDED}::int)
    from generate_series(${SHARED_EVERY}::int, ${CUSTOMERS}::int, ${SHARED_EVERY}::int) g`);
  await db.execute(sql`analyze`);
}

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const v = await f();
  return [v, seconds(t)];
}

async function main() {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const [sim, simStart] = await timed(startSimulator);
  const { database, label, drop } = await benchDatabase();
  try {
    await database.migrate();
    const db = database.db;
    const [, seedS] = await timed(() => seedLedger(db));
    const log = createLogger('silent');
    const client = createWeComClient(
      { corpId: CORP, WECOM_API_BASE: sim.url, WECOM_CONTACT_SECRET: SECRETS.contact, WECOM_AGENT_SECRET: SECRETS.agent, WECOM_AGENT_ID: '1000002' },
      db, log, { timeoutMs: 60_000 },
    );
    const settings: CampaignSettings = {
      timezone: 'Asia/Shanghai', frequencyCap: 2, frequencyDays: 7, quietHours: null, ownerRule: 'recent_added', graceMs: 6 * 3600_000,
      receiveRule: 'month_days', remindAfterMs: 4 * 3600_000, confirmWindowMs: 72 * 3600_000, resultsPollMs: 1000, effectDays: 7, locale: 'zh-CN',
    };
    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    const now = new Date();
    const c = await createCampaign(db, corpScope(CORP), {
      name: 'Bench push', kind: 'push', audience: { type: 'rule', rule: { all: [] } },
      content: { type: 'inline', text: 'Hello from {{rep.name}}: the autumn catalogue is out.', attachments: [] },
      schedule: { type: 'once', at: now },
    }, 'bench', now, settings);
    const [preview, previewS] = await timed(() => previewCampaign(db, corpScope(CORP), c, new Date(), settings));
    await scheduleCampaign(db, corpScope(CORP), c.id, undefined, new Date(), settings);
    await materialiseOccurrences(db, CORP, new Date(), settings);
    const [, planS] = await timed(() => planNextRun(db, CORP, 'bench-planner', new Date(), settings));
    const [[run]] = [rowsOf<{ id: number; status: string; summary: any }>(await db.execute(sql`select id, status, summary from campaign_runs where campaign_id = ${c.id}`))];

    const loop = async (owner: string) => {
      const deps = { db, client, corpId: CORP, owner, settings };
      while ((await dispatchNextBatch(deps, new Date())) > 0);
    };
    const [, dispatchS] = await timed(() => Promise.all(Array.from({ length: DISPATCHERS }, (_, i) => loop(`bench-dispatcher-${i}`))));

    // Reps confirm at once (simulator delay 0): poll every per-recipient result.
    const [, pollS] = await timed(async () => {
      for (;;) {
        await db.execute(sql`update campaign_batches set available_at = now() where campaign_id = ${c.id} and status = 'waiting'`);
        const polled = await Promise.all(Array.from({ length: DISPATCHERS }, (_, i) => pollResultsOnce({ db, client, corpId: CORP, owner: `bench-poller-${i}`, settings, limit: 20 }, new Date())));
        if (polled.every((n) => n === 0)) break;
      }
    });
    clearInterval(sampler);

    const perSender = rowsOf<{ sender: string; n: number }>(await db.execute(sql`
      select sender, count(*)::int as n from campaign_deliveries where run_id = ${run!.id} and batch_no is not null group by sender`));
    const lowerBound = perSender.reduce((n, s) => n + Math.ceil(s.n / CUSTOMERS_PER_CALL), 0);
    const statuses = rowsOf<{ status: string; n: number }>(await db.execute(sql`
      select status, count(*)::int as n from campaign_deliveries where run_id = ${run!.id} group by status order by status`));
    const stats = await sim.ask();
    const made = stats.byApi['externalcontact/add_msg_template'] ?? 0;
    const resultCalls = (stats.byApi['externalcontact/get_groupmsg_task'] ?? 0) + (stats.byApi['externalcontact/get_groupmsg_send_result'] ?? 0);
    const mb = (b: number) => Math.round(b / 1048576);
    const out = [
      `bench:campaign on ${label}: one push to ${CUSTOMERS.toLocaleString()} customers across ${REPS} reps (every ${SHARED_EVERY}th customer has a second rep); ${DISPATCHERS} dispatchers`,
      '',
      '| stage | seconds |',
      '| --- | ---: |',
      `| seed ledger (generate_series) | ${seedS.toFixed(2)} |`,
      `| simulator with the same world (own process) | ${simStart.toFixed(2)} |`,
      `| preview (counts per reason + sample) | ${previewS.toFixed(2)} |`,
      `| plan: every delivery and batch, one insert … select | ${planS.toFixed(2)} |`,
      `| dispatch to the simulator (add_msg_template) | ${dispatchS.toFixed(2)} |`,
      `| poll results to final (reps confirm at once) | ${pollS.toFixed(2)} |`,
      '',
      `planned: ${JSON.stringify(run!.summary)} · preview: ${preview.willSend.toLocaleString()} will be sent, ${preview.calls} calls`,
      `deliveries: ${statuses.map((s) => `${s.status} ${s.n.toLocaleString()}`).join(', ')}`,
      `add_msg_template calls: ${made} (lower bound Σ⌈recipients/${CUSTOMERS_PER_CALL}⌉ over ${perSender.length} senders = ${lowerBound}) · result calls: ${resultCalls}`,
      `simulator: ${stats.receivedOnce.toLocaleString()} recipients received the push once, ${stats.receivedMore} more than once · simulator RSS ${stats.rssMb} MB`,
      `peak RSS of this process: ${mb(peakRss)} MB during the campaign (${mb(rssBefore)} MB before it${label.startsWith('PGlite') ? '; PGlite keeps the whole database in this process' : ''})`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    if (made !== lowerBound || stats.receivedMore > 0 || stats.receivedOnce !== CUSTOMERS) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await database.close();
    await drop();
    sim.child.kill();
  }
}

if (process.argv.includes('--simulator')) {
  simulatorProcess().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
