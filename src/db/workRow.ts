import { sql, type SQL } from 'drizzle-orm';
import { integer, text, timestamp } from 'drizzle-orm/pg-core';
import { rowsOf, type Executor } from './connection';
import { sqlTime } from './time';

/**
 * The state machine every work row carries (events, deliveries, handover
 * items, occurrences): claimed with FOR UPDATE SKIP LOCKED under a lease,
 * settled only while the lease is still ours, retried with capped backoff
 * computed in SQL, dead after N attempts.
 */
export const workColumns = () => ({
  /** pending → done | dead (table-specific statuses may add more). */
  status: text('status').notNull().default('pending'),
  /** Not claimable before this time (backoff, scheduling). */
  availableAt: timestamp('available_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  /** Claims so far; a crash between claim and settle counts as one. */
  attempts: integer('attempts').notNull().default(0),
  /** Lease: the claimer owns the row until then; after it, anyone may reclaim. */
  lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
  lockedBy: text('locked_by'),
  lastError: text('last_error'),
  /** Set when the row is given up on (parked) after too many failures. */
  deadAt: timestamp('dead_at', { withTimezone: true, mode: 'date' }),
});

export interface ClaimOptions {
  table: string;
  corpId: string;
  owner: string;
  limit: number;
  leaseSeconds: number;
  /** Extra SQL condition (already parameterised). */
  where?: SQL;
  /** ORDER BY for the claim; the default is oldest first. */
  orderBy?: SQL;
  /** Business time rows are due by (the injected clock); default: the database's now(). Leases always use the database's. */
  now?: Date;
}

/** Claims up to `limit` ready rows for `owner`; returns their ids in claim order. */
export async function claimRows(ex: Executor, o: ClaimOptions): Promise<number[]> {
  const t = sql.identifier(o.table);
  const extra = o.where ? sql`and (${o.where})` : sql``;
  const order = o.orderBy ?? sql`available_at, id`;
  const due = o.now ? sqlTime(o.now) : sql`now()`;
  const res = await ex.execute(sql`
    update ${t} set locked_until = now() + make_interval(secs => ${o.leaseSeconds}),
                    locked_by = ${o.owner}, attempts = attempts + 1
    where id in (
      select id from ${t}
      where corp_id = ${o.corpId} and status = 'pending' and available_at <= ${due}
        and (locked_until is null or locked_until < now()) ${extra}
      order by ${order}
      limit ${o.limit}
      for update skip locked)
    returning id`);
  return rowsOf<{ id: string }>(res).map((r) => Number(r.id));
}

/**
 * Marks a claimed row done (or another final status) if our lease still holds.
 * Run it in the same transaction as the work so the two commit together;
 * false means the lease was lost and the caller must roll back.
 */
export async function settleRow(
  ex: Executor,
  table: string,
  id: number,
  owner: string,
  opts: { status?: string; set?: SQL } = {},
): Promise<boolean> {
  const extra = opts.set ? sql`, ${opts.set}` : sql``;
  const res = await ex.execute(sql`
    update ${sql.identifier(table)} set status = ${opts.status ?? 'done'}, locked_until = null ${extra}
    where id = ${id} and locked_by = ${owner} and locked_until > now()
    returning id`);
  return rowsOf(res).length === 1;
}

/**
 * Records a failed attempt: back off (capped, jittered) or, after
 * `maxAttempts`, park the row as dead. Returns the row's new status.
 */
export async function failRow(
  ex: Executor,
  table: string,
  id: number,
  owner: string,
  error: string,
  opts: { maxAttempts: number; baseSeconds?: number; capSeconds?: number },
): Promise<'pending' | 'dead' | 'lost'> {
  const base = opts.baseSeconds ?? 2;
  const cap = opts.capSeconds ?? 3600;
  const res = await ex.execute(sql`
    update ${sql.identifier(table)} set
      last_error = ${error.slice(0, 2000)},
      locked_until = null,
      status = case when attempts >= ${opts.maxAttempts} then 'dead' else status end,
      dead_at = case when attempts >= ${opts.maxAttempts} then now() else null end,
      available_at = case when attempts >= ${opts.maxAttempts} then available_at
        else now() + make_interval(secs => least(${cap}::float8, ${base}::float8 * power(2, attempts - 1)) * (0.75 + random() * 0.5)) end
    where id = ${id} and locked_by = ${owner}
    returning status`);
  const row = rowsOf<{ status: string }>(res)[0];
  if (!row) return 'lost';
  return row.status === 'dead' ? 'dead' : 'pending';
}

/** Gives claimed-but-untouched rows back (shutdown): claimable at once, the claim not counted as an attempt. */
export async function releaseRows(ex: Executor, table: string, ids: number[], owner: string): Promise<void> {
  if (ids.length === 0) return;
  await ex.execute(sql`
    update ${sql.identifier(table)} set locked_until = null, locked_by = null, attempts = greatest(attempts - 1, 0)
    where id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)}) and locked_by = ${owner} and status = 'pending'`);
}
