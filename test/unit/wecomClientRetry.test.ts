import type { Db } from '../../src/db/connection';
import { ConfigError } from '../../src/lib/config';
import { createLogger } from '../../src/lib/logger';
import {
  DEFAULT_RETRY,
  MemoryTokenStore,
  Semaphore,
  WeComClient,
  WeComHttpError,
  WeComPlatformError,
  WeComRateLimitedError,
  WeComRequestError,
  backoffMs,
  createWeComClient,
} from '../../src/wecom/client';
import { nextRetryDelay } from '../../src/wecom/client/retry';

describe('backoff', () => {
  test('full jitter: between 0 and min(cap, base·2^(n−1))', () => {
    const o = { baseMs: 200, capMs: 5000 };
    expect(backoffMs(1, o, () => 0.999)).toBe(199);
    expect(backoffMs(3, o, () => 0.999)).toBe(799);
    expect(backoffMs(10, o, () => 0.999)).toBe(4995);
    expect(backoffMs(10, o, () => 0)).toBe(0);
  });

  test('transient failures of reads are retried attempts−1 times, then given up', () => {
    const counts = { transient: 0, rateLimited: 0 };
    const busy = new WeComPlatformError('x', -1);
    const delays = Array.from({ length: 5 }, () => nextRetryDelay(busy, true, counts, DEFAULT_RETRY, () => 0.5));
    expect(delays).toEqual([100, 200, 400, undefined, undefined]);
  });

  test('what counts as transient', () => {
    const retried = (err: Parameters<typeof nextRetryDelay>[0], idempotent = true) =>
      nextRetryDelay(err, idempotent, { transient: 0, rateLimited: 0 }, DEFAULT_RETRY) !== undefined;
    expect(retried(new WeComRequestError('x', 'timeout'))).toBe(true);
    expect(retried(new WeComHttpError('x', 502))).toBe(true);
    expect(retried(new WeComRateLimitedError('x', { errcode: 45033 }))).toBe(true);
    expect(retried(new WeComRateLimitedError('x', { errcode: 45009 }))).toBe(true);
    expect(retried(new WeComHttpError('x', 404))).toBe(false);
    expect(retried(new WeComPlatformError('x', 40058))).toBe(false);
    expect(retried(new WeComPlatformError('x', 40014))).toBe(false); // token errcodes are handled by the client, once
    expect(retried(new WeComPlatformError('x', -1), false)).toBe(false);
    expect(retried(new WeComRequestError('x', 'ECONNRESET'), false)).toBe(false);
  });

  test('45009 waits the rate-limit window, a bounded number of times', () => {
    const counts = { transient: 0, rateLimited: 0 };
    const limited = new WeComRateLimitedError('x', { errcode: 45009 });
    const o = { ...DEFAULT_RETRY, rateLimitWaitMs: 60_000, rateLimitRetries: 1 };
    expect(nextRetryDelay(limited, true, counts, o, () => 0)).toBe(60_000);
    expect(nextRetryDelay(limited, true, counts, o, () => 0)).toBeUndefined();
  });
});

describe('Semaphore', () => {
  test('runs at most max at once and hands slots to waiters in order', async () => {
    const sem = new Semaphore(2);
    const order: string[] = [];
    let active = 0;
    let peak = 0;
    const job = (name: string, ms: number) =>
      sem.run(async () => {
        active += 1;
        peak = Math.max(peak, active);
        order.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        active -= 1;
      });
    await Promise.all([job('a', 20), job('b', 5), job('c', 5), job('d', 5)]);
    expect(peak).toBe(2);
    expect(order).toEqual(['start a', 'start b', 'start c', 'start d']);
    expect(sem.stats).toEqual({ active: 0, waiting: 0 });
  });

  test('a failing job releases its slot', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sem.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('MemoryTokenStore', () => {
  test('a lock holder that throws leaves the previous token in place', async () => {
    const store = new MemoryTokenStore();
    const old = { accessToken: 'OLD', expiresAt: new Date(Date.now() + 60_000) };
    store.set('contact', old);
    await expect(
      store.withLock('contact', async (slot) => {
        await slot.save({ accessToken: 'HALF', expiresAt: new Date() });
        throw new Error('gettoken failed');
      }),
    ).rejects.toThrow('gettoken failed');
    await expect(store.get('contact')).resolves.toEqual(old);
  });

  test('invalidate only removes the token that failed', async () => {
    const store = new MemoryTokenStore();
    store.set('contact', { accessToken: 'CURRENT', expiresAt: new Date(Date.now() + 60_000) });
    await store.invalidate('contact', 'OLDER');
    await expect(store.get('contact')).resolves.toMatchObject({ accessToken: 'CURRENT' });
    await store.invalidate('contact', 'CURRENT');
    await expect(store.get('contact')).resolves.toBeUndefined();
  });
});

describe('createWeComClient', () => {
  const config = {
    corpId: 'wwcorp',
    WECOM_API_BASE: 'http://127.0.0.1:9',
    WECOM_CONTACT_SECRET: 'c',
    WECOM_AGENT_SECRET: 'a',
    WECOM_AGENT_ID: '1000002',
  };
  const db = {} as Db; // the store only touches it on first use

  test('builds a client from the app config', () => {
    const client = createWeComClient(config, db, createLogger('silent'));
    expect(client).toBeInstanceOf(WeComClient);
    expect(client.agentId).toBe(1000002);
    expect(client.corpId).toBe('wwcorp');
  });

  test('rejects a non-numeric WECOM_AGENT_ID', () => {
    expect(() => createWeComClient({ ...config, WECOM_AGENT_ID: 'abc' }, db, createLogger('silent'))).toThrow(ConfigError);
  });
});
