import { fail } from './errors';

/** Request-field readers: a missing or mistyped field answers 40058 like WeCom's "invalid Parameter". */
export function requireString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') return fail(40058, `${field} is required`);
  return v;
}

export function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return fail(40058, `${field} must be a string`);
  return v;
}

export function optionalInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) return fail(40058, `${field} must be an integer`);
  return n;
}

export function stringList(v: unknown, field: string, max?: number): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return fail(40058, `${field} must be a list of strings`);
  if (max !== undefined && v.length > max) return fail(40058, `${field} exceeds ${max} items`);
  return v as string[];
}

/** Length in characters (code points), as WeCom's remark limits count them. */
export const charLength = (s: string) => [...s].length;
