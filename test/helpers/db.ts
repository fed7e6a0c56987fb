import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/connection';

export const onServer = Boolean(process.env.DATABASE_URL);

/**
 * One suite, two databases: PGlite in memory by default; with DATABASE_URL a
 * fresh database on that server per call (dropped by `close`), so test files
 * running in parallel never see each other's rows. Migrated either way. `url`
 * reaches the same database from another pool or process (the embedded one
 * listens on 127.0.0.1 in memory mode).
 */
export async function getTestDb(): Promise<Database & { url: string }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const database = await openDatabase({});
    await database.migrate();
    const c = database.connection;
    const url = `postgres://${c.user}:${encodeURIComponent(String(c.password))}@${c.host}:${c.port}/${c.database}`;
    return Object.assign(database, { url });
  }
  const name = `lifelong_t_${randomBytes(5).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  await database.migrate();
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Another connection pool on the same server database: a second "instance". */
export async function openSecondConnection(url: string): Promise<Database> {
  return openDatabase({ databaseUrl: url });
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
