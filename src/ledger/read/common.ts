import { asc, desc, sql, type Column, type SQL } from 'drizzle-orm';
import { tagGroups, tags } from '../schema';

/**
 * The ledger's read side. Every function takes an executor and the corp id
 * (or, for what the API serves, the request's Scope: corp plus the employees
 * it covers) and scopes every table it touches by corp_id. Rows are plain and typed;
 * shaping for the wire (and leaving out what must not leave) is the
 * presenters' job, but these selects already list their columns, so
 * remark_mobiles is never even read.
 */

/* What every read of the ledger shares: paging, text search, grouping of child rows. */

/** A page of a keyset-paginated list: `hasMore` says whether a next page exists. */
export interface Page<T> {
  rows: T[];
  hasMore: boolean;
}

/** A user's text as a case-insensitive `contains` LIKE pattern: %, _ and \ match only themselves. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

export const ilikeContains = (col: Column, text: string): SQL =>
  sql`${col} ilike ${containsPattern(text)} escape '\\'`;

export const count = (expr: SQL = sql`*`) => sql<number>`count(${expr})`.mapWith(Number);

export async function page<T>(rows: Promise<T[]>, limit: number): Promise<Page<T>> {
  const all = await rows;
  return { rows: all.slice(0, limit), hasMore: all.length > limit };
}

export function groupByKey<T extends { key: string }>(rows: T[]): Map<string, Array<Omit<T, 'key'>>> {
  const out = new Map<string, Array<Omit<T, 'key'>>>();
  for (const { key, ...rest } of rows) {
    const list = out.get(key) ?? [];
    list.push(rest);
    out.set(key, list);
  }
  return out;
}

/** Tag order as WeCom shows it: bigger sort order first. */
export const tagOrder = [desc(tagGroups.sortOrder), desc(tags.sortOrder), asc(tags.tagId)];

/** History rows a detail read returns at most. */
export const HISTORY_LIMIT = 200;
