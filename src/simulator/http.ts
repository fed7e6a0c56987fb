import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger';
import type { CallCounter } from './calls';
import type { SimCore } from './core';
import { errmsgFor, WeComError } from './errors';
import type { FaultInjector } from './faults';
import { type FormPart, multipartBoundary, parseMultipart } from './multipart';
import type { RateLimiter } from './limits';
import type { ApiRegistry } from './registry';

const MAX_BODY = 16 * 1024 * 1024;
/** Uploads: the largest media WeCom takes is 20 MB; a little more is read so that oversize files answer 40006. */
const MAX_UPLOAD = 24 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The raw body up to `max` bytes; beyond it the rest is drained and `tooLarge` set (the caller answers an errcode). */
function readUpload(req: IncomingMessage, max = MAX_UPLOAD): Promise<{ data: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve({ data: size <= max ? Buffer.concat(chunks) : Buffer.alloc(0), tooLarge: size > max }));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** 404 with an empty body, as WeCom answers unknown paths. */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ApiDeps {
  core: SimCore;
  registry: ApiRegistry;
  calls: CallCounter;
  faults: FaultInjector;
  limiter: RateLimiter;
  /** API path → errcode forced for every call (48002 / 48009 / 60011 …). */
  denied: Map<string, number>;
  log: Logger;
}

const clientIp = (req: IncomingMessage) => (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

/**
 * One /cgi-bin call, in WeCom's order of concerns: unknown path → 404; count;
 * injected faults; frequency limit; token (query only); permission; method;
 * body; then the handler. Business errors are HTTP 200 with the envelope and
 * the route's list fields present but empty.
 */
export async function handleApiCall(deps: ApiDeps, req: IncomingMessage, res: ServerResponse, apiPath: string, query: Record<string, string>): Promise<void> {
  const { core, registry, calls, faults, limiter, denied, log } = deps;
  const route = registry.get(apiPath);
  if (!route) {
    sendEmpty(res, 404);
    return;
  }
  let form: FormPart[] | undefined;
  let tooLarge = false;
  let raw = '';
  if (route.multipart && req.method === 'POST') {
    const upload = await readUpload(req);
    tooLarge = upload.tooLarge;
    const boundary = multipartBoundary(req.headers['content-type']);
    form = boundary && !tooLarge ? parseMultipart(upload.data, boundary) : undefined;
  } else if (req.method === 'POST') {
    raw = await readBody(req);
  }
  let body: Record<string, unknown> = {};
  let badJson = false;
  if (raw.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      else badJson = true;
    } catch {
      badJson = true;
    }
  }
  let ids: string[] = [];
  try {
    ids = route.ids?.({ query, body }) ?? [];
  } catch {
    ids = [];
  }
  calls.record(apiPath, ids);

  const fault = faults.take(apiPath);
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.httpStatus !== undefined) {
    sendEmpty(res, fault.httpStatus);
    return;
  }

  const ip = clientIp(req);
  const answerError = (errcode: number, detail?: string) => {
    const errmsg = errmsgFor(errcode, ip, core.nowSeconds(), detail);
    sendJson(res, 200, { errcode, errmsg, ...(route.emptyOnFailure ?? {}) }, { 'error-code': String(errcode) });
  };
  try {
    if (fault.errcode !== undefined) throw new WeComError(fault.errcode);
    if (!limiter.admit(apiPath)) throw new WeComError(45009);
    let token;
    if (route.needsToken !== false) {
      const t = query.access_token;
      if (!t) throw new WeComError(41001);
      const checked = core.tokens.check(t);
      if (!checked.ok) throw new WeComError(checked.errcode);
      token = checked.info;
      // 企业可信IP is configured per self-built app: calls with the app's token from other IPs fail.
      if (token.kind === 'agent' && !core.signIn.isTrustedIp(ip)) throw new WeComError(60020);
    }
    const forced = denied.get(apiPath);
    if (forced !== undefined) throw new WeComError(forced);
    if (route.contact && token?.kind === 'agent' && !core.settings.agentSecretHasContactPermission) throw new WeComError(48002);
    if (route.method === 'POST' && req.method !== 'POST') throw new WeComError(40003, 'POST required');
    if (badJson) throw new WeComError(47001);
    core.settle();
    const result = await route.handle({ api: apiPath, method: route.method, query, body, token, ip, ...(route.multipart ? { form, tooLarge } : {}) });
    sendJson(res, 200, { errcode: 0, errmsg: 'ok', ...result }, { 'error-code': '0' });
  } catch (err) {
    if (err instanceof WeComError) {
      answerError(err.errcode, err.detail);
      return;
    }
    log.error({ err, api: apiPath }, 'simulator handler failed');
    answerError(-1);
  }
}
