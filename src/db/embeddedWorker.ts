/**
 * The embedded database's worker thread: one PGlite instance, served over the
 * PostgreSQL wire protocol on a unix socket (or 127.0.0.1) so the service
 * talks to it with the same `pg` driver as to a PostgreSQL server, and a heavy
 * statement runs here instead of on the thread that serves HTTP.
 *
 * PGlite is one backend session, so the bridge multiplexes client connections
 * onto it: one connection at a time runs, and the database is handed to the
 * next connection only when the running one has received ReadyForQuery with
 * status 'I' (idle, not in a transaction). A connection inside BEGIN…COMMIT,
 * or in the middle of an extended-protocol batch, holds the database until it
 * is done — so another connection's statements never land in its transaction.
 *
 * Started by `embedded.ts`; messages on parentPort:
 *   → { type: 'ready', listen }   ← { type: 'close' }   → { type: 'closed' }
 *   → { type: 'failed', message, stack } when PGlite or the socket cannot start.
 */
import fs from 'node:fs';
import net from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

export interface WorkerConfig {
  /** PGlite data directory (absolute); absent = in memory. */
  dataDir?: string;
  /** Unix socket path, or absent = 127.0.0.1 on a random port. */
  socketPath?: string;
  password: string;
}

export type Listen = { path: string } | { host: string; port: number };

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/** A connection's bytes, cut into whole protocol messages. */
class Conn {
  buf: Buffer = Buffer.alloc(0);
  /** Complete messages waiting to run on PGlite. */
  pending: Buffer[] = [];
  stage: 'startup' | 'password' | 'ready' = 'startup';
  startupPacket?: Buffer;
  closed = false;
  /** Transaction status of the session after this connection's last batch ('I', 'T', 'E'). */
  status = 'I';
  constructor(readonly socket: net.Socket) {}
}

function backendMessage(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function errorResponse(code: string, message: string): Buffer {
  return backendMessage('E', Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8'));
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
function queryMessage(text: string): Buffer {
  return backendMessage('Q', Buffer.from(`${text}\0`, 'utf8'));
}

/** Follows message framing across output chunks to know the last message's type. */
class OutputTracker {
  private headerBytes: number[] = [];
  private remaining = 0;
  private type = 0;
  lastType = 0;
  lastStatus = 0;
  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        if (this.type === 0x5a && take > 0) this.lastStatus = chunk[i + take - 1]!;
        this.remaining -= take;
        i += take;
        continue;
      }
      this.headerBytes.push(chunk[i++]!);
      if (this.headerBytes.length === 5) {
        const [t, a, b, c, d] = this.headerBytes as [number, number, number, number, number];
        this.type = t;
        this.lastType = t;
        this.remaining = ((a << 24) | (b << 16) | (c << 8) | d) - 4;
        this.headerBytes = [];
      }
    }
  }
}

export async function runBridge(config: WorkerConfig, post: (m: unknown) => void): Promise<{ close(): Promise<void> }> {
  const pg = config.dataDir ? new PGlite(config.dataDir) : new PGlite();
  await pg.waitReady;
  const password = Buffer.from(config.password, 'utf8');
  const conns = new Set<Conn>();
  /** The connection holding the session (inside a transaction or a batch). */
  let owner: Conn | null = null;
  /** Connections with pending messages waiting for the session, in arrival order. */
  const waiting: Conn[] = [];
  let running = false;
  let closing = false;

  function enqueue(conn: Conn, message: Buffer): void {
    conn.pending.push(message);
    if (owner !== conn && !waiting.includes(conn)) waiting.push(conn);
    void pump();
  }

  /** Runs one batch of a connection's messages on PGlite, writing the output to its socket. */
  async function runBatch(conn: Conn): Promise<void> {
    const input = conn.pending.length === 1 ? conn.pending[0]! : Buffer.concat(conn.pending);
    conn.pending = [];
    const tracker = new OutputTracker();
    const onRawData = (data: Uint8Array) => {
      tracker.feed(data);
      if (!conn.closed && data.length > 0) conn.socket.write(Buffer.from(data));
    };
    await pg.execProtocolRawStream(new Uint8Array(input.buffer, input.byteOffset, input.length), { onRawData });
    if (tracker.lastType === 0x5a) conn.status = String.fromCharCode(tracker.lastStatus);
    // Idle after ReadyForQuery 'I': the session may pass to another connection.
    owner = tracker.lastType === 0x5a && conn.status === 'I' ? null : conn;
  }

  /** A connection that went away while holding the session: end its batch and transaction. */
  async function release(conn: Conn): Promise<void> {
    if (owner !== conn) return;
    owner = null;
    await pg.execProtocolRawStream(new Uint8Array(Buffer.concat([SYNC, queryMessage('rollback')])), { onRawData: () => undefined });
  }

  async function pump(): Promise<void> {
    if (running) return;
    running = true;
    try {
      for (;;) {
        let conn: Conn | undefined;
        if (owner) {
          if (owner.closed) {
            await release(owner);
            continue;
          }
          if (owner.pending.length === 0) break; // the owner's next message will resume the pump
          conn = owner;
        } else {
          conn = waiting.shift();
          if (!conn) break;
          if (conn.closed || conn.pending.length === 0) continue;
        }
        try {
          await runBatch(conn);
        } catch (err) {
          // PGlite itself failed (SQL errors are protocol messages, not throws): drop the connection and
          // end whatever it had open; if even that fails the database is unusable, which is fatal.
          conn.socket.destroy();
          conn.closed = true;
          owner = conn;
          post({ type: 'warning', message: `embedded database: a connection's statement failed inside PGlite and the connection was closed: ${(err as Error).message}` });
          try {
            await release(conn);
          } catch (again) {
            post({ type: 'fatal', message: `PGlite cannot recover from an internal error: ${(again as Error).message}` });
            return;
          }
        }
        if (owner !== conn && conn.pending.length > 0 && !waiting.includes(conn)) waiting.push(conn);
      }
    } finally {
      running = false;
    }
  }

  function onData(conn: Conn, chunk: Buffer): void {
    conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
    while (!conn.closed) {
      if (conn.stage === 'startup') {
        if (conn.buf.length < 8) return;
        const len = conn.buf.readInt32BE(0);
        if (len < 8 || len > 10_000) return reject(conn, '08P01', 'invalid startup packet');
        if (conn.buf.length < len) return;
        const code = conn.buf.readInt32BE(4);
        const packet = conn.buf.subarray(0, len);
        conn.buf = conn.buf.subarray(len);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) conn.socket.write('N');
        else if (code === CANCEL_REQUEST) conn.socket.destroy();
        else if (code === PROTOCOL_3) {
          conn.startupPacket = Buffer.from(packet);
          conn.stage = 'password';
          conn.socket.write(backendMessage('R', Buffer.from([0, 0, 0, 3]))); // AuthenticationCleartextPassword
        } else return reject(conn, '08P01', `unsupported protocol ${code}`);
        continue;
      }
      if (conn.buf.length < 5) return;
      const len = conn.buf.readInt32BE(1);
      if (conn.buf.length < len + 1) return;
      const message = conn.buf.subarray(0, len + 1);
      conn.buf = conn.buf.subarray(len + 1);
      const type = message[0];
      if (conn.stage === 'password') {
        const given = message.subarray(5, message.length - 1); // NUL-terminated
        if (type !== 0x70 || given.length !== password.length || !timingSafeEqual(given, password)) {
          return reject(conn, '28P01', 'password authentication failed for the embedded database');
        }
        conn.stage = 'ready';
        // PGlite answers the startup packet itself: AuthenticationOk, ParameterStatus…, ReadyForQuery.
        enqueue(conn, conn.startupPacket!);
        conn.startupPacket = undefined;
        continue;
      }
      if (type === 0x58) {
        // Terminate: the client is done; a held transaction is rolled back on close.
        conn.socket.end();
        return;
      }
      enqueue(conn, Buffer.from(message));
    }
  }

  function reject(conn: Conn, code: string, message: string): void {
    conn.socket.end(errorResponse(code, message));
    conn.closed = true;
  }

  const server = net.createServer((socket) => {
    if (closing) return void socket.destroy();
    socket.setNoDelay(true);
    const conn = new Conn(socket);
    conns.add(conn);
    socket.on('data', (chunk) => onData(conn, chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.closed = true;
      conns.delete(conn);
      conn.pending = [];
      void pump(); // releases the session if this connection held it
    });
  });

  const listen = await new Promise<Listen>((resolve, reject) => {
    server.once('error', reject);
    if (config.socketPath) {
      const socketPath = config.socketPath;
      fs.rmSync(socketPath, { force: true }); // a stale socket of a dead owner (the caller holds the lock)
      server.listen(socketPath, () => {
        fs.chmodSync(socketPath, 0o600);
        resolve({ path: socketPath });
      });
    } else {
      server.listen(0, '127.0.0.1', () => resolve({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }));
    }
  });
  server.on('error', (err) => post({ type: 'warning', message: `embedded database socket: ${err.message}` }));
  post({ type: 'ready', listen });

  return {
    async close() {
      closing = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of conns) c.socket.destroy();
      });
      while (running) await new Promise((r) => setTimeout(r, 5));
      if (owner) await release(owner);
      await pg.close(); // checkpoint: the data directory is consistent on disk
      if (config.socketPath) fs.rmSync(config.socketPath, { force: true });
    },
  };
}

if (parentPort && (workerData as { lifelongEmbeddedDb?: WorkerConfig } | undefined)?.lifelongEmbeddedDb) {
  const port = parentPort;
  const config = (workerData as { lifelongEmbeddedDb: WorkerConfig }).lifelongEmbeddedDb;
  runBridge(config, (m) => port.postMessage(m)).then(
    (bridge) => {
      port.on('message', (m: { type: string }) => {
        if (m.type !== 'close') return;
        bridge.close().then(
          () => port.postMessage({ type: 'closed' }),
          (err: Error) => port.postMessage({ type: 'closed', error: err.message }),
        );
      });
    },
    (err: Error) => port.postMessage({ type: 'failed', message: err.message, stack: err.stack }),
  );
}
