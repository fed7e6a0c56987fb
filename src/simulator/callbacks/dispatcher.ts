import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { encrypt, getSignature } from '@wecom/crypto';
import type { Logger } from '../../lib/logger';
import { safeUrl } from '../../lib/logger';
import type { BuiltEvent, EventSummary } from './eventXml';

/** normal: deliver (with retries); drop: never sent (WeCom gave up); duplicate: delivered twice. */
export type DeliveryMode = 'normal' | 'drop' | 'duplicate';

export interface CallbackSettings {
  token: string;
  aesKey: string;
  url?: string;
  /** Per attempt; WeCom waits 5 s. */
  timeoutMs: number;
  /** Retries after the first attempt; WeCom makes three. */
  retries: number;
  /** Pause between attempts (undocumented by WeCom; 1 s by default). */
  retrySpacingMs: number;
  /** Default mode for deliveries that don't name one. */
  deliver: DeliveryMode;
  /** Envelope timestamps from the wall clock instead of the simulated clock (CreateTime stays simulated). */
  realTimestamps: boolean;
  /** Finished deliveries kept for GET /__sim/callbacks. */
  maxHistory: number;
}

export interface DeliveryAttempt {
  /** 1 for the first copy, 2 for a duplicate's second copy. */
  copy: number;
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
  timestamp: string;
  nonce: string;
}

export interface Delivery {
  id: number;
  summary: EventSummary;
  /** The decrypted inner XML; every attempt and copy encrypts this same text. */
  xml: string;
  mode: DeliveryMode;
  status: 'pending' | 'delivered' | 'failed' | 'dropped' | 'no_url';
  attempts: DeliveryAttempt[];
}

export interface UrlVerification {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
  /** The plaintext the receiver had to echo. */
  echo: string;
  durationMs: number;
  /** WeCom requires the answer within 1 s. */
  withinDeadline: boolean;
}

interface PostResult { status?: number; body?: string; error?: string }

function send(method: 'GET' | 'POST', url: string, body: string | undefined, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ error: 'invalid url' });
      return;
    }
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(target, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        resolve({ error: err.message });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ error: err.message });
    });
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const nonceDigits = () => String(randomInt(100000000, 2147483647));

/**
 * Delivers events like WeCom: POST <url>?msg_signature&timestamp&nonce with the
 * encrypted envelope; a non-200 answer, connection error or timeout is retried
 * up to `retries` more times, each retry re-encrypting the same inner XML with a
 * fresh random prefix, nonce and timestamp. Deliveries run concurrently and
 * asynchronously; `flush()` waits for all of them.
 */
export class CallbackDispatcher {
  private readonly deliveries: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly settings: CallbackSettings,
    private readonly ctx: { corpId: string; agentId: number; nowSeconds: () => number; log: Logger },
  ) {}

  configure(patch: Partial<CallbackSettings>): void {
    Object.assign(this.settings, patch);
  }

  enqueue(event: BuiltEvent, mode: DeliveryMode = this.settings.deliver): Delivery {
    const d: Delivery = { id: this.nextId++, summary: event.summary, xml: event.xml, mode, status: 'pending', attempts: [] };
    this.deliveries.push(d);
    this.trim();
    if (mode === 'drop') {
      d.status = 'dropped';
      return d;
    }
    const url = this.settings.url;
    if (!url) {
      d.status = 'no_url';
      return d;
    }
    const p = this.run(d, url).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return d;
  }

  /** Wait until every pending delivery (retries included) has finished. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get pendingCount(): number {
    return this.inFlight.size;
  }

  list(): Delivery[] {
    return this.deliveries.map((d) => ({ ...d, attempts: [...d.attempts] }));
  }

  clearHistory(): void {
    this.deliveries.length = 0;
  }

  /** Stop retrying (server closing); in-flight attempts finish on their own. */
  close(): void {
    this.closed = true;
  }

  /** The envelope for one attempt: fresh random, nonce and timestamp around the same XML. */
  seal(xml: string): { body: string; query: string; timestamp: string; nonce: string } {
    const timestamp = String(this.settings.realTimestamps ? Math.floor(Date.now() / 1000) : this.ctx.nowSeconds());
    const nonce = nonceDigits();
    const cipher = encrypt(this.settings.aesKey, xml, this.ctx.corpId, randomBytes(16));
    const signature = getSignature(this.settings.token, timestamp, nonce, cipher);
    const body = `<xml><ToUserName><![CDATA[${this.ctx.corpId}]]></ToUserName><AgentID><![CDATA[${this.ctx.agentId}]]></AgentID><Encrypt><![CDATA[${cipher}]]></Encrypt></xml>`;
    const query = new URLSearchParams({ msg_signature: signature, timestamp, nonce }).toString();
    return { body, query, timestamp, nonce };
  }

  private async run(d: Delivery, url: string): Promise<void> {
    const copies = d.mode === 'duplicate' ? 2 : 1;
    let delivered = false;
    for (let copy = 1; copy <= copies; copy++) {
      for (let attempt = 0; attempt <= this.settings.retries; attempt++) {
        if (attempt > 0) {
          if (this.closed) break;
          await sleep(this.settings.retrySpacingMs);
        }
        const sealed = this.seal(d.xml);
        const started = Date.now();
        const target = `${url}${url.includes('?') ? '&' : '?'}${sealed.query}`;
        const res = await send('POST', target, sealed.body, this.settings.timeoutMs);
        d.attempts.push({
          copy, at: new Date(started).toISOString(), status: res.status, error: res.error,
          durationMs: Date.now() - started, timestamp: sealed.timestamp, nonce: sealed.nonce,
        });
        if (res.status === 200) {
          delivered = true;
          break;
        }
        this.ctx.log.debug({ delivery: d.id, url: safeUrl(target), status: res.status, error: res.error, attempt }, 'callback attempt failed');
      }
    }
    d.status = delivered ? 'delivered' : 'failed';
  }

  /** The GET a console save performs: signature over echostr, receiver must echo the plaintext within 1 s. */
  async verifyUrl(url = this.settings.url): Promise<UrlVerification> {
    const echo = String(randomInt(1e9, 2 ** 47)) + String(randomInt(1e8, 1e9));
    if (!url) return { ok: false, error: 'no callback url', echo, durationMs: 0, withinDeadline: false };
    const timestamp = String(this.settings.realTimestamps ? Math.floor(Date.now() / 1000) : this.ctx.nowSeconds());
    const nonce = nonceDigits();
    const echostr = encrypt(this.settings.aesKey, echo, this.ctx.corpId, randomBytes(16));
    const signature = getSignature(this.settings.token, timestamp, nonce, echostr);
    const query = new URLSearchParams({ msg_signature: signature, timestamp, nonce, echostr }).toString();
    const started = Date.now();
    const res = await send('GET', `${url}${url.includes('?') ? '&' : '?'}${query}`, undefined, Math.max(this.settings.timeoutMs, 1000));
    const durationMs = Date.now() - started;
    const withinDeadline = durationMs <= 1000;
    return {
      ok: res.status === 200 && res.body === echo && withinDeadline,
      status: res.status, body: res.body, error: res.error, echo, durationMs, withinDeadline,
    };
  }

  private trim(): void {
    const max = this.settings.maxHistory;
    if (this.deliveries.length <= max) return;
    // Drop the oldest finished deliveries; pending ones stay visible.
    for (let i = 0; i < this.deliveries.length && this.deliveries.length > max;) {
      if (this.deliveries[i]!.status !== 'pending') this.deliveries.splice(i, 1);
      else i++;
    }
  }
}
