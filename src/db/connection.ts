import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as migrateDb } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { logger } from '../lib/logger';
import { embeddedWorkerOf, startEmbedded, type Embedded } from './embedded';

export { DataDirLockedError } from './embedded';

/** One Drizzle type for both databases: both are reached with node-postgres. */
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Data functions take an executor: the database or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Runs the checked-in migrations; safe when several instances start at once. */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Where the database listens (embedded: its socket; server: host). */
  where: string;
  /** pg settings reaching the same database (another pool, a second "instance"). */
  connection: pg.ClientConfig;
}

export const MIGRATIONS_DIR = path.resolve(__dirname, 'migrations');
/** Arbitrary constant naming the migration advisory lock. */
const MIGRATION_LOCK_ID = 727_100_001;

export interface OpenOptions {
  /** PostgreSQL server URL; absent = embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; absent = in memory (tests). */
  dataDir?: string;
  poolSize?: number;
  /**
   * Embedded only: the database worker died while open. Default: a fatal log
   * line and exit(1) — the service never runs on without its database.
   */
  onFatal?: (err: Error) => void;
}

function exitOnFatal(err: Error): void {
  logger.fatal({ category: 'db', err }, `embedded database lost, exiting: ${err.message}`);
  process.exit(1);
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPool('postgres', { connectionString: opts.databaseUrl }, opts.poolSize ?? 10, new URL(opts.databaseUrl).host);
  const embedded = await startEmbedded({
    dataDir: opts.dataDir,
    onFatal: opts.onFatal ?? exitOnFatal,
    onWarning: (message) => logger.warn({ category: 'db' }, message),
  });
  try {
    return await openPool('pglite', embedded.connection, opts.poolSize ?? EMBEDDED_POOL_SIZE, embedded.where, embedded);
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}

/** The embedded database runs one connection's work at a time; a few connections keep the next one queued at the socket. */
const EMBEDDED_POOL_SIZE = 4;

async function openPool(kind: Database['kind'], connection: pg.ClientConfig, max: number, where: string, embedded?: Embedded): Promise<Database> {
  const pool = new pg.Pool({ ...connection, max });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const db: Db = drizzle(pool);
  let closed: Promise<void> | undefined;
  const database: Database = {
    db,
    kind,
    where,
    connection,
    async migrate() {
      // The advisory lock is per session, so migrate on one dedicated client.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        await migrateDb(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
        client.release();
      }
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    close: () =>
      (closed ??= (async () => {
        await pool.end();
        await embedded?.stop();
      })()),
  };
  if (embedded) embeddedWorkerOf.set(database, embedded.worker);
  return database;
}

/** Rows of a raw `execute` (node-postgres on both databases). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** Postgres gave up on the transaction because of a concurrent one; running it again is the cure. */
function isConcurrencyAbort(err: unknown): boolean {
  for (let e: any = err; e; e = e.cause) if (e.code === '40P01' || e.code === '40001') return true;
  return false;
}

/**
 * A transaction that is run again (a few times) when Postgres aborts it for a
 * deadlock or serialization failure — for multi-row writers that meet the
 * event worker on the same ledger rows. The body must be safe to re-run.
 */
export async function retryingTransaction<T>(db: Db, body: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await db.transaction(body);
    } catch (err) {
      if (i >= attempts || !isConcurrencyAbort(err)) throw err;
      await new Promise((r) => setTimeout(r, 20 * i + Math.random() * 30));
    }
  }
}
