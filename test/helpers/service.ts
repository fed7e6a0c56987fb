import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/lib/config';
import { createLogger } from '../../src/lib/logger';
import { startService, type Service, type ServiceOptions } from '../../src/service';
import type { Database } from '../../src/db/connection';

/** A fresh corp per test keeps rows apart even on a shared database. */
export const freshCorpId = () => `wwtest${randomBytes(6).toString('hex')}`;

export function testConfig(env: Record<string, string> = {}): Readonly<Config> {
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    WECOM_CORP_ID: freshCorpId(),
    WECOM_CALLBACK_TOKEN: 'testtoken',
    WECOM_CALLBACK_AES_KEY: randomBytes(32).toString('base64').slice(0, 43).replace(/[+/]/g, 'a'),
    ADMIN_TOKEN: 'test-admin-token',
    LOG_LEVEL: 'silent',
    // No test reaches the real WeCom: unless a test points the client at a simulator, calls hit a closed loopback port.
    WECOM_API_BASE: 'http://127.0.0.1:9',
    ...env,
  });
}

export async function startTestService(
  database: Database,
  config: Readonly<Config>,
  extra: Partial<ServiceOptions> = {},
): Promise<Service> {
  return startService({
    config,
    database,
    log: createLogger('silent'),
    workerPollMs: 50,
    backoff: { baseSeconds: 0.05, capSeconds: 0.2 },
    ...extra,
  });
}

export const auth = { authorization: 'Bearer test-admin-token' };

export async function getJson<T = any>(url: string, headers: Record<string, string> = auth): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls until `check` returns a truthy value or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs}ms${last ? `: ${String(last)}` : ''}`);
}

/**
 * A request over node:http, which has no connect timeout of its own (fetch
 * gives up connecting after 10 s): for tests whose assertion is about the
 * answers, on a machine so loaded that accepting a connection can take longer.
 */
export function httpRequest(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
