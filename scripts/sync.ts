/**
 * `npm run sync -- [--url URL] [--token TOKEN]`: a full sync from the
 * command line, run by the service itself (POST /api/sync) and followed here
 * with a progress bar (GET /api/sync/:jobId) and a summary. If a sync is
 * already pending it follows that one. Exit code 0 when the sync is done, 1
 * when it failed or the service is unreachable or refuses the token, 2 on bad
 * usage. Stopping this tool does not stop the sync.
 */
import type { Writable } from 'node:stream';
import { Presets, SingleBar } from 'cli-progress';
import type { SyncJobView } from '../src/http/routes/ledger/schema';
import { sleep } from '../src/lib/clock';
import { callService, parseToolArgs, ServiceError, serviceTarget, SERVICE_USAGE, UsageError } from './lib/serviceClient';

const USAGE = ['usage: npm run sync -- [--url URL] [--token TOKEN]', SERVICE_USAGE].join('\n');

export interface SyncToolOptions {
  /** Between progress reads (default 1 s). */
  pollMs?: number;
}

export async function main(
  argv: string[], env: NodeJS.ProcessEnv, io: { stdout: Writable; stderr: Writable } = process, o: SyncToolOptions = {},
): Promise<number> {
  const out = (s: string) => io.stdout.write(s);
  let target;
  try {
    const args = parseToolArgs(argv, {});
    if (args.values.help) {
      out(`${USAGE}\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
    target = serviceTarget(args.values, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }

  let jobId: number | undefined;
  const bar = new SingleBar({ format: ' {bar} {percentage}% | {phase} {value}/{total} | {relations} relations', hideCursor: true, stream: io.stderr }, Presets.shades_classic);
  try {
    const started = await callService<{ jobId: number; created: boolean }>(target, 'POST', '/api/sync');
    jobId = started.jobId;
    out(`${started.created ? 'Started' : 'Joined'} full sync #${jobId} on ${target.url}\n`);
    bar.start(1, 0, { phase: 'pending', relations: 0 });
    let job = await callService<SyncJobView>(target, 'GET', `/api/sync/${jobId}`);
    while (job.status === 'pending' || job.status === 'running') {
      bar.setTotal(Math.max(job.progress.total, 1));
      bar.update(job.progress.done, { phase: job.phase, relations: job.counts.relations ?? 0 });
      await sleep(o.pollMs ?? 1000);
      job = await callService<SyncJobView>(target, 'GET', `/api/sync/${jobId}`);
    }
    bar.stop();
    out(`\nSync #${job.id}: ${job.status}\n`);
    for (const [k, v] of Object.entries(job.counts).sort()) out(`  ${k.padEnd(20)} ${v}\n`);
    for (const w of job.warnings) out(`  warning: WeCom refused ${w.api} (${w.phase}): errcode ${w.errcode} ${w.message}\n`);
    return job.status === 'done' ? 0 : 1;
  } catch (err) {
    bar.stop();
    if (!(err instanceof ServiceError)) throw err;
    io.stderr.write(`${err.message}\n`);
    if (jobId !== undefined) io.stderr.write(`  sync #${jobId} goes on in the service: follow it with GET /api/sync/${jobId}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
