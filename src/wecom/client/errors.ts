import type { ErrorCode } from '../../lib/errors';

/**
 * Short English meanings of the errcodes an SCRM meets (API-NOTES §3, §6.2).
 * Also the allow-list of errcodes that get their own metrics label.
 */
export const ERRCODE_MEANINGS: Readonly<Record<number, string>> = Object.freeze({
  [-1]: 'system busy',
  40001: 'invalid secret (invalid credential)',
  40003: 'invalid userid, or GET on a POST API',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40029: 'invalid sign-in code (unknown, already used or expired)',
  40056: 'invalid agentid',
  40058: 'invalid parameter',
  40068: 'invalid tag id',
  40071: 'tag name already exists',
  40096: 'invalid external_userid',
  40097: 'handover employee has not left',
  40098: 'employee not real-name verified',
  40099: "employee's external-contact count at the limit",
  40100: "this employee's customers are already in a transfer",
  40126: 'corp tag count at the limit',
  40128: 'customer transferred too often (90-day rule)',
  40129: 'customer is currently being transferred',
  40130: 'handover and takeover are the same employee',
  40131: "handover is not the customer's follow user",
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'secret missing',
  41008: 'sign-in code missing',
  41041: 'too many members on a contact way',
  41044: 'invalid contact-way config_id',
  41045: 'API contact-way quota reached',
  41048: 'no customer can be sent to',
  41049: 'welcome code missing',
  41050: 'welcome code invalid or expired',
  41051: 'customer and employee already chatting (welcome already sent)',
  41054: 'employee not activated',
  41063: 'mass message still being dispatched',
  41064: 'attachment too large',
  41065: 'invalid attachment type',
  41096: 'welcome message being sent by another app',
  42001: 'access_token expired',
  45002: 'content too long',
  45009: 'API frequency limit exceeded',
  45033: 'API concurrency limit exceeded',
  45035: 'concurrent conflicting write',
  48002: 'API not allowed for this token (app not authorised, or wrong secret)',
  50001: "redirect_uri domain is not the app's trusted domain",
  50100: 'invalid pagination cursor',
  60011: 'no privilege for the member, department or tag',
  60020: 'caller IP not in trusted IPs',
  60021: "userid outside the app's visible range",
  60111: 'userid does not exist',
  81013: 'all message recipients invalid',
  81017: 'too many items requested (add owner_filter)',
  84061: 'no external-contact relation',
  84074: 'no external-contact permission',
  90500: 'group owner has not resigned',
  90501: 'not a customer group',
  90502: 'group owner has already resigned',
  90503: 'group full with WeChat members (client confirmation required)',
  90504: 'group owner unchanged',
  90507: 'group inheritance in progress',
  90508: 'group already inherited',
  301002: "agentid does not match the token's app",
  701008: 'no requested user has an interop licence',
});

/** The token was refused: refresh it and retry the call once (40001 is a bad secret, not this). */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40014, 42001]);
/** WeCom refused because of load: 45009 frequency window, 45033 concurrency. */
export const RATE_LIMIT_ERRCODES: ReadonlySet<number> = new Set([45009, 45033]);
/** Our configuration is wrong (secret, corp, permissions, IP): a human must act. */
export const CONFIG_ERRCODES: ReadonlySet<number> = new Set([40001, 40013, 48002, 50001, 60011, 60020, 84074, 301002]);

export const errcodeMeaning = (errcode: number): string => ERRCODE_MEANINGS[errcode] ?? 'unknown errcode';

export type WeComErrorKind = 'request' | 'http' | 'platform' | 'rate_limited';

/**
 * Base of the four failure kinds. Messages carry the API path and the errcode
 * or status, never the URL's query (token, secret) or a response body.
 * `errmsg` is kept on the object for debugging but is not enumerable, so
 * logging `{ err }` does not print it (it can contain ids).
 */
export abstract class WeComError extends Error {
  abstract readonly kind: WeComErrorKind;
  /** API path under /cgi-bin/, e.g. 'externalcontact/list'. */
  readonly api: string;
  readonly errcode?: number;
  declare readonly errmsg?: string;
  readonly status?: number;
  /** Short readable meaning of the errcode / status / network failure. */
  readonly meaning: string;

  protected constructor(api: string, detail: string, meaning: string, fields: { errcode?: number; errmsg?: string; status?: number }) {
    super(`WeCom ${api}: ${detail}`);
    this.name = new.target.name;
    this.api = api;
    this.meaning = meaning;
    if (fields.errcode !== undefined) this.errcode = fields.errcode;
    if (fields.status !== undefined) this.status = fields.status;
    Object.defineProperty(this, 'errmsg', { value: fields.errmsg, enumerable: false, writable: false });
  }
}

/** The request never got an HTTP answer: network error, refused connection, timeout. */
export class WeComRequestError extends WeComError {
  readonly kind = 'request' as const;
  /** 'timeout' or the socket error code (ECONNRESET, ECONNREFUSED …). */
  readonly reason: string;
  constructor(api: string, reason: string) {
    super(api, `request failed (${reason})`, reason === 'timeout' ? 'no answer before the timeout' : `network error ${reason}`, {});
    this.reason = reason;
  }
}

/** An HTTP answer that is not a WeCom envelope: non-2xx status, or a body that is not JSON. */
export class WeComHttpError extends WeComError {
  readonly kind = 'http' as const;
  constructor(api: string, status: number, meaning = `HTTP ${status}`) {
    super(api, `HTTP ${status} (${meaning})`, meaning, { status });
  }
}

/** WeCom answered with a non-zero errcode. */
export class WeComPlatformError extends WeComError {
  readonly kind = 'platform' as const;
  declare readonly errcode: number;
  constructor(api: string, errcode: number, errmsg?: string) {
    super(api, `errcode ${errcode} (${errcodeMeaning(errcode)})`, errcodeMeaning(errcode), { errcode, errmsg });
  }
}

/** WeCom refused because of its frequency (45009) or concurrency (45033) limits, or HTTP 429. */
export class WeComRateLimitedError extends WeComError {
  readonly kind = 'rate_limited' as const;
  constructor(api: string, fields: { errcode?: number; errmsg?: string; status?: number }) {
    const meaning = fields.errcode !== undefined ? errcodeMeaning(fields.errcode) : `HTTP ${fields.status ?? 429}`;
    const detail = fields.errcode !== undefined ? `errcode ${fields.errcode} (${meaning})` : meaning;
    super(api, detail, meaning, fields);
  }
}

export function isWeComError(err: unknown): err is WeComError {
  return err instanceof WeComError;
}

/** The WeCom errcode carried by an error, if it is a WeCom error with one. */
export function errcodeOf(err: unknown): number | undefined {
  return isWeComError(err) ? err.errcode : undefined;
}

export const isTokenErrcode = (errcode: number | undefined): boolean => errcode !== undefined && TOKEN_ERRCODES.has(errcode);

/** Worth retrying for an idempotent call: the platform or the network hiccupped, nothing was wrong with the request. */
export function isTransient(err: WeComError): boolean {
  switch (err.kind) {
    case 'request':
      return true;
    case 'http':
      return (err.status ?? 0) >= 500;
    case 'rate_limited':
      return err.errcode === 45033;
    case 'platform':
      return err.errcode === -1;
  }
}

/** The application error code (src/lib/errors.ts) a WeCom failure maps to, for the one place that maps errors. */
export function appErrorCode(err: WeComError): ErrorCode {
  if (err.kind === 'rate_limited') return 'wecom_rate_limited';
  if (err.kind === 'request' || err.kind === 'http' || err.errcode === -1) return 'wecom_unavailable';
  if (err.errcode !== undefined && CONFIG_ERRCODES.has(err.errcode)) return 'wecom_permission';
  return 'wecom_error';
}

/** Metrics label for a failure: known errcodes get their own value, the rest share one (bounded cardinality). */
export function outcomeLabel(err: WeComError): string {
  if (err.kind === 'request') return 'network_error';
  if (err.errcode === undefined) return 'http_error';
  return ERRCODE_MEANINGS[err.errcode] !== undefined ? `errcode_${err.errcode}` : 'errcode';
}
