import { AppError } from '../../lib/errors';
import { appErrorCode, errcodeOf, isTransient, isWeComError } from '../../wecom/client';

/** A 400 naming the field, the same shape zod's failures take (`validation_failed`, details [{path, message}]). */
export function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `${path}: ${message}`, [{ path, message }]);
}

/**
 * Whether a failed WeCom write may have reached WeCom (network, timeout, 5xx,
 * busy): its outcome is unknown, so the record stays open for recovery.
 */
export function outcomeUnknown(err: unknown): boolean {
  return !isWeComError(err) || isTransient(err) || err.kind === 'rate_limited';
}

/** A WeCom failure as the API answers it (502/503 with the errcode). */
export function wecomFailure(err: unknown, what: string): AppError {
  if (!isWeComError(err)) return err instanceof AppError ? err : new AppError('internal', `${what} failed`);
  const errcode = errcodeOf(err);
  return new AppError(appErrorCode(err), `${what}: WeCom ${errcode !== undefined ? `errcode ${errcode} (${err.meaning})` : err.meaning}`, errcode !== undefined ? { errcode } : undefined);
}
