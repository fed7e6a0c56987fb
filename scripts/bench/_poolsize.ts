import { sql } from 'drizzle-orm';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { openDatabase, type Db } from '../../src/db/connection';

async function workload(db: Db, label: string) {
  await db.execute(sql`create table if not exists w (id serial primary key, k int, v text)`);
  const t0 = Date.now();
  // 8 concurrent "workers", each 150 ops: a single-row select, an insert, a 3-statement transaction.
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < 150; i++) {
      await db.execute(sql`select ${i}::int + 1 as x`);
      await db.execute(sql`insert into w (k, v) values (${w}, ${'x'.repeat(50)})`);
      await db.transaction(async (tx) => {
        await tx.execute(sql`select count(*) from w where k = ${w}`);
        await tx.execute(sql`update w set v = 'y' where id = (select max(id) from w where k = ${w})`);
      });
    }
  }));
  const ms = Date.now() - t0;
  const t1 = Date.now();
  for (let i = 0; i < 1000; i++) await db.execute(sql`select ${i}::int as x`);
  const serial = Date.now() - t1;
  console.log(`${label}: concurrent mix ${ms} ms (${Math.round(8 * 150 * 6 / (ms / 1000))} stmt/s) · 1000 sequential selects ${serial} ms (${(serial / 1000).toFixed(2)} ms each)`);
}

(async () => {
  const modes = (process.argv[2] ?? 'inproc,1,4,10').split(',');
  for (const m of modes) {
    if (m === 'inproc') {
      const pg = new PGlite(); await pg.waitReady;
      await workload(drizzlePglite(pg) as unknown as Db, 'in-process PGlite (old)');
      await pg.close();
    } else {
      const d = await openDatabase({ poolSize: Number(m) });
      await workload(d.db, `worker + bridge, pool ${m}`);
      await d.close();
    }
  }
})();
