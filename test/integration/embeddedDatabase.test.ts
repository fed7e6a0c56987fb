/**
 * The embedded database (PGlite in a worker thread behind a wire-protocol
 * bridge): heavy statements leave the service's event loop free, pool clients
 * are serialised transaction by transaction, data persists in DATA_DIR, a
 * DATA_DIR opens once, and a dead worker is reported. PGlite-only: on a
 * PostgreSQL server run this file still checks the embedded database.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { DataDirLockedError, openDatabase, rowsOf, type Database } from '../../src/db/connection';
import { embeddedWorkerOf, LOCK_FILE } from '../../src/db/embedded';

// Children start tsx and an embedded database: seconds on a quiet machine, over 50 s seen on a loaded one.
jest.setTimeout(200_000);

const tmpDirs: string[] = [];
function tmpDir(prefix = 'lifelong-emb-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const q = async <T>(database: Database | pg.PoolClient, text: string, params: unknown[] = []): Promise<T[]> =>
  'db' in database ? rowsOf<T>(await database.db.execute(sql.raw(text))) : (await database.query(text, params)).rows as T[];

/** Runs a child node process (with tsx) on a script; resolves with its exit code and output. */
function runChild(script: string, env: NodeJS.ProcessEnv, timeoutMs = 150_000): Promise<{ code: number | null; out: string }> {
  const file = path.join(tmpDir('lifelong-emb-child-'), 'child.ts');
  fs.writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, file], {
      env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child timed out: ${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
const connectionModule = JSON.stringify(path.resolve(__dirname, '../../src/db/connection'));
const embeddedModule = JSON.stringify(path.resolve(__dirname, '../../src/db/embedded'));

describe('embedded database in memory', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({});
    await q(database, 'create table t (id serial primary key, v text not null)');
  });
  afterAll(() => database.close());

  it('listens on 127.0.0.1 with a password; a wrong password is refused', async () => {
    expect(database.kind).toBe('pglite');
    expect(database.where).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(String(database.connection.password).length).toBeGreaterThanOrEqual(20);
    const intruder = new pg.Client({ ...database.connection, password: 'guess' });
    await expect(intruder.connect()).rejects.toThrow(/password authentication failed/);
    await intruder.end().catch(() => undefined);
  });

  it('a heavy statement does not stop the event loop', async () => {
    let ticks = 0;
    let maxGap = 0;
    let last = Date.now();
    const timer = setInterval(() => {
      ticks++;
      maxGap = Math.max(maxGap, Date.now() - last);
      last = Date.now();
    }, 10);
    try {
      const started = Date.now();
      const [heavy] = await q<{ n: string }>(database, 'select count(*) as n from generate_series(1, 3000000) g where g % 7 = 0');
      const [slept] = await q<{ ok: number }>(database, 'select 1 as ok from pg_sleep(1)');
      const elapsed = Date.now() - started;
      expect(heavy!.n).toBe('428571');
      expect(slept!.ok).toBe(1);
      // In process, PGlite ran both statements on this thread: no tick for their whole length.
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 10 / 4));
      expect(maxGap).toBeLessThan(Math.max(700, elapsed / 2));
    } finally {
      clearInterval(timer);
    }
  });

  it("a client's transaction holds the database: another client's statement waits and is not rolled back with it", async () => {
    const pool = new pg.Pool({ ...database.connection, max: 2 });
    const a = await pool.connect();
    const b = await pool.connect();
    try {
      await a.query('begin');
      await a.query('insert into t (v) values ($1)', ['in-tx']);
      let bDone = false;
      const bInsert = b.query('insert into t (v) values ($1) returning id', ['outside']).then((r) => {
        bDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(bDone).toBe(false); // it would otherwise have landed inside a's transaction
      const [inside] = await q<{ n: string }>(a, "select count(*) as n from t where v = 'outside'");
      expect(inside!.n).toBe('0');
      await a.query('rollback');
      await bInsert;
      expect(bDone).toBe(true);
      const rows = await q<{ v: string }>(database, "select v from t where v in ('in-tx', 'outside') order by v");
      expect(rows.map((r) => r.v)).toEqual(['outside']);
    } finally {
      a.release();
      b.release();
      await pool.end();
    }
  });

  it('a client that disconnects inside a transaction has it rolled back and frees the database', async () => {
    const pool = new pg.Pool({ ...database.connection, max: 2 });
    const a = await pool.connect();
    await a.query('begin');
    await a.query('insert into t (v) values ($1)', ['abandoned']);
    a.release(true); // destroys the connection mid-transaction
    const [row] = await q<{ n: string }>(database, "select count(*) as n from t where v = 'abandoned'");
    expect(row!.n).toBe('0');
    const [status] = await q<{ n: string }>(database, "insert into t (v) values ('after') returning 1 as n");
    expect(status).toBeDefined();
    await pool.end();
  });

  it('many concurrent parameterised statements and transactions keep their own results; an error in one touches no other', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 10 === 3
          ? database.db.execute(sql`select 1 / ${i - i}::int as boom`).then(() => 'no error', (e: Error) => `error: ${String((e.cause as Error | undefined)?.message ?? e.message)}`)
          : i % 2
            ? database.db.transaction(async (tx) => {
                await tx.execute(sql`insert into t (v) values (${`tx-${i}`})`);
                const [r] = rowsOf<{ n: string }>(await tx.execute(sql`select count(*) as n from t where v = ${`tx-${i}`}`));
                return Number(r!.n);
              })
            : database.db.execute(sql`select ${i}::int as v`).then((r) => rowsOf<{ v: number }>(r)[0]!.v),
      ),
    );
    results.forEach((r, i) => expect(r).toEqual(i % 10 === 3 ? 'error: division by zero' : i % 2 ? 1 : i));
  });

  it('each open is a fresh empty database', async () => {
    const other = await openDatabase({});
    try {
      const tables = await q<{ n: string }>(other, "select count(*) as n from pg_tables where schemaname = 'public'");
      expect(tables[0]!.n).toBe('0');
    } finally {
      await other.close();
    }
  });
});

describe('embedded database in DATA_DIR', () => {
  it('listens on a unix socket in DATA_DIR, keeps its data across close and reopen, and removes socket and lock on close', async () => {
    const dir = tmpDir();
    const first = await openDatabase({ dataDir: dir });
    expect(first.where).toBe(path.join(dir, '.s.PGSQL.5432'));
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').split('\n')[0]).toBe(String(process.pid));
    await q(first, 'create table kept (v text)');
    await q(first, "insert into kept values ('survives')");
    await first.close();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.s.PGSQL.5432'))).toBe(false);
    const again = await openDatabase({ dataDir: dir });
    try {
      expect(await q<{ v: string }>(again, 'select v from kept')).toEqual([{ v: 'survives' }]);
    } finally {
      await again.close();
    }
  });

  it('a DATA_DIR too deep for a unix socket path gets its socket in the temp directory', async () => {
    const dir = path.join(tmpDir(), 'a-rather-long-directory-name-'.repeat(4));
    const database = await openDatabase({ dataDir: dir });
    try {
      expect(database.where.startsWith(os.tmpdir())).toBe(true);
      await database.ping();
    } finally {
      await database.close();
    }
    expect(fs.existsSync(path.dirname(database.where))).toBe(false);
  });

  it('a second open of the same DATA_DIR is refused, in this process and from another one; a dead owner\'s lock is taken over', async () => {
    const dir = tmpDir();
    const first = await openDatabase({ dataDir: dir });
    try {
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(DataDirLockedError);
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(new RegExp(`already open by process ${process.pid}`));
      const child = await runChild(
        `import { openDatabase } from ${connectionModule};
         openDatabase({ dataDir: ${JSON.stringify(dir)} }).then(
           () => { console.log('opened'); process.exit(0); },
           (e) => { console.log(e.name + ': ' + e.message); process.exit(3); });`,
        {},
      );
      expect(child.out).toContain(`DataDirLockedError: the embedded database in ${dir} is already open by process ${process.pid}`);
      expect(child.code).toBe(3);
      await first.ping(); // the refused opener touched nothing
    } finally {
      await first.close();
    }
    // A lock left by a process that is gone does not keep the directory closed.
    const dead = await runChild('console.log(process.pid);', {});
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${Number(dead.out.trim())}\nhost\nthen\n`);
    const reopened = await openDatabase({ dataDir: dir });
    await reopened.close();
  });
});

describe('a dead database worker', () => {
  it('is reported to onFatal, and queries fail instead of hanging', async () => {
    const fatal: Error[] = [];
    const database = await openDatabase({ onFatal: (err) => fatal.push(err) });
    await database.ping();
    await embeddedWorkerOf.get(database)!.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(fatal.map((e) => e.message)).toEqual([expect.stringMatching(/embedded database worker exited unexpectedly/)]);
    await expect(database.ping()).rejects.toThrow();
    await database.close();
  });

  it('by default ends the process with a fatal log line', async () => {
    const child = await runChild(
      `import { openDatabase } from ${connectionModule};
       import { embeddedWorkerOf } from ${embeddedModule};
       openDatabase({}).then(async (d) => {
         await d.ping();
         console.log('opened');
         setInterval(() => undefined, 1000); // the service would go on serving
         await embeddedWorkerOf.get(d)!.terminate();
       });`,
      { LOG_LEVEL: 'info' },
    );
    expect(child.out).toContain('opened');
    expect(child.out).toContain('embedded database lost, exiting: the embedded database worker exited unexpectedly');
    expect(child.code).toBe(1);
  });
});
