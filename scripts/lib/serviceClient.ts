/**
 * How the command-line tools reach Lifelong: over the running service's HTTP
 * API, never by opening its database — a second process on an embedded
 * (PGlite) database writes where the service never looks, and a tool on a
 * fresh ./data would report success into a database nobody reads.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:3000';
/** Per request: long enough for a batch of orders on a busy embedded database, short enough that a hung service is reported. */
export const REQUEST_TIMEOUT_MS = 120_000;

export interface ServiceTarget {
  /** Base URL without a trailing slash. */
  url: string;
  token: string;
}

/** Bad command line or missing settings: the tool prints the message and its usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The service could not be used: not reachable, token refused, or an error answer. */
export class ServiceError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'unauthorized' | 'refused',
    message: string,
    /** HTTP status and the service's error code, when it answered. */
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** The `--url` / `--token` options every tool takes. */
export const SERVICE_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export const SERVICE_USAGE = [
  `  --url URL      the running Lifelong service (env LIFELONG_URL; default ${DEFAULT_SERVICE_URL})`,
  '  --token TOKEN  its ADMIN_TOKEN (env LIFELONG_TOKEN)',
].join('\n');

/** Parses argv with the service options plus the tool's own; unknown options are a UsageError. */
export function parseToolArgs<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...SERVICE_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Flags first, then LIFELONG_URL / LIFELONG_TOKEN. */
export function serviceTarget(flags: { url?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv): ServiceTarget {
  const raw = flags.url || env.LIFELONG_URL || DEFAULT_SERVICE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url / LIFELONG_URL: ${JSON.stringify(raw)} is not a URL (e.g. ${DEFAULT_SERVICE_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url / LIFELONG_URL: ${raw} is not an http(s) URL`);
  const token = flags.token || env.LIFELONG_TOKEN;
  if (!token) throw new UsageError("no token: pass the service's ADMIN_TOKEN with --token or LIFELONG_TOKEN");
  return { url: url.toString().replace(/\/+$/, ''), token };
}

/**
 * One JSON request to the service. Failures become ServiceError with a
 * message fit for the terminal: where we tried, what came back, what to check.
 * The token is never part of a message.
 */
export async function callService<T>(t: ServiceTarget, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${t.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new ServiceError('unreachable', `cannot reach the Lifelong service at ${t.url} (${why}): is it running? Point --url or LIFELONG_URL at it`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (res.status === 401) {
    throw new ServiceError('unauthorized', `the service at ${t.url} refused the token (401): pass its ADMIN_TOKEN with --token or LIFELONG_TOKEN`, 401, 'unauthorized');
  }
  if (!res.ok) {
    const detail = error && typeof error.message === 'string' ? `${String(error.code)}: ${error.message}` : `no Lifelong error body — is ${t.url} the Lifelong service?`;
    throw new ServiceError('refused', `${method} ${path} answered ${res.status} (${detail})`, res.status, typeof error?.code === 'string' ? error.code : undefined);
  }
  if (json === undefined) throw new ServiceError('refused', `${method} ${path} answered ${res.status} without JSON: is ${t.url} the Lifelong service?`, res.status);
  return json as T;
}
