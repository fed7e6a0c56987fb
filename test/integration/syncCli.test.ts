import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { syncJobs } from '../../src/ledger';
import { main } from '../../scripts/sync';
import { getTestDb } from '../helpers/db';
import { startWorld, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
let w: TestWorld;
beforeAll(async () => {
  database = await getTestDb();
  w = await startWorld(database, { seed: 11 });
});
afterAll(async () => {
  await w.close();
  await database.close();
});

async function runSync(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const code = await main(args, env, { stdout, stderr }, { pollMs: 50 });
  return { code, out, err };
}

describe('npm run sync', () => {
  it('has the running service sync, follows the job to its end and prints the counts', async () => {
    const res = await runSync([], { LIFELONG_URL: w.service.url, LIFELONG_TOKEN: 'test-admin-token' });
    expect(res).toMatchObject({ code: 0, err: '' });
    const jobId = Number(/full sync #(\d+)/.exec(res.out)![1]);
    expect(res.out).toContain(`Sync #${jobId}: done`);
    // The service ran it, on its own database: the job and what it wrote are there.
    const [job] = await database.db.select().from(syncJobs).where(and(eq(syncJobs.corpId, w.corpId), eq(syncJobs.id, jobId)));
    expect(job).toMatchObject({ status: 'done', trigger: 'api' });
    const [{ n }] = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from relations where corp_id = ${w.corpId}`)) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    expect(res.out).toMatch(new RegExp(`relations\\s+${(job!.counts as Record<string, number>).relations}`));
  });

  it('says so and exits non-zero when the service is unreachable or refuses the token', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const down = await runSync(['--url', `http://127.0.0.1:${closedPort}`, '--token', 'test-admin-token']);
    expect(down).toMatchObject({ code: 1, err: expect.stringContaining(`cannot reach the Lifelong service at http://127.0.0.1:${closedPort}`) });
    const refused = await runSync(['--url', w.service.url, '--token', 'wrong']);
    expect(refused).toMatchObject({ code: 1, err: expect.stringContaining('refused the token (401)') });
    expect(await runSync(['--url', w.service.url])).toMatchObject({ code: 2, err: expect.stringContaining('no token') });
  });
});
