import { Readable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { CSV_BATCH, CsvImportError, importOrdersCsv, orders } from '../../src/archive';
import { getTestDb } from '../helpers/db';
import { freshCorpId } from '../helpers/service';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

/** The text as a stream of small chunks, so records and UTF-8 characters straddle chunk boundaries. */
const chunked = (text: string, size = 7) => {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
};

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
].join('\r\n') + '\n';

describe('importOrdersCsv', () => {
  it('imports the good rows and reports the bad ones by line number', async () => {
    const corpId = freshCorpId();
    const progress: number[] = [];
    const result = await importOrdersCsv(database.db, corpId, chunked(CSV), (p) => progress.push(p.rows));
    expect(result).toMatchObject({ rows: 8, inserted: 3, updated: 0, unchanged: 0 });
    expect(result.rejected.map((r) => r.line)).toEqual([3, 5, 6, 8, 9]);
    expect(result.rejected[0]!.errors[0]).toMatch(/^amount:/);
    expect(result.rejected[1]!.errors[0]).toMatch(/^amount: "1.999"/);
    expect(result.rejected[2]!.errors).toEqual([expect.stringContaining('status: "can\\ncelled"')]);
    expect(result.rejected[3]!.errors[0]).toMatch(/^orderedAt:/);
    expect(result.rejected[4]!.errors[0]).toMatch(/has 3 fields, the header has 6/);
    expect(progress.at(-1)).toBe(8);

    const stored = await database.db.select().from(orders).where(eq(orders.corpId, corpId));
    expect(stored.map((o) => [o.externalOrderId, o.externalUserId, o.amount, o.status, o.source]).sort()).toEqual([
      ['A1', 'wmcust1', '10.00', 'paid', 'csv'],
      ['A3', 'wm,cust2', '12.50', 'refunded', 'csv'],
      ['A8', '客户七', '99.99', 'cancelled', 'csv'],
    ]);

    // The same file again changes nothing.
    const again = await importOrdersCsv(database.db, corpId, chunked(CSV, 64));
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    expect(again.rejected.map((r) => r.line)).toEqual([3, 5, 6, 8, 9]);
  });

  it('works in batches, counting lines across them', async () => {
    const corpId = freshCorpId();
    const n = CSV_BATCH * 2 + 17;
    const lines = ['external_user_id,external_order_id,amount,currency,ordered_at,status']; // columns in any order
    for (let i = 0; i < n; i++) lines.push(`wmbatch${i % 50},B${i},${i}.5,CNY,2024-02-01T00:00:00Z,${i === 1500 ? 'lost' : 'paid'}`);
    const batches: number[] = [];
    const result = await importOrdersCsv(database.db, corpId, Readable.from([lines.join('\n')]), (p) => batches.push(p.rows));
    expect(batches).toEqual([CSV_BATCH, CSV_BATCH * 2, n]);
    expect(result).toMatchObject({ rows: n, inserted: n - 1 });
    expect(result.rejected).toEqual([{ line: 1502, errors: ['status: "lost" is not one of paid, refunded, cancelled'] }]);
    const [one] = await database.db.select().from(orders).where(and(eq(orders.corpId, corpId), eq(orders.externalOrderId, 'B7')));
    expect(one).toMatchObject({ externalUserId: 'wmbatch7', amount: '7.50' });
  });

  it('stops on a file it cannot read: bad header, broken quoting', async () => {
    const corpId = freshCorpId();
    await expect(importOrdersCsv(database.db, corpId, Readable.from(['order,customer\nA,b\n']))).rejects.toThrow(/header lacks external_order_id/);
    await expect(importOrdersCsv(database.db, corpId, Readable.from(['']))).rejects.toBeInstanceOf(CsvImportError);
    const broken = 'external_order_id,external_user_id,amount,currency,ordered_at,status\nC1,wmx,1,CNY,2024-01-01,paid\nC2,"wmx,1,CNY,2024-01-01,paid\n';
    await expect(importOrdersCsv(database.db, corpId, Readable.from([broken]))).rejects.toThrow(/line 3: a quoted field is not closed/);
    // Rows before the break are kept.
    expect((await database.db.select().from(orders).where(eq(orders.corpId, corpId))).map((o) => o.externalOrderId)).toEqual(['C1']);
  });
});
