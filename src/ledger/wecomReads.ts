import { errcodeMeaning, errcodeOf, isWeComError } from '../wecom/client';

/**
 * Errcodes that mean "WeCom will not show us this" (app not authorised, outside
 * the visible range, untrusted IP, no licence …). Their rules change; a read
 * that meets one degrades (recorded as a warning) instead of failing the work.
 */
export const PERMISSION_ERRCODES: ReadonlySet<number> = new Set([48002, 48009, 60011, 60020, 60021, 84074, 701008]);

/** Errcodes that mean "that thing is not there (any more)". */
export const GONE_ERRCODES: ReadonlySet<number> = new Set([84061, 40096, 60111, 40003, 90501]);

export interface PermissionWarning {
  phase: string;
  api: string;
  errcode: number;
  message: string;
}

export function permissionWarning(phase: string, err: unknown): PermissionWarning | undefined {
  const code = errcodeOf(err);
  if (code === undefined || !PERMISSION_ERRCODES.has(code) || !isWeComError(err)) return undefined;
  return { phase, api: err.api, errcode: code, message: errcodeMeaning(code) };
}

/**
 * Runs a WeCom read; a permission or not-found errcode gives `undefined`
 * (the caller goes on with what it knows), anything else is thrown so the
 * work is retried.
 */
export async function readOrNothing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    const code = errcodeOf(err);
    if (code !== undefined && (PERMISSION_ERRCODES.has(code) || GONE_ERRCODES.has(code))) return undefined;
    throw err;
  }
}
