/**
 * One error vocabulary. Every error a client can see has a stable snake_case
 * code and an HTTP status; the http layer maps by class, never by message.
 */
export type ErrorCode =
  | 'bad_request' | 'validation_failed' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict'
  | 'payload_too_large' | 'unsupported_media_type' | 'internal' | 'not_ready'
  | 'bad_signature' | 'stale_timestamp' | 'foreign_corp' | 'undecryptable' | 'malformed_xml'
  | 'wecom_error' | 'wecom_rate_limited' | 'wecom_unavailable' | 'wecom_permission'
  | 'request_timeout' | 'invalid_text' | 'invalid_encoding' | 'method_not_allowed'
  | 'invalid_rule'
  | 'unknown_employee' | 'employee_departed'
  | 'takeover_required' | 'nothing_to_transfer'
  | 'invalid_schedule' | 'invalid_content'
  | 'csrf_failed' | 'login_failed';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400, validation_failed: 400, unauthorized: 401, forbidden: 403, not_found: 404,
  conflict: 409, payload_too_large: 413, unsupported_media_type: 415, internal: 500, not_ready: 503,
  bad_signature: 401, stale_timestamp: 401, foreign_corp: 400, undecryptable: 400, malformed_xml: 400,
  wecom_error: 502, wecom_rate_limited: 429, wecom_unavailable: 503, wecom_permission: 502,
  request_timeout: 408, invalid_text: 400, invalid_encoding: 400, method_not_allowed: 405,
  invalid_rule: 400,
  unknown_employee: 400, employee_departed: 400,
  takeover_required: 409, nothing_to_transfer: 409,
  invalid_schedule: 400, invalid_content: 400,
  csrf_failed: 403, login_failed: 401,
};

export class AppError extends Error {
  readonly status: number;
  /** 5xx messages are not shown to clients unless marked safe. */
  readonly expose: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = STATUS[code];
    this.expose = this.status < 500 || code.startsWith('wecom_') || code === 'not_ready';
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError('bad_request', message, details);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const conflict = (message: string) => new AppError('conflict', message);

/**
 * An error's message, safe to log or store: a failed query's bound values
 * never appear. Drizzle puts them in its message (`Failed query: … params:
 * <values>`), and PostgreSQL's own messages quote the offending value
 * (`invalid input syntax for type integer: "<value>"`); both are customer
 * data. What stays is the SQLSTATE, PostgreSQL's message without the value,
 * and the statement's shape (its text has placeholders, not values).
 */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return typeof err === 'string' ? err : 'non-error thrown';
  const query = failedQuery(err);
  if (query) {
    const db = databaseError(err.cause);
    const reason = db ? `${db.code}: ${maskQuotedValue(db.message)}` : err.cause instanceof Error ? maskQuotedValue(err.cause.message) : 'unknown cause';
    return `query failed (${reason}); statement: ${statementShape(query)}`;
  }
  const db = databaseError(err);
  if (db) return `${db.code}: ${maskQuotedValue(db.message)}`;
  return err.message;
}

/** The pino serializer for `err`: type, safe message, codes and a stack whose first line is that safe message. */
export function serializeError(err: unknown): Record<string, unknown> {
  // `{ message: errorMessage(err) }` built by a caller is already safe.
  if (!(err instanceof Error)) return typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : { message: String(err) };
  const message = errorMessage(err);
  const out: Record<string, unknown> = { type: err.name, message };
  const e = err as unknown as Record<string, unknown>;
  for (const k of ['code', 'errcode', 'status', 'api']) if (typeof e[k] === 'string' || typeof e[k] === 'number') out[k] = e[k];
  const db = databaseError(failedQuery(err) ? err.cause : err);
  if (db) {
    out.sqlstate = db.code;
    for (const k of ['table', 'column', 'constraint', 'routine'] as const) if (db[k]) out[k] = db[k];
  }
  // The stack's first lines repeat the raw message; keep only the frames.
  const frames = (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  out.stack = [`${err.name}: ${message}`, ...frames].join('\n');
  if (err.cause !== undefined && !failedQuery(err)) out.cause = serializeError(err.cause);
  return out;
}

interface DatabaseErrorFields { code: string; message: string; table?: string; column?: string; constraint?: string; routine?: string }

/** A PostgreSQL error (pg's DatabaseError, on both databases): a five-character SQLSTATE and a severity. */
function databaseError(err: unknown): DatabaseErrorFields | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & Partial<DatabaseErrorFields> & { severity?: unknown };
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string' ? (e as DatabaseErrorFields) : undefined;
}

/** Drizzle's DrizzleQueryError carries the statement and its parameters. */
function failedQuery(err: Error): string | undefined {
  const e = err as Error & { query?: unknown; params?: unknown };
  return typeof e.query === 'string' && 'params' in e ? e.query : undefined;
}

/** PostgreSQL ends many messages with the offending value in quotes: keep the sentence, drop the value. */
function maskQuotedValue(message: string): string {
  return message.replace(/: ".*"$/s, ': "[value redacted]"').replace(/\bKey \(.*$/s, 'Key [redacted]');
}

/** The statement's shape, short: its text holds placeholders ($1 …), not values. */
function statementShape(query: string): string {
  const oneLine = query.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}
