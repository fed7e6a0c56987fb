import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { ConfigError } from '../../lib/config';
import { systemClock, sleep, type Clock } from '../../lib/clock';
import { logger as rootLogger, type Logger } from '../../lib/logger';
import { wecomCallSeconds, wecomCalls } from '../../lib/metrics';
import { authApi, type AuthApi } from './api/auth';
import { contactWaysApi, type ContactWaysApi } from './api/contactWays';
import { customersApi, type CustomersApi } from './api/customers';
import { directoryApi, type DirectoryApi } from './api/directory';
import { groupChatsApi, type GroupChatsApi } from './api/groupChats';
import { groupWelcomeApi, type GroupWelcomeApi } from './api/groupWelcome';
import { mediaApi, type MediaApi } from './api/media';
import { messagesApi, type MessagesApi } from './api/messages';
import { tagsApi, type TagsApi } from './api/tags';
import { transfersApi, type TransfersApi } from './api/transfers';
import {
  RATE_LIMIT_ERRCODES,
  WeComHttpError,
  WeComPlatformError,
  WeComRateLimitedError,
  WeComRequestError,
  isTokenErrcode,
  isWeComError,
  outcomeLabel,
} from './errors';
import { DEFAULT_RETRY, nextRetryDelay, type RetryCounts, type RetryOptions } from './retry';
import { Semaphore } from './semaphore';
import type { StoredToken, TokenStore } from './tokenStore';
import { read, type Endpoint, type MultipartInput, type SecretKind, type WeComCaller, type WeComEnvelope } from './types';

export interface WeComClientOptions {
  /** API origin, e.g. https://qyapi.weixin.qq.com or the simulator's http://127.0.0.1:PORT. */
  baseUrl: string;
  corpId: string;
  /** 'contact' = the 客户联系 secret, 'agent' = the app's own secret. */
  secrets: { contact?: string; agent?: string };
  /** The app's agentid (message/send). */
  agentId?: number;
  tokenStore: TokenStore;
  logger?: Logger;
  /** Per HTTP attempt, covering connect to last byte. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Calls in flight per API path. Default 8. */
  concurrencyPerApi?: number;
  /** Refresh a token this long before it expires. Default 5 min. */
  refreshMarginMs?: number;
  clock?: Clock;
}

const GETTOKEN = read('GET', 'gettoken');
/** Documented lifetime, used when gettoken omits expires_in. */
const DEFAULT_TOKEN_SECONDS = 7200;

interface GetTokenResponse {
  access_token?: string;
  expires_in?: number;
}

/**
 * The WeCom API client: one request path (token, limits, timeout, typed
 * failures, retries, metrics) and the typed APIs grouped on top of it.
 *
 * Retries it does by itself: a refresh-and-retry-once when WeCom refuses the
 * token (40014/42001: nothing was done, so it is safe even for writes), and
 * backoff on transient failures of idempotent calls only. Everything else
 * surfaces as a WeComError for the caller (and its outbox row) to decide.
 */
export class WeComClient implements WeComCaller {
  readonly corpId: string;
  readonly agentId?: number;

  /** Sign-in: exchange the code WeCom's authorize pages return (auth/getuserinfo, app token). */
  readonly auth: AuthApi;
  readonly directory: DirectoryApi;
  readonly customers: CustomersApi;
  readonly tags: TagsApi;
  readonly groupChats: GroupChatsApi;
  readonly transfers: TransfersApi;
  readonly messages: MessagesApi;
  readonly contactWays: ContactWaysApi;
  readonly media: MediaApi;
  readonly groupWelcome: GroupWelcomeApi;

  private readonly http: AxiosInstance;
  private readonly secrets: { contact?: string; agent?: string };
  private readonly store: TokenStore;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retry: RetryOptions;
  private readonly concurrency: number;
  private readonly refreshMarginMs: number;
  private readonly clock: Clock;
  private readonly limiters = new Map<string, Semaphore>();
  /** Last token seen per secret: saves a database read per call. Correctness never depends on it. */
  private readonly memo = new Map<SecretKind, StoredToken>();
  /** In-process single flight: concurrent callers share one refresh. */
  private readonly inflight = new Map<SecretKind, Promise<StoredToken>>();

  constructor(opts: WeComClientOptions) {
    this.corpId = opts.corpId;
    if (opts.agentId !== undefined) this.agentId = opts.agentId;
    this.secrets = { ...opts.secrets };
    this.store = opts.tokenStore;
    this.log = (opts.logger ?? rootLogger).child({ category: 'wecom.client' });
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.concurrency = opts.concurrencyPerApi ?? 8;
    this.refreshMarginMs = opts.refreshMarginMs ?? 5 * 60_000;
    this.clock = opts.clock ?? systemClock;
    this.http = axios.create({
      baseURL: opts.baseUrl.replace(/\/+$/, ''),
      timeout: this.timeoutMs,
      // Statuses are classified here, not thrown by axios; redirects are not followed with the token.
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { 'User-Agent': 'lifelong-wecom-client' },
    });

    this.auth = authApi(this);
    this.directory = directoryApi(this);
    this.customers = customersApi(this);
    this.tags = tagsApi(this);
    this.groupChats = groupChatsApi(this);
    this.transfers = transfersApi(this);
    this.messages = messagesApi(this);
    this.contactWays = contactWaysApi(this);
    this.media = mediaApi(this);
    this.groupWelcome = groupWelcomeApi(this);
  }

  /** The one request path every typed API goes through. */
  async call<T extends object = WeComEnvelope>(endpoint: Endpoint, input?: object): Promise<T & WeComEnvelope> {
    const kind = this.secretKindFor(endpoint);
    return (await this.execute(endpoint, input, kind)) as T & WeComEnvelope;
  }

  /** The secret a call uses: message/send needs the app's; the rest prefer the 客户联系 secret. */
  private secretKindFor(endpoint: Endpoint): SecretKind {
    const wanted = endpoint.secret ?? 'contact';
    const kind = wanted === 'contact' && !this.secrets.contact ? 'agent' : wanted;
    if (!this.secrets[kind]) {
      const env = kind === 'agent' ? 'WECOM_AGENT_SECRET' : 'WECOM_CONTACT_SECRET or WECOM_AGENT_SECRET';
      throw new ConfigError(`WeCom ${endpoint.path} needs ${env} to be set`);
    }
    return kind;
  }

  /** Attempts, token refusal handling and retries around single HTTP attempts. `kind` undefined = no token (gettoken). */
  private async execute(endpoint: Endpoint, input: object | undefined, kind: SecretKind | undefined): Promise<WeComEnvelope> {
    const counts: RetryCounts = { transient: 0, rateLimited: 0 };
    let tokenRenewed = false;
    for (let attempt = 1; ; attempt += 1) {
      const token = kind ? await this.accessToken(kind) : undefined;
      try {
        return await this.attempt(endpoint, input, token, attempt);
      } catch (err) {
        if (!isWeComError(err)) throw err;
        if (kind && token && !tokenRenewed && isTokenErrcode(err.errcode)) {
          tokenRenewed = true;
          this.log.info({ api: endpoint.path, errcode: err.errcode, secretKind: kind }, 'wecom token refused; refreshing and retrying once');
          await this.renewRefusedToken(kind, token);
          continue;
        }
        const delayMs = nextRetryDelay(err, endpoint.idempotent, counts, this.retry);
        if (delayMs === undefined) throw err;
        this.log.warn(
          { api: endpoint.path, attempt, delayMs, kind: err.kind, errcode: err.errcode, status: err.status },
          'wecom call failed; retrying',
        );
        await sleep(delayMs);
      }
    }
  }

  /** One HTTP exchange under the API's concurrency limit; counted and timed whatever happens. */
  private async attempt(endpoint: Endpoint, input: object | undefined, token: string | undefined, attempt: number): Promise<WeComEnvelope> {
    return this.limiter(endpoint.path).run(async () => {
      const started = performance.now();
      let outcome = 'network_error';
      try {
        const params: Record<string, string> = {};
        const multipart = endpoint.multipart ? (input as MultipartInput) : undefined;
        if (multipart?.query) Object.assign(params, multipart.query);
        if (endpoint.method === 'GET' && input) {
          for (const [k, v] of Object.entries(input)) if (v !== undefined && v !== null) params[k] = String(v);
        }
        if (token) params.access_token = token;
        let res: AxiosResponse<unknown>;
        try {
          res = await this.http.request({
            method: endpoint.method,
            url: `/cgi-bin/${endpoint.path}`,
            params,
            // A FormData body is re-serialised by axios on every attempt (boundary and content-type included).
            data: multipart ? multipart.form : endpoint.method === 'POST' ? (input ?? {}) : undefined,
            // axios' own timeout is per socket inactivity; this one bounds the whole exchange.
            signal: AbortSignal.timeout(this.timeoutMs),
          });
        } catch (err) {
          throw new WeComRequestError(endpoint.path, requestFailureReason(err));
        }
        const body = envelopeOf(endpoint.path, res);
        outcome = 'ok';
        return body;
      } catch (err) {
        if (isWeComError(err)) outcome = outcomeLabel(err);
        throw err;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        wecomCalls.inc({ api: endpoint.path, outcome });
        wecomCallSeconds.observe({ api: endpoint.path }, seconds);
        this.log.debug({ api: endpoint.path, attempt, outcome, ms: Math.round(seconds * 1000) }, 'wecom call');
      }
    });
  }

  private limiter(path: string): Semaphore {
    let s = this.limiters.get(path);
    if (!s) {
      s = new Semaphore(this.concurrency);
      this.limiters.set(path, s);
    }
    return s;
  }

  // ---- access tokens ----

  private isFresh(token: StoredToken): boolean {
    return token.expiresAt.getTime() - this.refreshMarginMs > this.clock.now().getTime();
  }

  private async accessToken(kind: SecretKind): Promise<string> {
    const memo = this.memo.get(kind);
    if (memo && this.isFresh(memo)) return memo.accessToken;
    return (await this.sharedRefresh(kind)).accessToken;
  }

  /** At most one refresh per secret in this process; others await the same promise. */
  private sharedRefresh(kind: SecretKind, refused?: string): Promise<StoredToken> {
    let pending = this.inflight.get(kind);
    if (!pending) {
      pending = this.loadToken(kind, refused)
        .then((token) => {
          this.memo.set(kind, token);
          return token;
        })
        .finally(() => this.inflight.delete(kind));
      this.inflight.set(kind, pending);
    }
    return pending;
  }

  /** After WeCom refused `refused`: forget it (only if still current) and get another one. */
  private async renewRefusedToken(kind: SecretKind, refused: string): Promise<void> {
    if (this.memo.get(kind)?.accessToken === refused) this.memo.delete(kind);
    await this.store.invalidate(kind, refused);
    // A refresh already in flight may have started before the refusal and hand back the refused
    // token; then run our own, which skips it. If our own gettoken returns it again, stop: the
    // retry will surface the refusal rather than us hammering gettoken.
    for (let i = 0; i < 3; i += 1) {
      const joined = this.inflight.has(kind);
      const token = await this.sharedRefresh(kind, refused);
      if (token.accessToken !== refused || !joined) return;
    }
  }

  /**
   * The shared token if usable, else a new one: under the store's lock
   * (across instances), re-read first — whoever held the lock before us has
   * probably just saved one — and only call gettoken if it is still missing,
   * near expiry or the refused one.
   */
  private async loadToken(kind: SecretKind, refused?: string): Promise<StoredToken> {
    const usable = (t: StoredToken | undefined): t is StoredToken => !!t && t.accessToken !== refused && this.isFresh(t);
    const shared = await this.store.get(kind);
    if (usable(shared)) return shared;
    return this.store.withLock(kind, async (slot) => {
      const current = await slot.get();
      if (usable(current)) return current;
      const fetched = await this.fetchToken(kind);
      await slot.save(fetched);
      this.log.info({ secretKind: kind, expiresAt: fetched.expiresAt.toISOString() }, 'wecom access token refreshed');
      return fetched;
    });
  }

  private async fetchToken(kind: SecretKind): Promise<StoredToken> {
    const issuedAt = this.clock.now().getTime();
    const body = (await this.execute(GETTOKEN, { corpid: this.corpId, corpsecret: this.secrets[kind] }, undefined)) as GetTokenResponse;
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new WeComHttpError(GETTOKEN.path, 200, 'gettoken answered without an access_token');
    }
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    if (seconds * 1000 <= this.refreshMarginMs) {
      this.log.warn({ secretKind: kind, expiresIn: seconds }, 'wecom token lifetime is shorter than the refresh margin; every call will refresh');
    }
    return { accessToken: body.access_token, expiresAt: new Date(issuedAt + seconds * 1000) };
  }
}

/** The success envelope of a response, or the typed failure it represents. */
function envelopeOf(api: string, res: AxiosResponse<unknown>): WeComEnvelope {
  if (res.status === 429) throw new WeComRateLimitedError(api, { status: 429 });
  if (res.status < 200 || res.status >= 300) throw new WeComHttpError(api, res.status);
  const body = res.data;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WeComHttpError(api, res.status, 'response body is not a JSON object');
  }
  const { errcode, errmsg } = body as WeComEnvelope;
  const code = errcode === undefined || errcode === null ? 0 : Number(errcode);
  if (code === 0) return body as WeComEnvelope;
  const message = typeof errmsg === 'string' ? errmsg : undefined;
  if (RATE_LIMIT_ERRCODES.has(code)) throw new WeComRateLimitedError(api, { errcode: code, errmsg: message });
  throw new WeComPlatformError(api, code, message);
}

/** A short reason for a failed exchange; never the axios error itself (its config holds the URL and body). */
function requestFailureReason(err: unknown): string {
  if (axios.isCancel(err)) return 'timeout';
  if (axios.isAxiosError(err)) {
    if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' || err.code === 'ERR_CANCELED') return 'timeout';
    return err.code ?? 'network_error';
  }
  return 'network_error';
}
