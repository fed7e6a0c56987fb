import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { CSV_BATCH, MAX_RECORD_CHARS, orders } from '../../src/archive';
import { upsertContacts } from '../../src/ledger';
import type { Service } from '../../src/service';
import { main } from '../../scripts/importOrders';
import { getTestDb } from '../helpers/db';
import { startTestService, testConfig } from '../helpers/service';

let database: Awaited<ReturnType<typeof getTestDb>>;
let service: Service;
let corpId: string;
let dir: string;
beforeAll(async () => {
  database = await getTestDb();
  const config = testConfig();
  corpId = config.corpId;
  service = await startTestService(database, config);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifelong-import-'));
});
afterAll(async () => {
  await service.stop();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const csvFile = (text: string) => {
  const file = path.join(dir, `orders-${++seq}.csv`);
  fs.writeFileSync(file, text);
  return file;
};
const token = 'test-admin-token';

/** Runs the importer's main as `npm run import:orders -- …` would, with no database settings in its environment. */
async function runImport(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const code = await main(args, env, { stdout, stderr });
  return { code, out, err };
}
const stored = async () => (await database.db.select().from(orders).where(eq(orders.corpId, corpId)))
  .map((o) => [o.externalOrderId, o.externalUserId, o.amount, o.status, o.source]).sort();

const CSV = [
  'external_order_id,external_user_id,amount,currency,ordered_at,status', // line 1
  'A1,wmcust1,10.00,CNY,2024-01-02T03:04:05Z,paid', // 2
  'A2,wmcust1,-5,CNY,2024-01-02T03:04:05Z,paid', // 3: negative amount
  '"A3","wm,cust2","12.5",CNY,2024-01-03,refunded', // 4: a quoted field with a comma
  '"A4","wmcust3","1.999","CNY","2024-01-04T00:00:00+08:00","paid"', // 5: three decimals
  '"A5 ""quoted""",wmcust4,7,USD,2024-01-05T00:00:00Z,"can', // 6–7: a quoted field with a newline (bad status)
  'celled"',
  'A6,wmcust5,8,CNY,not-a-date,paid', // 8: bad date
  'A7,wmcust6,9', // 9: too few fields
  '', // 10: blank, skipped
  'A8,客户七,99.99,CNY,2024-01-08T00:00:00Z,cancelled', // 11
  'A9,wmNOSUCHCUSTOMER,5,CNY,2024-01-09T00:00:00Z,paid', // 12: nobody the ledger knows
].join('\r\n') + '\n';

describe('npm run import:orders', () => {
  beforeAll(() => upsertContacts(database.db, corpId, ['wmcust1', 'wm,cust2', 'wmcust3', 'wmcust4', 'wmcust5', '客户七'].map((id) => ({ externalUserId: id, name: id }))));

  it('imports the good rows into the running service and reports the bad ones by line number', async () => {
    const file = csvFile(CSV);
    const first = await runImport(['--url', service.url, '--token', token, file]);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain(`${file}: 9 rows — 3 inserted, 0 updated, 0 unchanged, 6 rejected`);
    const lines = first.out.split('\n').filter((l) => l.startsWith('  line ')).map((l) => Number(/line (\d+)/.exec(l)![1]));
    expect(lines).toEqual([3, 5, 6, 8, 9, 12]);
    expect(first.out).toContain('line 3: amount: "-5" is not a number');
    expect(first.out).toContain('line 5: amount: "1.999"');
    expect(first.out).toContain('line 6: status: "can\\ncelled"');
    expect(first.out).toContain('line 8: orderedAt:');
    expect(first.out).toContain('line 9: row: has 3 fields, the header has 6');
    expect(first.out).toContain('line 12: externalUserId: no customer "wmNOSUCHCUSTOMER" in the ledger');
    expect(first.out).toContain('--allow-unknown');
    // In the service's own database, where the service reads them.
    expect(await stored()).toEqual([
      ['A1', 'wmcust1', '10.00', 'paid', 'api'],
      ['A3', 'wm,cust2', '12.50', 'refunded', 'api'],
      ['A8', '客户七', '99.99', 'cancelled', 'api'],
    ]);

    // The same file again changes nothing; with --allow-unknown (URL and token from the environment) the stranger's order is kept.
    const again = await runImport(['--allow-unknown', file], { LIFELONG_URL: service.url, LIFELONG_TOKEN: token });
    expect(again.code).toBe(0);
    expect(again.out).toContain('9 rows — 1 inserted, 0 updated, 3 unchanged, 5 rejected');
    expect((await stored()).map((o) => o[0])).toEqual(['A1', 'A3', 'A8', 'A9']);
  });

  it('works in batches, mapping the service\'s per-index rejects back to file lines across them', async () => {
    const n = CSV_BATCH * 2 + 17;
    const customers = Array.from({ length: 50 }, (_, i) => `wmbatch${i}`);
    await upsertContacts(database.db, corpId, customers.map((id) => ({ externalUserId: id, name: id })));
    const lines = ['external_user_id,external_order_id,amount,currency,ordered_at,status']; // columns in any order
    for (let i = 0; i < n; i++) lines.push(`wmbatch${i % 50},B${i},${i}.5,CNY,2024-02-01T00:00:00Z,${i === 1500 ? 'lost' : 'paid'}`);
    const res = await runImport(['--url', `${service.url}/`, '--token', token, csvFile(lines.join('\n'))]);
    expect(res.code).toBe(0);
    expect(res.out).toContain(`${n} rows — ${n - 1} inserted, 0 updated, 0 unchanged, 1 rejected`);
    expect(res.out).toContain('  line 1502: status: "lost" is not one of paid, refunded, cancelled\n');
    const [one] = await database.db.select().from(orders).where(and(eq(orders.corpId, corpId), eq(orders.externalOrderId, 'B7')));
    expect(one).toMatchObject({ externalUserId: 'wmbatch7', amount: '7.50' });
  });

  it('rejects a line longer than the reader\'s bound with its number and goes on with the next line', async () => {
    const file = path.join(dir, 'huge-line.csv');
    const w = fs.createWriteStream(file);
    w.write('external_order_id,external_user_id,amount,currency,ordered_at,status\nH1,wmcust1,1,CNY,2024-03-01,paid\nH2,wmcust1,');
    const piece = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 128; i++) w.write(piece); // an 8 MB line
    w.end(',CNY,2024-03-01,paid\nH3,wmcust1,3,CNY,2024-03-01,paid\n');
    await new Promise<void>((r) => w.once('finish', () => r()));
    const res = await runImport(['--url', service.url, '--token', token, file]);
    expect(res.code).toBe(0);
    expect(res.out).toContain('3 rows — 2 inserted, 0 updated, 0 unchanged, 1 rejected');
    expect(res.out).toContain(`  line 3: row: longer than ${MAX_RECORD_CHARS} characters`);
    expect((await stored()).filter((o) => String(o[0]).startsWith('H')).map((o) => o[0])).toEqual(['H1', 'H3']);
  });

  it('stops on a file it cannot read (bad header, broken quoting), keeping the rows before the break', async () => {
    const badHeader = await runImport(['--url', service.url, '--token', token, csvFile('order,customer\nA,b\n')]);
    expect(badHeader).toMatchObject({ code: 1, err: expect.stringContaining('header lacks external_order_id') });
    const empty = await runImport(['--url', service.url, '--token', token, csvFile('')]);
    expect(empty).toMatchObject({ code: 1, err: expect.stringContaining('the file is empty') });
    const broken = 'external_order_id,external_user_id,amount,currency,ordered_at,status\nC1,wmcust1,1,CNY,2024-01-01,paid\nC2,"wmcust1,1,CNY,2024-01-01,paid\n';
    const res = await runImport(['--url', service.url, '--token', token, csvFile(broken)]);
    expect(res).toMatchObject({ code: 1, err: expect.stringContaining('line 3: a quoted field is not closed') });
    expect((await stored()).filter((o) => String(o[0]).startsWith('C')).map((o) => o[0])).toEqual(['C1']);
  });

  it('stops at a batch the service does not take, naming its first line; the batches before stay imported', async () => {
    // In front of the service: the third request (empty check, batch 1, batch 2) gets a 503 with the service's error shape.
    let requests = 0;
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (++requests === 3) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_ready', message: 'database unavailable' } }));
        return;
      }
      const upstream = await fetch(`${service.url}${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const lines = ['external_order_id,external_user_id,amount,currency,ordered_at,status'];
      for (let i = 0; i < CSV_BATCH + 10; i++) lines.push(`S${i},wmcust1,1,CNY,2024-04-01,paid`);
      const res = await runImport(['--url', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, '--token', token, csvFile(lines.join('\n'))]);
      expect(res.code).toBe(1);
      expect(res.err).toContain(`import stopped at line ${CSV_BATCH + 2}: POST /api/orders answered 503 (not_ready: database unavailable)`);
      expect(res.err).toContain(`rows before line ${CSV_BATCH + 2} were imported`);
      expect((await stored()).filter((o) => String(o[0]).startsWith('S'))).toHaveLength(CSV_BATCH);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('says so and exits non-zero when the service is unreachable or refuses the token; usage errors exit 2', async () => {
    const file = csvFile(CSV);
    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const down = await runImport(['--url', `http://127.0.0.1:${closedPort}`, '--token', token, file]);
    expect(down.code).toBe(1);
    expect(down.err).toContain(`cannot reach the Lifelong service at http://127.0.0.1:${closedPort}`);

    const refused = await runImport(['--url', service.url, '--token', 'not-the-token', file]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('refused the token (401)');
    expect(refused.err).not.toContain('not-the-token');

    expect(await runImport([file], { LIFELONG_URL: service.url })).toMatchObject({ code: 2, err: expect.stringContaining('no token') });
    expect(await runImport(['--url', service.url, '--token', token])).toMatchObject({ code: 2, err: expect.stringContaining('usage:') });
    expect(await runImport(['--url', service.url, '--token', token, '--frobnicate', file])).toMatchObject({ code: 2 });
    expect(await runImport(['--url', service.url, '--token', token, path.join(dir, 'missing.csv')])).toMatchObject({ code: 1, err: expect.stringContaining('no such file') });
    // Checked before reading, so a file with no rows does not "succeed" against a service that is not there.
    const headerOnly = csvFile('external_order_id,external_user_id,amount,currency,ordered_at,status\n');
    expect(await runImport(['--url', `http://127.0.0.1:${closedPort}`, '--token', token, headerOnly])).toMatchObject({ code: 1, err: expect.stringContaining('cannot reach') });
  });
});
