import { ConfigError, loadConfig } from './lib/config';
import { logger } from './lib/logger';
import { startService } from './service';

async function main(): Promise<void> {
  const config = loadConfig();
  const service = await startService({ config });
  const log = logger.child({ category: 'main' });
  log.info({ url: service.url, database: service.database.kind, demo: config.demo }, 'lifelong is up');
  if (config.demo) {
    // Demo mode prints the bootstrap token so a person can try the API; a configured token is never printed.
    const lines = [
      '',
      `  Lifelong is running (demo mode, ${service.database.kind === 'pglite' ? `embedded PGlite in ${config.DATA_DIR}` : 'PostgreSQL'})`,
      `  API:          ${service.url}/api  (Authorization: Bearer ${config.adminToken})`,
      `  Health:       ${service.url}/healthz`,
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
    service
      .stop()
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
