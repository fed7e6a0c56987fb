import { sql, type SQL } from 'drizzle-orm';

/** Keyset paging over (at, id) for merged timelines (general SQL; the ledger's history pages with it). */

/**
 * A keyset bound on (at, id) for merged timelines: rows strictly before `at`,
 * plus rows exactly at `at` — all of them, none, or those with id below a number
 * (the caller decides by how its own sources order against this one).
 * `at` is an ISO timestamp with microseconds, as `atText` of the rows returns it.
 */
export interface KeysetBefore {
  at: string;
  tie: 'all' | 'none' | number;
}

/** The SQL text of a timestamptz column as ISO-8601 UTC with microseconds. */
export const isoMicros = (col: SQL) =>
  sql`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The keyset condition of `KeysetBefore` over an `at` and an `id` column. */
export function keysetCondition(at: SQL, id: SQL, b: KeysetBefore | undefined) {
  if (!b) return sql`true`;
  const t = sql`${b.at}::timestamptz`;
  if (b.tie === 'all') return sql`${at} <= ${t}`;
  if (b.tie === 'none') return sql`${at} < ${t}`;
  return sql`(${at} < ${t} or (${at} = ${t} and ${id} < ${b.tie}))`;
}
