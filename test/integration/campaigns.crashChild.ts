/**
 * A campaign dispatcher in a process of its own, for campaigns.exactlyOnce's
 * kill -9 test: it claims batches from CHILD_DATABASE_URL and calls the
 * simulator at CHILD_API_BASE until the parent kills it mid-call.
 */
import { openDatabase } from '../../src/db/connection';
import { CampaignDispatcher } from '../../src/jobs/campaignWorkers';
import { systemClock } from '../../src/lib/clock';
import { loadConfig } from '../../src/lib/config';
import { createLogger } from '../../src/lib/logger';
import { campaignSettings } from '../../src/touchpoints/campaigns';
import { createWeComClient } from '../../src/wecom/client';

async function main() {
  const config = loadConfig({ ...process.env, DATABASE_URL: process.env.CHILD_DATABASE_URL, WECOM_API_BASE: process.env.CHILD_API_BASE, LOG_LEVEL: 'silent' });
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const log = createLogger('silent');
  const client = createWeComClient(config, database.db, log, { timeoutMs: 30_000 });
  const dispatcher = new CampaignDispatcher({
    db: database.db, corpId: config.corpId, client, log, settings: campaignSettings(config), clock: systemClock, pollMs: 50,
    leaseSeconds: Number(process.env.CHILD_LEASE_S ?? 3),
  });
  dispatcher.start();
  process.stdout.write('ready\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
