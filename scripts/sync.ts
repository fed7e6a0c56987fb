/**
 * `npm run sync`: a full sync from the command line, with a progress bar and
 * a summary. Uses the service's configuration (WECOM_*, DATABASE_URL …); with
 * no WECOM_CORP_ID it syncs from a freshly started demo simulator.
 * If another instance is already running the sync, it follows that one.
 */
import { SingleBar, Presets } from 'cli-progress';
import { startDemoSimulator, demoCredentials } from '../src/demo';
import { openDatabase } from '../src/db/connection';
import { SyncWorker } from '../src/jobs/syncWorker';
import { getSyncJob, requestFullSync } from '../src/ledger';
import { sleep } from '../src/lib/clock';
import { ConfigError, loadConfig } from '../src/lib/config';
import { createLogger } from '../src/lib/logger';
import { createWeComClient } from '../src/wecom/client';

async function main(): Promise<number> {
  let config = loadConfig(process.env, demoCredentials);
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const demo = config.demo ? await startDemoSimulator(createLogger('silent')) : undefined;
  if (demo) config = Object.freeze({ ...config, WECOM_API_BASE: demo.url });
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await database.migrate();
    const client = createWeComClient(config, database.db, log);
    const { jobId, created } = await requestFullSync(database.db, config.corpId, 'cli');
    process.stdout.write(`${created ? 'Started' : 'Joined'} full sync #${jobId} of corp ${config.corpId}${demo ? ' (demo simulator)' : ''}\n`);
    const bar = new SingleBar({ format: ' {bar} {percentage}% | {phase} {value}/{total} | {relations} relations', hideCursor: true }, Presets.shades_classic);
    bar.start(1, 0, { phase: 'employees', relations: 0 });
    const worker = new SyncWorker({ db: database.db, corpId: config.corpId, client, log });
    const ran = await worker.runOnce(({ phase, done, total, counts }) => {
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { phase, relations: counts.relations ?? 0 });
    });
    // Not ours to run (another instance holds it): follow its progress.
    let job = await getSyncJob(database.db, config.corpId, jobId);
    while (!ran && job && (job.status === 'pending' || job.status === 'running')) {
      bar.setTotal(Math.max(job.progress.total, 1));
      bar.update(job.progress.done, { phase: job.phase, relations: job.counts.relations ?? 0 });
      await sleep(1000);
      job = await getSyncJob(database.db, config.corpId, jobId);
    }
    bar.stop();
    job = await getSyncJob(database.db, config.corpId, jobId);
    if (!job) throw new Error(`sync job ${jobId} disappeared`);
    process.stdout.write(`\nSync #${job.id}: ${job.status}${job.lastError ? ` (${job.lastError})` : ''}\n`);
    for (const [k, v] of Object.entries(job.counts).sort()) process.stdout.write(`  ${k.padEnd(20)} ${v}\n`);
    for (const w of job.warnings) process.stdout.write(`  warning: WeCom refused ${w.api} (${w.phase}): errcode ${w.errcode} ${w.message}\n`);
    return job.status === 'done' ? 0 : 1;
  } finally {
    await database.close();
    await demo?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
