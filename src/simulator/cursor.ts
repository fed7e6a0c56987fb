import { fail } from './errors';

/**
 * Opaque paging cursors: base64url JSON tagged with the API they belong to.
 * Anything that does not decode to this API's shape answers 50100.
 */
export function encodeCursor(api: string, position: Record<string, number | string>): string {
  return Buffer.from(JSON.stringify({ a: api, ...position })).toString('base64url');
}

export function decodeCursor<T extends Record<string, number | string>>(api: string, cursor: unknown, shape: { [K in keyof T]: 'number' | 'string' }): T | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  if (typeof cursor !== 'string') return fail(50100);
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail(50100);
  }
  if (!parsed || typeof parsed !== 'object' || parsed.a !== api) return fail(50100);
  for (const [k, type] of Object.entries(shape)) {
    const v = parsed[k];
    if (typeof v !== type || (type === 'number' && (!Number.isInteger(v) || (v as number) < 0))) return fail(50100);
  }
  return parsed as T;
}
