import { demoCredentials, resetDemoData, startDemoSimulator, DEMO_SECRETS_FILE, SimStateFileError, type Demo } from './demo';
import { ConfigError, loadConfig } from './lib/config';
import { logger } from './lib/logger';
import { startService } from './service';

async function main(): Promise<void> {
  const log = logger.child({ category: 'main' });
  let config = loadConfig(process.env, demoCredentials);
  let demo: Demo | undefined;
  const reset = process.argv.includes('--reset') || process.env.DEMO_RESET === 'true';
  if (reset && !config.demo) throw new ConfigError('--reset / DEMO_RESET only reset demo mode (no WECOM_CORP_ID); a real corp\'s data is never deleted by a flag');
  if (config.demo) {
    if (reset) {
      if (config.DATABASE_URL) throw new ConfigError('--reset in demo mode resets the embedded database and the simulated corp together; with DATABASE_URL, drop that database yourself and delete simulator-world.json in DATA_DIR');
      const removed = resetDemoData(config.DATA_DIR);
      log.warn({ dataDir: config.DATA_DIR, removed }, 'demo data reset: the database and the simulated corp start afresh');
    }
    // No WeCom configured: talk to the built-in simulator instead, and read time from its clock.
    const worldEventsMs = process.env.DEMO_WORLD_EVENTS_MS === undefined || process.env.DEMO_WORLD_EVENTS_MS === '' ? undefined : Number(process.env.DEMO_WORLD_EVENTS_MS);
    if (worldEventsMs !== undefined && !(Number.isInteger(worldEventsMs) && worldEventsMs >= 0)) throw new ConfigError('DEMO_WORLD_EVENTS_MS must be a non-negative integer (0 = no background events)');
    demo = await startDemoSimulator(logger.child({ category: 'simulator' }), { credentials: demoCredentials(config), dataDir: config.DATA_DIR, worldEventsMs });
    // The simulator plays every WeCom host: the API, the web login and OAuth2 pages.
    config = Object.freeze({ ...config, WECOM_API_BASE: demo.url, WECOM_LOGIN_BASE: demo.url, WECOM_OAUTH_BASE: demo.url });
  }
  const service = await startService({ config, clock: demo?.clock });
  await demo?.attach(service);
  log.info({ url: service.url, database: service.database.kind, demo: config.demo }, 'lifelong is up');
  if (demo) {
    // Demo mode prints the bootstrap token so a person can try the API; a configured token is never printed.
    const where = service.database.kind === 'pglite' ? `embedded PostgreSQL (PGlite) in ${config.DATA_DIR}` : 'PostgreSQL';
    const exposed = config.HOST !== '127.0.0.1' && config.HOST !== '::1' && config.HOST !== 'localhost';
    const lines = [
      '',
      `  Lifelong is running in demo mode on ${where}, with a simulated WeCom corp.`,
      `  API:       ${service.url}/api   Authorization: Bearer ${config.adminToken}`,
      `  Sign in:   ${service.url}/auth/login   (the simulator's WeCom login page: pick any employee — leaders are managers, the rest reps)`,
      `  Try:       curl -H "Authorization: Bearer ${config.adminToken}" ${service.url}/api/contacts?limit=5`,
      `  Simulator: ${demo.url}/__sim/state   (control API: world actions, time, faults — see README)`,
      `  Health:    ${service.url}/healthz   Metrics: ${service.url}/metrics${config.METRICS_TOKEN ? ' (METRICS_TOKEN required)' : ' (loopback only)'}`,
      `  Secrets:   callback token, AES key and admin token were generated for this data directory (${DEMO_SECRETS_FILE}, mode 0600).`,
      `  Data:      the database and the simulated corp persist in ${config.DATA_DIR}; \`npm start -- --reset\` starts both afresh.`,
      exposed
        ? `  WARNING:   listening on ${config.HOST} — anyone who can reach this port can use the admin token printed above.`
        : `  Network:   listening on ${config.HOST} only; set HOST=0.0.0.0 to expose it (the admin token above then works for anyone who can reach it).`,
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 25_000).unref();
    (async () => {
      await service.stop();
      await demo?.stop();
    })()
      .then(() => {
        clearTimeout(force);
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof SimStateFileError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
});
