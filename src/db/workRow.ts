import { sql, type SQL } from 'drizzle-orm';
import { integer, text, timestamp } from 'drizzle-orm/pg-core';
import { rowsOf, type Executor } from './connection';
import type { Scope } from './scope';
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

export interface WorkQueueOptions {
  /** The queue's name in metrics (several queues may share a table, e.g. dispatch and result polls). */
  name: string;
  /** A table with workColumns(). */
  table: string;
  /** Statuses a row may be claimed in (and retried or released back to); default ['pending']. */
  claimable?: readonly string[];
  /** The status of rows given up on, counted by stats(); null when giving up is a business outcome of its own. Default 'dead'. */
  dead?: string | null;
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  leaseSeconds: number;
  /** Extra SQL condition (already parameterised); columns may be qualified by the table name. */
  where?: SQL;
  /** ORDER BY for the claim; the default is oldest first. */
  orderBy?: SQL;
  /** Business time rows are due by (the injected clock); default: the database's now(). Leases always use the database's. */
  now?: Date;
}

export interface Claimed {
  id: number;
  /** The status the row was claimed in (a claim does not change it). */
  status: string;
  /** Claims so far, this one included. */
  attempts: number;
}

export interface FailOptions {
  maxAttempts: number;
  baseSeconds?: number;
  capSeconds?: number;
  /** Business time the backoff counts from (the injected clock); default: the database's now(). */
  now?: Date;
}

export interface RetryOptions {
  /** When the row is claimable again (business time: built from the injected clock). */
  availableAt: SQL | Date;
  /** Status to wait in (one of the claimable ones); default: unchanged. */
  status?: string;
  error?: string;
  /** Extra assignments (already parameterised). */
  set?: SQL;
  /** Extra condition the row must still meet. */
  where?: SQL;
}

export interface ReleaseOptions {
  /** When the rows are claimable again; default at once. */
  availableAt?: SQL | Date;
  /** Extra assignments (already parameterised). */
  set?: SQL;
}

export interface SettleOptions {
  /** Final status; default 'done'. */
  status?: string;
  /** Extra assignments (already parameterised). */
  set?: SQL;
  /** Extra condition the row must still meet. */
  where?: SQL;
  /**
   * false: settle while the row is still ours even if the lease ran out
   * (nobody reclaimed it — a reclaim changes the owner). For outcomes that
   * must be recorded rather than redone, such as a call WeCom answered.
   * Default true: the settle commits with the work only under a live lease.
   */
  whileLeased?: boolean;
}

export interface WorkStats {
  /** Rows per status: the claimable ones and the dead. */
  byStatus: Record<string, number>;
  /** Seconds the oldest due, claimable row has waited (0 when none is due). */
  oldestDueSeconds: number;
}

export interface WorkQueue {
  readonly name: string;
  readonly table: string;
  readonly claimable: readonly string[];
  /** The claim's condition (due, claimable, lease free, in scope), for a look before claiming. */
  ready(scope: Scope, now?: Date): SQL;
  /** Claims up to `limit` ready rows for `owner`, in claim order. */
  claim(ex: Executor, scope: Scope, o: ClaimOptions): Promise<Claimed[]>;
  /**
   * Marks a claimed row done (or another status) if our lease still holds.
   * Run it in the same transaction as the work so the two commit together;
   * false means the lease was lost and the caller must roll back.
   */
  settle(ex: Executor, scope: Scope, id: number, owner: string, opts?: SettleOptions): Promise<boolean>;
  /** Records a failed attempt: back off (capped, jittered) or, after `maxAttempts`, park the row as dead. */
  fail(ex: Executor, scope: Scope, id: number, owner: string, error: string, opts: FailOptions): Promise<'retry' | 'dead' | 'lost'>;
  /** Gives rows back to be tried again at a chosen time, the attempt counted (the work may have reached its target). Returns rows given back. */
  retry(ex: Executor, scope: Scope, ids: number[], owner: string, opts: RetryOptions): Promise<number>;
  /** Gives claimed-but-untouched rows back (shutdown, a deferral): the claim not counted as an attempt. */
  release(ex: Executor, scope: Scope, ids: number[], owner: string, opts?: ReleaseOptions): Promise<void>;
  /** Counts for /metrics. */
  stats(ex: Executor, scope: Scope, now?: Date): Promise<WorkStats>;
}

const timeOf = (t: SQL | Date | undefined): SQL => (t === undefined ? sql`now()` : t instanceof Date ? sqlTime(t) : t);
/** A status as a literal, not a parameter: the planner proves a partial index (`where status = 'pending'`) only from literals. */
const statusLiteral = (s: string): SQL => {
  if (!/^[a-z_]+$/.test(s)) throw new Error(`work status ${JSON.stringify(s)}: lower-case letters and _ only`);
  return sql.raw(`'${s}'`);
};
const statusList = (statuses: readonly string[]) => sql.join(statuses.map(statusLiteral), sql`, `);
const idList = (ids: number[]) => sql`${sql.param(ids)}::bigint[]`;
/** Free to claim (for statements that move rows nobody holds, e.g. a deferral): never leased, or the lease ran out (leases are on the database's clock). */
export const LEASE_FREE = sql`(locked_until is null or locked_until < now())`;

/** One queue of work rows in `table`; every statement is scoped to the caller's corp and checks the lease's owner. */
export function workQueue(o: WorkQueueOptions): WorkQueue {
  const t = sql.identifier(o.table);
  const claimable = o.claimable ?? ['pending'];
  const dead = o.dead === undefined ? 'dead' : o.dead;
  const inClaimable = sql`status in (${statusList(claimable)})`;
  const ready = (scope: Scope, now?: Date) =>
    sql`${scope.corp()} and ${inClaimable} and available_at <= ${timeOf(now)} and ${LEASE_FREE}`;

  return {
    name: o.name,
    table: o.table,
    claimable,
    ready,

    async claim(ex, scope, c) {
      const extra = c.where ? sql`and (${c.where})` : sql``;
      const res = await ex.execute(sql`
        update ${t} set locked_until = now() + make_interval(secs => ${c.leaseSeconds}),
                        locked_by = ${c.owner}, attempts = attempts + 1
        where id in (
          select id from ${t}
          where ${ready(scope, c.now)} ${extra}
          order by ${c.orderBy ?? sql`available_at, id`}
          limit ${c.limit}
          for update skip locked)
        returning id, status, attempts`);
      return rowsOf<{ id: string; status: string; attempts: number }>(res).map((r) => ({ id: Number(r.id), status: r.status, attempts: Number(r.attempts) }));
    },

    async settle(ex, scope, id, owner, opts = {}) {
      const extra = opts.set ? sql`, ${opts.set}` : sql``;
      const cond = opts.where ? sql`and (${opts.where})` : sql``;
      const leased = opts.whileLeased === false ? sql`` : sql`and locked_until > now()`;
      const res = await ex.execute(sql`
        update ${t} set status = ${opts.status ?? 'done'}, locked_until = null ${extra}
        where id = ${id} and ${scope.corp()} and locked_by = ${owner} ${leased} and ${inClaimable} ${cond}
        returning id`);
      return rowsOf(res).length === 1;
    },

    async fail(ex, scope, id, owner, error, f) {
      const base = f.baseSeconds ?? 2;
      const cap = f.capSeconds ?? 3600;
      const res = await ex.execute(sql`
        update ${t} set
          last_error = ${error.slice(0, 2000)},
          locked_until = null,
          status = case when attempts >= ${f.maxAttempts} then ${dead ?? 'dead'} else status end,
          dead_at = case when attempts >= ${f.maxAttempts} then now() else null end,
          available_at = case when attempts >= ${f.maxAttempts} then available_at
            else ${timeOf(f.now)} + make_interval(secs => least(${cap}::float8, ${base}::float8 * power(2, attempts - 1)) * (0.75 + random() * 0.5)) end
        where id = ${id} and ${scope.corp()} and locked_by = ${owner} and ${inClaimable}
        returning status`);
      const row = rowsOf<{ status: string }>(res)[0];
      if (!row) return 'lost';
      return claimable.includes(row.status) ? 'retry' : 'dead';
    },

    async retry(ex, scope, ids, owner, r) {
      if (ids.length === 0) return 0;
      const status = r.status ? sql`, status = ${r.status}` : sql``;
      const error = r.error !== undefined ? sql`, last_error = ${r.error.slice(0, 2000)}` : sql``;
      const extra = r.set ? sql`, ${r.set}` : sql``;
      const cond = r.where ? sql`and (${r.where})` : sql``;
      const res = await ex.execute(sql`
        update ${t} set locked_until = null, available_at = ${timeOf(r.availableAt)} ${status} ${error} ${extra}
        where id = any(${idList(ids)}) and ${scope.corp()} and locked_by = ${owner} and ${inClaimable} ${cond}
        returning id`);
      return rowsOf(res).length;
    },

    async release(ex, scope, ids, owner, r = {}) {
      if (ids.length === 0) return;
      const at = r.availableAt !== undefined ? sql`, available_at = ${timeOf(r.availableAt)}` : sql``;
      const extra = r.set ? sql`, ${r.set}` : sql``;
      await ex.execute(sql`
        update ${t} set locked_until = null, locked_by = null, attempts = greatest(attempts - 1, 0) ${at} ${extra}
        where id = any(${idList(ids)}) and ${scope.corp()} and locked_by = ${owner} and ${inClaimable}`);
    },

    async stats(ex, scope, now) {
      const counted = dead ? [...claimable, dead] : [...claimable];
      const due = timeOf(now);
      // One count per status, so each reads its own partial index (claim, dead) rather than the table.
      const rows = rowsOf<{ status: string; n: number; oldest: number | null }>(await ex.execute(sql.join(counted.map((s) => sql`
        select ${statusLiteral(s)}::text as status, count(*)::int as n,
          ${claimable.includes(s) ? sql`extract(epoch from ${due} - min(available_at) filter (where available_at <= ${due}))::float8` : sql`null::float8`} as oldest
        from ${t} where ${scope.corp()} and status = ${statusLiteral(s)}`), sql` union all `)));
      const byStatus: Record<string, number> = Object.fromEntries(counted.map((s) => [s, 0]));
      let oldestDueSeconds = 0;
      for (const r of rows) {
        byStatus[r.status] = Number(r.n);
        if (r.oldest !== null) oldestDueSeconds = Math.max(oldestDueSeconds, Number(r.oldest));
      }
      return { byStatus, oldestDueSeconds };
    },
  };
}

/**
 * The lease on an entity row (a channel, a group welcome template) that owes
 * WeCom a mirror call. The row's state is the entity's own, so it is not a
 * work row; only the lease is shared: taken for an owner on the database's
 * clock (a service clock may be simulated and jump ahead), given up only by
 * that owner within the corp.
 */
export const mirrorLeaseColumns = () => ({
  /** Lease of the WeCom call in flight; nobody else calls for the row until it passes. */
  wecomLockedUntil: timestamp('wecom_locked_until', { withTimezone: true, mode: 'date' }),
  /** Who holds the lease (a worker's or process's id). */
  wecomLockedBy: text('wecom_locked_by'),
});

export interface MirrorLeaseOptions {
  /** The lease's name in metrics. */
  name: string;
  /** A table with mirrorLeaseColumns(), `id` and `corp_id`. */
  table: string;
  /** When a row owes WeCom a call (unqualified columns). */
  owed: SQL;
}

export interface TakeOptions {
  owner: string;
  leaseSeconds: number;
  limit: number;
  /** Extra SQL condition (already parameterised). */
  where?: SQL;
  /** Default: by id. */
  orderBy?: SQL;
}

export interface GiveBackOptions {
  /** Keep the lease (ours) this much longer: a pause before anyone calls again. Default: free at once. */
  availableAfterSeconds?: number;
  /** Extra assignments (already parameterised, unqualified columns). */
  set?: SQL;
  /** Extra condition the row must still meet. */
  where?: SQL;
}

export interface MirrorLease {
  readonly name: string;
  readonly table: string;
  /** Assignments taking the lease for `owner` (insert or update values), for the statement that records the owed call, so both commit together. */
  taken(owner: string, leaseSeconds: number): { wecomLockedUntil: SQL; wecomLockedBy: string };
  /** Assignments giving the lease up, for the statement that records the call's outcome. */
  freed(): { wecomLockedUntil: null; wecomLockedBy: null };
  /**
   * The row is in scope and the lease is `owner`'s: run out or not, as long as
   * nobody took it over (a take changes the owner) — an answer WeCom gave is
   * recorded rather than asked for again.
   */
  holds(scope: Scope, owner: string): SQL;
  /** Takes the lease of up to `limit` owed rows whose lease is free; their ids. */
  take(ex: Executor, scope: Scope, o: TakeOptions): Promise<number[]>;
  /** Gives the lease back (or keeps it for a pause), only if `owner` holds it; false when it does not. */
  release(ex: Executor, scope: Scope, id: number, owner: string, o?: GiveBackOptions): Promise<boolean>;
  /** Owed rows and how long the oldest free one has waited, for /metrics. */
  stats(ex: Executor, scope: Scope): Promise<WorkStats>;
}

const MIRROR_LEASE_FREE = sql`(wecom_locked_until is null or wecom_locked_until < now())`;

export function mirrorLease(o: MirrorLeaseOptions): MirrorLease {
  const t = sql.identifier(o.table);
  const until = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;
  const holds = (scope: Scope, owner: string) => sql`${scope.corp(o.table)} and ${sql.identifier(o.table)}.wecom_locked_by = ${owner}`;
  return {
    name: o.name,
    table: o.table,
    taken: (owner, seconds) => ({ wecomLockedUntil: until(seconds), wecomLockedBy: owner }),
    freed: () => ({ wecomLockedUntil: null, wecomLockedBy: null }),
    holds,

    async take(ex, scope, c) {
      const extra = c.where ? sql`and (${c.where})` : sql``;
      const res = await ex.execute(sql`
        update ${t} set wecom_locked_until = ${until(c.leaseSeconds)}, wecom_locked_by = ${c.owner}
        where id in (
          select id from ${t}
          where ${scope.corp()} and (${o.owed}) and ${MIRROR_LEASE_FREE} ${extra}
          order by ${c.orderBy ?? sql`id`}
          limit ${c.limit}
          for update skip locked)
        returning id`);
      return rowsOf<{ id: string }>(res).map((r) => Number(r.id));
    },

    async release(ex, scope, id, owner, g = {}) {
      const lease = g.availableAfterSeconds !== undefined
        ? sql`wecom_locked_until = ${until(g.availableAfterSeconds)}`
        : sql`wecom_locked_until = null, wecom_locked_by = null`;
      const extra = g.set ? sql`, ${g.set}` : sql``;
      const cond = g.where ? sql`and (${g.where})` : sql``;
      const res = await ex.execute(sql`
        update ${t} set ${lease} ${extra}
        where id = ${id} and ${holds(scope, owner)} ${cond}
        returning id`);
      return rowsOf(res).length === 1;
    },

    async stats(ex, scope) {
      // Waiting since the lease ran out (or, never leased, since the last change); never negative, as updated_at may be on a simulated clock.
      const [r] = rowsOf<{ n: number; oldest: number | null }>(await ex.execute(sql`
        select count(*)::int as n,
          greatest(0, extract(epoch from now() - min(coalesce(wecom_locked_until, updated_at)) filter (where ${MIRROR_LEASE_FREE})))::float8 as oldest
        from ${t} where ${scope.corp()} and (${o.owed})`));
      return { byStatus: { owed: Number(r?.n ?? 0) }, oldestDueSeconds: Number(r?.oldest ?? 0) };
    },
  };
}
