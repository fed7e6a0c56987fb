import pino, { type Logger } from 'pino';
import { serializeError } from './errors';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear (one level deep under any key).
 * Secrets and customer PII must never reach a log line; callers still avoid
 * logging payloads, this is the net under them.
 */
const REDACT_KEYS = [
  'access_token', 'accessToken', 'corpsecret', 'secret', 'token', 'adminToken', 'aesKey',
  'authorization', 'Authorization', 'password', 'mobile', 'phone', 'email', 'name', 'remark',
  'description', 'content', 'Content', 'echostr', 'Encrypt', 'xml', 'payload',
];
const REDACT_PATHS = [...REDACT_KEYS, ...REDACT_KEYS.map((k) => `*.${k}`), 'req.headers.authorization'];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'lifelong' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are logged by their safe summary: no query parameters, no quoted values (see errorMessage).
      serializers: { err: serializeError, error: serializeError },
    },
    destination,
  );
}

/** Strips secrets from a URL's query string before it is logged or put into an error. */
export function safeUrl(url: string): string {
  return url.replace(/([?&](?:access_token|corpsecret|secret|echostr|msg_signature)=)[^&]*/gi, '$1[redacted]');
}

/** The process-wide logger; modules take a child with their category. */
export const logger = createLogger();
