import { sql, type SQL } from 'drizzle-orm';

/**
 * Keyset paging, newest first, over an `at` (timestamptz) and an `id` column, and
 * lists merged from several such sources. Times travel as exact text (microseconds):
 * a JavaScript Date would round them to milliseconds and skip or repeat rows.
 */

/**
 * A keyset bound on (at, id): rows strictly before `at`, plus rows exactly at `at` —
 * all of them, none, or those with id below a number (the caller decides by how its
 * own sources order against this one). `at` is ISO with microseconds, as `isoMicros` returns it.
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

/** Where a merged list's page ended: entries sort by (at, source, id), all descending. */
export interface MergedCursor<S extends string> {
  at: string;
  source: S;
  id: number;
}

const MERGED_CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([a-z_]+)\|(\d+)$/;

/** The cursor text `at|source|id` of a merged list's entry. */
export const encodeMergedCursor = (at: string, source: string, id: number | string): string => `${at}|${source}|${id}`;

/** A merged list's cursor, or undefined when the text is not one (or names a source not in `sources`). */
export function parseMergedCursor<S extends string>(text: string, sources: readonly S[]): MergedCursor<S> | undefined {
  const m = MERGED_CURSOR.exec(text);
  if (!m || !sources.includes(m[2] as S)) return undefined;
  return { at: m[1]!, source: m[2] as S, id: Number(m[3]) };
}

/** One source's bound after a merged cursor; it follows from the (at, source, id) descending order. */
export function mergedBound<S extends string>(source: S, c: MergedCursor<S> | undefined): KeysetBefore | undefined {
  if (!c) return undefined;
  return { at: c.at, tie: source < c.source ? 'all' : source > c.source ? 'none' : c.id };
}
