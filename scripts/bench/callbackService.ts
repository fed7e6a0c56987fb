/**
 * The service under test of `bench:callbacks`, in its own process: the real
 * startService with every worker running, configured from the environment
 * the parent passes (DATABASE_URL or DATA_DIR, WECOM_* pointing at the
 * parent's simulator). Sends `{ url }` over IPC when listening; answers
 * `{ type: 'count' }` with the event log's counts and `{ type: 'stop' }` by
 * stopping.
 */
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { loadConfig } from '../../src/lib/config';
import { createLogger } from '../../src/lib/logger';
import { startService } from '../../src/service';

async function main() {
  const config = loadConfig(process.env);
  // BENCH_WORKERS=0 runs without the workers (to tell their share of the time).
  const service = await startService({ config, log: createLogger('silent'), worker: process.env.BENCH_WORKERS !== '0' });
  process.send!({ type: 'ready', url: service.url, kind: service.database.kind });
  process.on('message', (m: { type: string }) => {
    void (async () => {
      if (m.type === 'count') {
        const res = await service.database.db.execute(sql`
          select count(*)::int as rows, count(distinct dedupe_key)::int as keys,
                 count(*) filter (where status = 'done')::int as done, count(*) filter (where status = 'dead')::int as dead
          from inbound_events where corp_id = ${config.corpId}`);
        process.send!({ type: 'count', ...rowsOf<Record<string, number>>(res)[0] });
      } else if (m.type === 'pending') {
        // Cheap enough to ask often while the worker drains (the claim's partial index), unlike the full count.
        const res = await service.database.db.execute(sql`
          select count(*)::int as pending from inbound_events where corp_id = ${config.corpId} and status = 'pending'`);
        process.send!({ type: 'pending', ...rowsOf<Record<string, number>>(res)[0] });
      } else if (m.type === 'stop') {
        await service.stop();
        process.send!({ type: 'stopped' }, () => process.exit(0));
      }
    })().catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    });
  });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
