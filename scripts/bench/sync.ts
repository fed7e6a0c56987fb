/**
 * `npm run bench:sync`: a full sync of 200 reps / 100,000 customers / 1,000
 * groups from the simulator into an empty ledger. Prints the WeCom calls made
 * per API against the lower bound the API's limits allow, wall time,
 * contacts per second, peak RSS and the event-loop delay during the sync. The
 * simulator runs in a process of its own (its world and its answers would
 * otherwise share this process's heap and event loop).
 *
 * Runs on DATABASE_URL when set (a fresh database is created and dropped),
 * else on in-memory PGlite. BENCH_EMPLOYEES / BENCH_CUSTOMERS / BENCH_GROUPS resize it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SyncWorker } from '../../src/jobs/syncWorker';
import { getSyncJob, requestFullSync } from '../../src/ledger';
import { createLogger } from '../../src/lib/logger';
import { benchDatabase } from './benchDatabase';
import { formatLoopDelay, watchLoopDelay } from './loopDelay';
import { createWeComClient } from '../../src/wecom/client';
import { createSimulator } from '../../src/simulator';

const int = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const counts = { employees: int('BENCH_EMPLOYEES', 200), customers: int('BENCH_CUSTOMERS', 100_000), groups: int('BENCH_GROUPS', 1000), departments: 20, tagGroups: 6, tags: 40 };


interface WorldSizes { live: number; follow: number; relations: number; deptRows: number; groups: number; customers: number }

/** The child: the simulator with the bench's world, its true sizes sent once listening, its call counts on request. */
async function simulatorProcess(): Promise<void> {
  const seedStart = Date.now();
  const sim = createSimulator({
    corpId, agentId: 1000002, secrets: { contact: 'bench-contact', agent: 'bench-agent' },
    callback: { token: 'benchtoken', aesKey: randomBytes(32).toString('base64').slice(0, 43).replace(/[+/]/g, 'q') },
    seed: 99, counts, logger: createLogger('silent'),
  });
  const seedMs = Date.now() - seedStart;
  const { url } = await sim.listen(0);
  const t = sim.truth();
  const live = t.employees.filter((e) => e.leftAt === undefined);
  const follow = live.filter((e) => e.customerContact);
  const followSet = new Set(follow.map((e) => e.userid));
  const sizes: WorldSizes = {
    live: live.length, follow: follow.length, customers: t.customers.length,
    relations: t.relations.filter((r) => followSet.has(r.userid)).length,
    deptRows: live.reduce((n, e) => n + e.department.length, 0),
    groups: t.groups.filter((g) => !g.dismissed).length,
  };
  process.on('message', () => process.send!({ byApi: sim.calls.snapshot().byApi }));
  process.send!({ url, seedMs, sizes });
}

function startSimulator(): Promise<{ child: ChildProcess; url: string; seedMs: number; sizes: WorldSizes; calls(): Promise<Record<string, number>> }> {
  const child = fork(__filename, ['--simulator'], {
    execArgv: ['--max-old-space-size=8192', '--import', require.resolve('tsx')], env: process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    child.once('message', (m: { url: string; seedMs: number; sizes: WorldSizes }) => resolve({
      child, ...m,
      calls: () => new Promise((r) => {
        child.once('message', (a: { byApi: Record<string, number> }) => r(a.byApi));
        child.send({ cmd: 'calls' });
      }),
    }));
  });
}

const corpId = 'wwbench0000000000sync';

async function main() {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const sim = await startSimulator();
  const { url, seedMs } = sim;
  const { database, label, drop } = await benchDatabase();
  await database.migrate();
  const log = createLogger('silent');
  const client = createWeComClient(
    { corpId, WECOM_API_BASE: url, WECOM_CONTACT_SECRET: 'bench-contact', WECOM_AGENT_SECRET: 'bench-agent', WECOM_AGENT_ID: '1000002' },
    database.db, log,
  );
  const { jobId } = await requestFullSync(database.db, corpId, 'bench');
  const started = process.hrtime.bigint();
  const loop = watchLoopDelay();
  const phaseSeconds: Record<string, number> = {};
  let phaseStart = process.hrtime.bigint();
  let current = 'employees';
  await new SyncWorker({ db: database.db, corpId, client, log }).runOnce(({ phase }) => {
    const now = process.hrtime.bigint();
    phaseSeconds[current] = (phaseSeconds[current] ?? 0) + Number(now - phaseStart) / 1e9;
    phaseStart = now;
    current = phase;
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const loopDelay = loop.stop();
  const job = await getSyncJob(database.db, corpId, jobId);
  clearInterval(sampler);
  if (job?.status !== 'done') throw new Error(`sync did not finish: ${job?.status} ${job?.lastError}`);

  // The lower bound the API's limits allow, from the world's true sizes.
  const { live: liveCount, follow: followCount, relations, deptRows, groups, customers } = sim.sizes;
  const bound: Record<string, number> = {
    gettoken: 1,
    'department/list': 1,
    'user/list_id': Math.max(1, Math.ceil(deptRows / 10_000)),
    'user/get': liveCount,
    'externalcontact/get_follow_user_list': 1,
    // ≤100 relations per page and ≤100 reps per call.
    'externalcontact/batch/get_by_user': Math.max(Math.ceil(relations / 100), Math.ceil(followCount / 100)),
    // ≤100 owners per call, ≤1000 groups per page.
    'externalcontact/groupchat/list': Math.max(Math.ceil(liveCount / 100), Math.ceil(groups / 1000)),
    'externalcontact/groupchat/get': groups,
    'externalcontact/get_corp_tag_list': 1,
  };
  const made = await sim.calls();
  const rows = Object.keys({ ...bound, ...made }).sort().map((api) => ({ api, made: made[api] ?? 0, bound: bound[api] ?? 0 }));
  const totalMade = rows.reduce((n, r) => n + r.made, 0);
  const totalBound = rows.reduce((n, r) => n + r.bound, 0);

  const out = [
    `bench:sync on ${label}: ${liveCount} reps, ${customers} customers, ${relations} relations, ${groups} groups (seeded in ${seedMs} ms)`,
    '',
    '| API | calls | lower bound |',
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.api} | ${r.made} | ${r.bound} |`),
    `| **total** | **${totalMade}** | **${totalBound}** (+${(((totalMade - totalBound) / totalBound) * 100).toFixed(2)}%) |`,
    '',
    `phases: ${Object.entries(phaseSeconds).map(([p, s]) => `${p} ${s.toFixed(1)} s`).join(', ')}`,
    `during the sync: ${formatLoopDelay(loopDelay)} (the service's process; the simulator runs in its own)`,
    `wall time ${seconds.toFixed(1)} s · ${Math.round(relations / seconds)} relations/s · ${Math.round(customers / seconds)} contacts/s · peak RSS ${Math.round(peakRss / 1048576)} MB (the service's process: PGlite's database included when embedded)`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  await database.close();
  await drop();
  sim.child.kill();
}

if (process.argv.includes('--simulator')) {
  simulatorProcess().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
} else main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
