/**
 * The embedded database's service side: starts PGlite in a worker thread
 * (embeddedWorker.ts), waits until it serves the wire protocol, and hands back
 * the pg connection settings. The data directory is locked to one process; a
 * worker that dies while in use is fatal (the service must not run half-alive).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type pg from 'pg';
import type { Listen, WorkerConfig } from './embeddedWorker';

export const LOCK_FILE = 'lifelong-db.lock';
/** pg finds a unix socket as `<host>/.s.PGSQL.<port>`. */
const SOCKET_PORT = 5432;
/** sun_path is 108 bytes on Linux (104 on macOS), NUL included. */
const MAX_SOCKET_PATH = 103;
const CLOSE_TIMEOUT_MS = 15_000;

export class DataDirLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

export interface EmbeddedOptions {
  /** Absent = in memory. */
  dataDir?: string;
  /** Called once when the worker dies while the database is open. */
  onFatal: (err: Error) => void;
  onWarning?: (message: string) => void;
}

export interface Embedded {
  /** Settings for a pg.Pool / pg.Client that reaches the embedded database. */
  connection: pg.ClientConfig;
  /** Where it listens: a socket path or host:port. */
  where: string;
  /** Stops the worker after PGlite has closed cleanly; releases the lock. */
  stop(): Promise<void>;
  worker: Worker;
}

/** The worker behind an open embedded database (tests crash it on purpose to see the failure reported). */
export const embeddedWorkerOf = new WeakMap<object, Worker>();

/** Lock files this process holds, so a same-pid lock left by an earlier container run is told from ours. */
const heldLocks = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes DATA_DIR for this process, or refuses loudly when a live process holds it. */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n${os.hostname()}\n${new Date().toISOString()}\n`);
      fs.closeSync(fd);
      heldLocks.add(file);
      return () => {
        heldLocks.delete(file);
        try {
          if (fs.readFileSync(file, 'utf8').split('\n')[0] === String(process.pid)) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
    } catch {
      continue; // removed meanwhile: try again
    }
    const ours = owner === process.pid && heldLocks.has(file);
    if (ours || (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))) {
      throw new DataDirLockedError(
        `the embedded database in ${dataDir} is already open by process ${owner}${ours ? ' (this one)' : ''}; ` +
          `only one Lifelong process may use a DATA_DIR at a time (set DATABASE_URL to share a PostgreSQL server). ` +
          `If no such process runs, remove ${file}.`,
      );
    }
    fs.rmSync(file, { force: true }); // its owner is gone
  }
}

function socketPathFor(dataDir: string): { path: string; tmpDir?: string } {
  const inDataDir = path.join(dataDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return { path: inDataDir };
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifelong-db-'));
  return { path: path.join(tmpDir, `.s.PGSQL.${SOCKET_PORT}`), tmpDir };
}

function spawnWorker(config: WorkerConfig): Worker {
  const workerData = { lifelongEmbeddedDb: config };
  if (__filename.endsWith('.ts')) {
    // Run from source (tsx, jest): the worker compiles its TypeScript with tsx too.
    const entry = path.join(__dirname, 'embeddedWorker.ts');
    const tsx = require.resolve('tsx/cjs/api');
    return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`, { eval: true, workerData });
  }
  return new Worker(path.join(__dirname, 'embeddedWorker.js'), { workerData });
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : undefined;
  let unlock = () => undefined as void;
  let tmpDir: string | undefined;
  let socketPath: string | undefined;
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
    ({ path: socketPath, tmpDir } = socketPathFor(dataDir));
  }
  const cleanup = () => {
    unlock();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  const password = randomBytes(18).toString('base64url');
  let worker: Worker;
  let listen: Listen;
  try {
    worker = spawnWorker({ dataDir, socketPath, password });
    listen = await new Promise<Listen>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the embedded database worker exited (code ${code}) before it was ready`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.on('message', function onMessage(m: { type: string; listen?: Listen; message?: string }) {
        if (m.type === 'ready') resolve(m.listen!);
        else if (m.type === 'failed') reject(new Error(`the embedded database could not start: ${m.message}`));
        else return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        worker.off('exit', onExit);
      });
    });
  } catch (err) {
    // @ts-expect-error worker may be unassigned when spawning threw
    await worker?.terminate();
    cleanup();
    throw err;
  }

  let stopping = false;
  let fatal = false;
  const die = (err: Error) => {
    if (stopping || fatal) return;
    fatal = true;
    void worker.terminate();
    cleanup();
    opts.onFatal(err);
  };
  worker.on('error', (err) => die(new Error(`the embedded database worker crashed: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => die(new Error(`the embedded database worker exited unexpectedly (code ${code})`)));
  worker.on('message', (m: { type: string; message?: string }) => {
    if (m.type === 'warning') opts.onWarning?.(m.message ?? '');
    if (m.type === 'fatal') die(new Error(`the embedded database failed: ${m.message}`));
  });

  const connection: pg.ClientConfig =
    'path' in listen
      ? { host: path.dirname(listen.path), port: SOCKET_PORT, user: 'postgres', database: 'postgres', password }
      : { host: listen.host, port: listen.port, user: 'postgres', database: 'postgres', password };

  return {
    connection,
    where: 'path' in listen ? listen.path : `${listen.host}:${listen.port}`,
    worker,
    async stop() {
      if (stopping || fatal) return;
      stopping = true;
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the embedded database did not close in time')), CLOSE_TIMEOUT_MS);
          worker.on('message', (m: { type: string; error?: string }) => {
            if (m.type !== 'closed') return;
            clearTimeout(timer);
            if (m.error) reject(new Error(`the embedded database did not close cleanly: ${m.error}`));
            else resolve();
          });
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.postMessage({ type: 'close' });
        });
      } finally {
        await worker.terminate();
        cleanup();
      }
    },
  };
}
