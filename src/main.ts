import { startDemoSimulator, demoCredentials, type Demo } from './demo';
import { ConfigError, loadConfig } from './lib/config';
import { logger } from './lib/logger';
import { startService } from './service';

async function main(): Promise<void> {
  const log = logger.child({ category: 'main' });
  let config = loadConfig(process.env, demoCredentials);
  let demo: Demo | undefined;
  if (config.demo) {
    // No WeCom configured: talk to the built-in simulator instead.
    demo = await startDemoSimulator(logger.child({ category: 'simulator' }));
    config = Object.freeze({ ...config, WECOM_API_BASE: demo.url });
  }
  const service = await startService({ config });
  await demo?.attach(service);
  log.info({ url: service.url, database: service.database.kind, demo: config.demo }, 'lifelong is up');
  if (demo) {
    // Demo mode prints the bootstrap token so a person can try the API; a configured token is never printed.
    const where = service.database.kind === 'pglite' ? `embedded PostgreSQL (PGlite) in ${config.DATA_DIR}` : 'PostgreSQL';
    const lines = [
      '',
      `  Lifelong is running in demo mode on ${where}, with a simulated WeCom corp (${demo.url}).`,
      `  API:      ${service.url}/api   Authorization: Bearer ${config.adminToken}`,
      `  Try:      curl -H "Authorization: Bearer ${config.adminToken}" ${service.url}/api/contacts?limit=5`,
      `  Health:   ${service.url}/healthz   Metrics: ${service.url}/metrics`,
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
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
});
