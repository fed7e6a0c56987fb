import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/connection';

/** The benchmarks' database: a fresh one on DATABASE_URL's server (dropped after), else in-memory PGlite. */
export async function benchDatabase(): Promise<{ database: Database; label: string; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { database: await openDatabase({}), label: 'PGlite (in memory)', drop: async () => undefined };
  const name = `lifelong_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(q).finally(() => c.end());
  };
  await admin(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { database: await openDatabase({ databaseUrl: u.toString() }), label: 'PostgreSQL server', drop: () => admin(`drop database ${name} with (force)`) };
}

/** A fresh, empty database on `url`'s server for a benchmark that hands the URL to a child process; `drop` removes it. */
export async function freshServerDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lifelong_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(q).finally(() => c.end());
  };
  await admin(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`drop database ${name} with (force)`) };
}
