/**
 * One error vocabulary. Every error a client can see has a stable snake_case
 * code and an HTTP status; the http layer maps by class, never by message.
 */
export type ErrorCode =
  | 'bad_request' | 'validation_failed' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict'
  | 'payload_too_large' | 'unsupported_media_type' | 'internal' | 'not_ready'
  | 'bad_signature' | 'stale_timestamp' | 'foreign_corp' | 'undecryptable' | 'malformed_xml'
  | 'wecom_error' | 'wecom_rate_limited' | 'wecom_unavailable' | 'wecom_permission_denied'
  | 'invalid_rule'
  | 'takeover_required' | 'nothing_to_transfer'
  | 'invalid_schedule' | 'invalid_content';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400, validation_failed: 400, unauthorized: 401, forbidden: 403, not_found: 404,
  conflict: 409, payload_too_large: 413, unsupported_media_type: 415, internal: 500, not_ready: 503,
  bad_signature: 401, stale_timestamp: 401, foreign_corp: 400, undecryptable: 400, malformed_xml: 400,
  wecom_error: 502, wecom_rate_limited: 503, wecom_unavailable: 503, wecom_permission_denied: 502,
  invalid_rule: 400,
  takeover_required: 409, nothing_to_transfer: 409,
  invalid_schedule: 400, invalid_content: 400,
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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
