import { sql, type SQL } from 'drizzle-orm';

/**
 * A business time as a SQL value. Two clocks meet in the database: leases
 * (locked_until) are coordination between instances and use the database's
 * own now(); due times (available_at, windows, expiries) are business time
 * and use the injected clock, so a demo that fast-forwards the simulator's
 * clock makes them due — the service decides by the same time it is told.
 */
export const sqlTime = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;
