import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/http/app';
import { systemClock } from '../../src/lib/clock';
import { errorMessage } from '../../src/lib/errors';
import { createLogger } from '../../src/lib/logger';
import { getTestDb } from '../helpers/db';
import { auth, testConfig } from '../helpers/service';

/** A failed query's parameters (customer data) never reach a log line or a stored error. */

const PHONE = '13800138000';
const EXTERNAL_USERID = 'wmE4UYbSECRETcustomer';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => {
  database = await getTestDb();
});
afterAll(async () => {
  await database.close();
});

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger('info', sink), text: () => lines.join('') };
}

/** Fails inside PostgreSQL with the values as bound parameters (and PostgreSQL quoting one in its message). */
const failingQuery = () => database.db.execute(sql`select ${EXTERNAL_USERID}::text as who, ${`电话 ${PHONE}`}::int as n`);

test('a failed query logged as err carries its SQLSTATE and statement shape, not its parameters', async () => {
  const err = await failingQuery().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  // The raw error does carry them (that is the hole): the test is only meaningful if so.
  expect(String((err as Error).message)).toContain(EXTERNAL_USERID);

  const { log, text } = capturingLogger();
  log.warn({ err }, 'deadlock, will retry');
  log.child({ category: 'worker' }).error({ err: { message: errorMessage(err) } }, 'cycle failed');
  const out = text();
  expect(out).not.toContain(EXTERNAL_USERID);
  expect(out).not.toContain(PHONE);
  expect(out).toContain('22P02'); // invalid_text_representation
  expect(out).toContain('select $1::text as who, $2::int as n');
  expect(errorMessage(err)).not.toContain(PHONE);
});

test('a 500 from a route logs the route pattern and the safe error, never the path or the values', async () => {
  const { log, text } = capturingLogger();
  const app = createApp({
    config: testConfig(),
    db: database.db,
    ping: async () => {},
    log,
    clock: systemClock,
    onEventStored: () => {},
    routes: [(api) => api.router.get('/api/contacts/:id/broken', async () => { await failingQuery(); })],
  });
  const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/api/contacts/${EXTERNAL_USERID}/broken`, { headers: auth });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  } finally {
    server.close();
  }
  const out = text();
  expect(out).toContain('request failed');
  expect(out).toContain('/api/contacts/:id/broken');
  expect(out).not.toContain(EXTERNAL_USERID);
  expect(out).not.toContain(PHONE);
});
