import { sql, type SQL } from 'drizzle-orm';

/**
 * Rows for a set-based statement as ONE json parameter
 * (`select … from jsonb_to_recordset(${jsonRows(rows)}) as x(col type, …)`):
 * a page of a hundred rows costs one bound value instead of a thousand,
 * which is where row-by-row query building spent its time.
 */
export function jsonRows(rows: readonly object[]): SQL {
  return sql`${sql.param(JSON.stringify(rows))}::jsonb`;
}

/** A text array as one parameter, for `col = any(${textArray(ids)})`. */
export function textArray(values: readonly string[]): SQL {
  return sql`${sql.param([...values])}::text[]`;
}

/** An int array as one parameter, for `col = any(${intArray(ids)})` or `&&`. */
export function intArray(values: readonly number[]): SQL {
  return sql`${sql.param([...values])}::int[]`;
}
