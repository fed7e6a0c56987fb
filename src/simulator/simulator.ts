import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../lib/clock';
import { type Logger, logger as rootLogger } from '../lib/logger';
import { registerAuthApi } from './api/auth';
import { registerContactsApi } from './api/contacts';
import { registerContactWaysApi } from './api/contactWays';
import { registerGroupsApi } from './api/groups';
import { type GroupWelcomeTemplate, registerGroupWelcomeApi } from './api/groupWelcome';
import { registerMassMessagesApi } from './api/massMessages';
import { registerMediaApi } from './api/media';
import { registerMessageApi } from './api/message';
import { registerOrgApi } from './api/org';
import { registerTagsApi } from './api/tags';
import { registerTransfersApi } from './api/transfers';
import { registerWelcomeApi } from './api/welcome';
import { CallCounter } from './calls';
import { CallbackDispatcher, type CallbackSettings, type Delivery, type DeliveryMode, type UrlVerification } from './callbacks/dispatcher';
import type { BuiltEvent, EventHeader } from './callbacks/eventXml';
import { handleControl } from './control';
import {
  DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET, DEMO_CORP_ID, DEMO_SEED,
} from './defaults';
import type { SentAppMessage, SentWelcome, SimCore, SimSettings, WelcomeCode } from './core';
import { SimInputError } from './errors';
import { type Fault, FaultInjector, type FaultSpec } from './faults';
import { handleApiCall, sendEmpty } from './http';
import { DEFAULT_RATE_LIMITS, type RateLimitConfig, RateLimiter } from './limits';
import {
  readStateFile, SIM_STATE_KIND, SIM_STATE_VERSION, type SimStateFile, SimStateFileError, streamSeed, writeFileAtomic,
} from './persistence';
import { Rng } from './random';
import { ApiRegistry } from './registry';
import { type SignInCode, type SignInConfig, SignInDesk } from './signIn';
import { handleSignInPage } from './signInPages';
import { TokenStore } from './tokens';
import {
  type ActionResult, type CustomerAddsRepInput, type CustomerAddsRepViaWayInput, type DeliverOption, type EmployeeJoinsInput, type EmployeeUpdatedInput,
  type GroupCreatedInput, type GroupMembersAddedInput, type GroupMembersRemovedInput, type PairInput, type RepEditsCustomerInput,
  type TagCreatedInput, WorldActions, type WorldActionName,
} from './world/actions';
import {
  MASS_RECEIVE_RULES, MassMessageDesk, type MassTaskDetails, type RepCreatesMassMessageInput,
} from './world/massMessages';
import { MediaLibrary } from './world/media';
import { type SeedCounts, seedWorld } from './world/seed';
import { type ContactWay, World, type WorldSnapshot, type WorldSummary } from './world/state';
import { TransferDesk } from './world/transfers';

export interface SimulatorOptions {
  corpId: string;
  callback: {
    token: string;
    aesKey: string;
    url?: string;
    /** Per-attempt timeout (default 5000 ms, as WeCom). */
    timeoutMs?: number;
    /** Retries after a failed attempt (default 3). */
    retries?: number;
    /** Pause between attempts (default 1000 ms). */
    retrySpacingMs?: number;
    /** Default delivery mode (default 'normal'). */
    deliver?: DeliveryMode;
    /** Envelope timestamps from the wall clock rather than the simulated clock (default false). */
    realTimestamps?: boolean;
  };
  secrets: { contact: string; agent: string };
  agentId: number;
  seed?: number;
  counts?: Partial<SeedCounts>;
  /** Reference "now" (unix seconds) of the seeded world's timestamps; fixed by default for determinism. */
  seedNow?: number;
  /** A world to serve instead of seeding one. */
  world?: World;
  /** Base time source (default: the system clock). The simulated clock is base + advanceTime offsets. */
  clock?: Clock;
  /** Simulated seconds per real second after start (default 1), for demos of 24 h transfers. */
  timeScale?: number;
  logger?: Logger;
  settings?: Partial<SimSettings>;
  rateLimits?: Partial<RateLimitConfig>;
  /** The app's sign-in configuration: trusted redirect domains (loopback trusted by default) and trusted caller IPs (default: any). */
  signIn?: Partial<SignInConfig>;
  /**
   * A state file written by `saveTo` / `persistTo`: when it exists the world (and
   * desks, settings, clock) are rebuilt from it instead of seeded; when it does
   * not, the world is seeded as usual. A file that exists but is corrupt, of
   * another format version or another corpId throws SimStateFileError.
   */
  restoreFrom?: string;
}

export interface PersistOptions {
  /** At most one save per this many ms while changes keep coming (default 1000). */
  debounceMs?: number;
}

/** What `persistTo` has done so far. */
export interface PersistenceStatus {
  file: string;
  saves: number;
  /** Changes not saved yet. */
  dirty: boolean;
  /** Duration of the last save: serialising (blocks the event loop) and writing (does not). */
  lastSave?: { at: string; bytes: number; serializeMs: number; writeMs: number };
  lastError?: string;
}

interface PersistState extends PersistenceStatus {
  debounceMs: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

export const DEFAULT_SETTINGS: Readonly<SimSettings> = Object.freeze({
  agentSecretHasContactPermission: true,
  corpTagLimit: 3000,
  enforceTagOwnership: false,
  welcomeCodeTtlSeconds: 20,
  customerLimitPerEmployee: 50_000,
  groupListOwnerFilterThreshold: 1000,
  groupTransferSeconds: 2,
  transferRefusalRate: 0,
  groupTransfersPerOwnerPerDay: 300,
  massConfirmRate: 1,
  massConfirmDelaySeconds: 600,
  massReceiveRule: 'month_days',
  massDispatchSeconds: 0,
  validateMediaIds: true,
  contactWayLimit: 500_000,
  groupWelcomeTemplateLimit: 100,
});

export interface SimulatorState {
  corpId: string;
  url?: string;
  now: string;
  world: WorldSummary;
  calls: number;
  callbacks: { url?: string; pending: number; delivered: number; failed: number; dropped: number };
  settings: SimSettings;
  faults: number;
  denied: Record<string, number>;
}

/**
 * A WeCom stand-in over real HTTP: /cgi-bin/* answers like WeCom for the APIs
 * Lifelong calls, /__sim/* is the control API, world actions change state and
 * deliver callbacks. Build one with `createSimulator`.
 */
export class Simulator implements SimCore {
  readonly corpId: string;
  readonly agentId: number;
  readonly world: World;
  readonly settings: SimSettings;
  readonly rng: Rng;
  readonly tokens: TokenStore;
  readonly callbacks: CallbackDispatcher;
  readonly calls = new CallCounter();
  readonly faults: FaultInjector;
  readonly limiter: RateLimiter;
  readonly deniedApis = new Map<string, number>();
  readonly appMessages: SentAppMessage[] = [];
  readonly welcomeCodes = new Map<string, WelcomeCode>();
  readonly welcomeMessages: SentWelcome[] = [];
  readonly log: Logger;
  readonly transfers: TransferDesk;
  readonly massMessages: MassMessageDesk;
  readonly media: MediaLibrary;
  readonly groupWelcomeTemplates = new Map<string, GroupWelcomeTemplate>();
  readonly signIn: SignInDesk;
  private readonly actions: WorldActions;
  private readonly registry = new ApiRegistry();
  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly timeScale: number;
  private offsetMs = 0;
  /** Restores this simulator's world has been through (0 when seeded); id streams are seeded with it. */
  readonly generation: number;
  /** The state file this simulator was rebuilt from (undefined when seeded). */
  readonly restoredFrom?: string;
  private readonly seed: number;
  private persist?: PersistState;
  private dirty = false;
  private saveChain: Promise<unknown> = Promise.resolve();
  private server?: http.Server;
  private baseUrl?: string;
  private readonly settlers: Array<() => boolean | void> = [];
  private readonly advanceListeners: Array<(ms: number) => void> = [];

  /** A simulator rebuilt from `file` (seeded as usual when it does not exist); see `restoreFrom`. */
  static restore(file: string, opts: SimulatorOptions): Simulator {
    return new Simulator({ ...opts, restoreFrom: file });
  }

  constructor(readonly options: SimulatorOptions) {
    this.corpId = options.corpId;
    this.agentId = options.agentId;
    this.log = options.logger ?? rootLogger.child({ category: 'wecom-simulator' });
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now().getTime();
    this.timeScale = options.timeScale ?? 1;
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    const saved = options.restoreFrom !== undefined ? readStateFile(options.restoreFrom, options.corpId) : undefined;
    if (saved && options.world) throw new Error('createSimulator: world and a restoreFrom file that exists are exclusive');
    if (saved) {
      this.restoredFrom = options.restoreFrom;
      try {
        this.world = World.fromSnapshot(saved.world);
      } catch (err) {
        throw new SimStateFileError(options.restoreFrom!, `is incomplete or corrupt (world: ${(err as Error).message})`);
      }
      this.restoreSettings(saved.settings);
      // Simulated time keeps its offset from the base clock, and never goes back before the saved instant.
      const target = Math.max(saved.clock.simNowMs + (this.startedAt - saved.clock.baseNowMs), saved.clock.simNowMs);
      this.offsetMs = target - this.startedAt;
    } else {
      this.world = options.world ?? seedWorld({ corpId: options.corpId, seed: options.seed, counts: options.counts, now: options.seedNow });
    }
    this.generation = saved ? saved.generation + 1 : 0;
    const seed = saved ? saved.seed : (options.seed ?? 1);
    this.seed = seed;
    // Actions draw from their own stream so they are reproducible for a given seed and call sequence.
    this.rng = new Rng(streamSeed(seed, 0x5eed5eed, this.generation));
    this.faults = new FaultInjector(this.rng.fork().next);
    this.tokens = new TokenStore(() => this.nowMs());
    this.signIn = new SignInDesk(() => this.nowMs(), options.signIn as Record<string, unknown> | undefined);
    this.limiter = new RateLimiter({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }, () => this.nowMs());
    const cb = options.callback;
    const settings: CallbackSettings = {
      token: cb.token, aesKey: cb.aesKey, url: cb.url, timeoutMs: cb.timeoutMs ?? 5000, retries: cb.retries ?? 3,
      retrySpacingMs: cb.retrySpacingMs ?? 1000, deliver: cb.deliver ?? 'normal', realTimestamps: cb.realTimestamps ?? false,
      maxHistory: 5000,
    };
    this.callbacks = new CallbackDispatcher(settings, { corpId: this.corpId, agentId: this.agentId, nowSeconds: () => this.nowSeconds(), log: this.log });
    this.actions = new WorldActions(this);
    this.transfers = new TransferDesk(this);
    this.onSettle(() => this.transfers.settle());
    // Own streams, seeded apart from `rng`: mass-message draws and media ids don't shift world-action ids.
    this.massMessages = new MassMessageDesk(this, new Rng(streamSeed(seed, 0x6d617373, this.generation)));
    this.onSettle(() => this.massMessages.settle());
    this.media = new MediaLibrary(new Rng(streamSeed(seed, 0x6d656469, this.generation)));
    if (saved) {
      try {
        this.transfers.recomputeDue();
        this.massMessages.importState(saved.massMessages);
        this.media.importState(saved.media);
        for (const t of saved.groupWelcomeTemplates) this.groupWelcomeTemplates.set(t.template_id, t);
        this.appMessages.push(...saved.appMessages);
        this.welcomeMessages.push(...saved.welcomeMessages);
      } catch (err) {
        throw new SimStateFileError(options.restoreFrom!, `is incomplete or corrupt (${(err as Error).message})`);
      }
    }

    registerAuthApi(this.registry, this, options.secrets, this.signIn);
    registerOrgApi(this.registry, this);
    registerContactsApi(this.registry, this);
    registerTagsApi(this.registry, this);
    registerGroupsApi(this.registry, this);
    registerMessageApi(this.registry, this);
    registerWelcomeApi(this.registry, this);
    registerTransfersApi(this.registry, this, this.transfers);
    registerMassMessagesApi(this.registry, this, this.massMessages);
    registerContactWaysApi(this.registry, this);
    registerMediaApi(this.registry, this);
    registerGroupWelcomeApi(this.registry, this, this.groupWelcomeTemplates);
  }

  // ── time ───────────────────────────────────────────────────────────────

  nowMs(): number {
    const base = this.clock.now().getTime();
    return this.startedAt + (base - this.startedAt) * this.timeScale + this.offsetMs;
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Move simulated time forward (tokens expire, welcome codes lapse, scheduled things become due). */
  advanceTime(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advanceTime needs a non-negative number of ms');
    this.offsetMs += ms;
    this.markDirty();
    this.settle();
    for (const fn of this.advanceListeners) fn(ms);
  }

  /** Called after every advanceTime (demo mode wakes the service's workers, which share this clock). */
  onTimeAdvanced(fn: (ms: number) => void): void {
    this.advanceListeners.push(fn);
  }

  /**
   * Register work that becomes due with time (e.g. transfers completing after 24 h); run on every call and advance.
   * Return true when it changed durable state (the auto-save then saves).
   */
  onSettle(fn: () => boolean | void): void {
    this.settlers.push(fn);
  }

  settle(): void {
    const t = this.nowMs();
    for (const [code, w] of this.welcomeCodes) if (w.expiresAt + 3_600_000 < t) this.welcomeCodes.delete(code);
    let changed = false;
    for (const fn of this.settlers) if (fn() === true) changed = true;
    if (changed) this.markDirty();
  }

  eventHeader(): EventHeader {
    return { corpId: this.corpId, createTime: this.nowSeconds() };
  }

  emit(event: BuiltEvent, mode?: DeliveryMode): Delivery {
    return this.callbacks.enqueue(event, mode);
  }

  // ── server ─────────────────────────────────────────────────────────────

  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('simulator already listening');
    const server = http.createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        this.log.error({ err }, 'simulator request failed');
        if (!res.headersSent) sendEmpty(res, 500);
        else res.end();
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.baseUrl = `http://${shownHost}:${addr.port}`;
    return { url: this.baseUrl };
  }

  get url(): string | undefined {
    return this.baseUrl;
  }

  /** Stop serving, stop retrying callbacks, wait for in-flight deliveries; with `persistTo`, a final save (awaited). */
  async close(): Promise<void> {
    this.callbacks.close();
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await this.callbacks.flush();
    const p = this.persist;
    if (p) {
      this.persist = undefined;
      if (p.timer) clearTimeout(p.timer);
      await p.running?.catch(() => undefined);
      await this.saveTo(p.file);
    }
  }

  // ── persistence ────────────────────────────────────────────────────────

  /** The durable state as one JSON-able object (the live records, not copies: serialise it at once). */
  private stateFile(): SimStateFile {
    return {
      kind: SIM_STATE_KIND, version: SIM_STATE_VERSION, corpId: this.corpId, savedAt: new Date().toISOString(),
      generation: this.generation, seed: this.seed,
      clock: { simNowMs: this.nowMs(), baseNowMs: this.clock.now().getTime() },
      settings: { ...this.settings },
      world: this.world.durable(),
      massMessages: this.massMessages.exportState(),
      media: this.media.exportState(),
      groupWelcomeTemplates: [...this.groupWelcomeTemplates.values()],
      appMessages: this.appMessages,
      welcomeMessages: this.welcomeMessages,
    };
  }

  /** Saved settings over the options' ones (run-time patches survive a restart); unknown keys and wrong types are ignored. */
  private restoreSettings(saved: Partial<SimSettings>): void {
    const target = this.settings as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(saved as Record<string, unknown>)) if (k in target && typeof v === typeof target[k]) target[k] = v;
  }

  /**
   * Save the whole durable state to `file` atomically (`file.tmp`, mode 0600,
   * fsync, rename). Serialising is synchronous (a snapshot of this instant),
   * writing is not; concurrent saves run one after another.
   */
  saveTo(file: string): Promise<{ bytes: number; serializeMs: number; writeMs: number }> {
    const t0 = performance.now();
    this.dirty = false;
    const text = JSON.stringify(this.stateFile());
    const serializeMs = performance.now() - t0;
    const run = this.saveChain.catch(() => undefined).then(async () => {
      const t1 = performance.now();
      await writeFileAtomic(file, text);
      return { bytes: Buffer.byteLength(text), serializeMs, writeMs: performance.now() - t1 };
    });
    this.saveChain = run;
    return run;
  }

  /**
   * Keep `file` up to date: every mutating request (any non-GET /cgi-bin or
   * /__sim call), world action, advanceTime and due work (transfers, mass-message
   * confirmations) marks the state dirty; a save follows within `debounceMs`
   * (at most one per debounceMs), and `close()` makes a final, awaited save.
   * The first save is scheduled at once, so the file exists soon after start.
   */
  persistTo(file: string, opts: PersistOptions = {}): void {
    if (this.persist) throw new Error(`simulator already persists to ${this.persist.file}`);
    this.persist = { file, debounceMs: Math.max(0, opts.debounceMs ?? 1000), saves: 0, dirty: false };
    this.markDirty();
  }

  /** What `persistTo` has done (undefined when not persisting). */
  get persistence(): PersistenceStatus | undefined {
    const p = this.persist;
    if (!p) return undefined;
    return { file: p.file, saves: p.saves, dirty: this.dirty, ...(p.lastSave ? { lastSave: { ...p.lastSave } } : {}), ...(p.lastError ? { lastError: p.lastError } : {}) };
  }

  /** Note a change to durable state (done by every mutating path; call it after mutating `world` directly). */
  markDirty(): void {
    this.dirty = true;
    const p = this.persist;
    if (!p || p.timer || p.running) return;
    p.timer = setTimeout(() => this.autoSave(p), p.debounceMs);
    p.timer.unref();
  }

  private autoSave(p: PersistState): void {
    p.timer = undefined;
    if (this.persist !== p || !this.dirty) return;
    let saving: Promise<{ bytes: number; serializeMs: number; writeMs: number }>;
    try {
      saving = this.saveTo(p.file);
    } catch (err) {
      p.lastError = (err as Error).message;
      this.log.error({ err, file: p.file }, 'simulator state save failed');
      return;
    }
    p.running = saving.then((r) => {
      p.saves += 1;
      p.lastError = undefined;
      p.lastSave = { at: new Date().toISOString(), ...r };
    }, (err: unknown) => {
      // Keep the changes pending: the next change (or close) saves again.
      this.dirty = true;
      p.lastError = err instanceof Error ? err.message : String(err);
      this.log.error({ err, file: p.file }, 'simulator state save failed');
    }).finally(() => {
      p.running = undefined;
      if (this.persist === p && this.dirty) this.markDirty();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://simulator');
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    // Any non-GET request may change durable state (GETs only through due work, which settle() reports).
    if (req.method !== 'GET' && req.method !== 'HEAD') res.once('close', () => this.markDirty());
    if (u.pathname.startsWith('/cgi-bin/')) {
      const deps = { core: this, registry: this.registry, calls: this.calls, faults: this.faults, limiter: this.limiter, denied: this.deniedApis, log: this.log };
      await handleApiCall(deps, req, res, u.pathname.slice('/cgi-bin/'.length), query);
      return;
    }
    if (u.pathname.startsWith('/__sim/')) {
      await handleControl(this, req, res, u.pathname, query);
      return;
    }
    // WeCom's authorize pages (web login, OAuth2): demo mode points the service's sign-in links here.
    if (handleSignInPage({ corpId: this.corpId, agentId: this.agentId, world: this.world, desk: this.signIn }, req, res, u.pathname, u.searchParams)) return;
    sendEmpty(res, 404);
  }

  /** The simulated corp's data (the same object as `world`). */
  get state(): World {
    return this.world;
  }

  apiPaths(): string[] {
    return this.registry.paths();
  }

  /** For extension modules (transfers, mass messages …): register more /cgi-bin routes. */
  get api(): ApiRegistry {
    return this.registry;
  }

  // ── controls ───────────────────────────────────────────────────────────

  setCallbackUrl(url: string | undefined): void {
    this.callbacks.configure({ url });
  }

  setDeliveryMode(mode: DeliveryMode): void {
    this.callbacks.configure({ deliver: mode });
  }

  /** Wait until every queued callback delivery, retries included, has finished. */
  flushCallbacks(): Promise<void> {
    return this.callbacks.flush();
  }

  deliveries(): Delivery[] {
    return this.callbacks.list();
  }

  /** Perform the console's GET URL verification against `url` (default: the callback URL). */
  verifyCallbackUrl(url?: string): Promise<UrlVerification> {
    return this.callbacks.verifyUrl(url);
  }

  injectFault(spec: FaultSpec): Fault {
    return this.faults.add(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Every call to `api` answers `errcode` (48002 / 48009 / 60011 …) until allowed again. */
  denyApi(api: string, errcode = 48002): void {
    this.deniedApis.set(api, errcode);
  }

  allowApi(api: string): void {
    this.deniedApis.delete(api);
  }

  /**
   * Patch the app's sign-in configuration: `trustedDomains` (redirect hosts besides loopback; others → 50001 page),
   * `trustLoopback` (default true), `trustedIps` (null = any; calls with the app's token from other IPs → 60020).
   */
  configureSignIn(patch: Partial<SignInConfig>): SignInConfig {
    return this.signIn.configure(patch as Record<string, unknown>);
  }

  /** Sign-in codes issued and not yet used or expired. */
  signInCodes(): SignInCode[] {
    return this.signIn.outstanding();
  }

  /** Invalidate every issued token now: they answer 42001, gettoken issues new ones. */
  expireTokens(): number {
    return this.tokens.expireAll();
  }

  configure(patch: Record<string, unknown>): SimSettings {
    if (patch.massReceiveRule !== undefined && !(MASS_RECEIVE_RULES as readonly unknown[]).includes(patch.massReceiveRule)) {
      throw new SimInputError(`massReceiveRule must be one of ${MASS_RECEIVE_RULES.join(', ')}`);
    }
    if (patch.massConfirmRate !== undefined && (typeof patch.massConfirmRate !== 'number' || patch.massConfirmRate < 0 || patch.massConfirmRate > 1)) {
      throw new SimInputError('massConfirmRate must be a number in 0..1');
    }
    this.markDirty();
    for (const [k, v] of Object.entries(patch)) {
      if (!(k in this.settings)) continue;
      const current = (this.settings as unknown as Record<string, unknown>)[k];
      if (typeof v === typeof current) (this.settings as unknown as Record<string, unknown>)[k] = v;
    }
    return { ...this.settings };
  }

  describe(): SimulatorState {
    const list = this.callbacks.list();
    const count = (s: Delivery['status']) => list.filter((d) => d.status === s).length;
    return {
      corpId: this.corpId, url: this.baseUrl, now: this.now().toISOString(), world: this.world.summary(), calls: this.calls.total,
      callbacks: { url: this.callbacks.settings.url, pending: this.callbacks.pendingCount, delivered: count('delivered'), failed: count('failed'), dropped: count('dropped') },
      settings: { ...this.settings }, faults: this.faults.list().length, denied: Object.fromEntries(this.deniedApis),
    };
  }

  /** The full world for test comparisons (deep copy). */
  truth(): WorldSnapshot {
    return this.world.snapshot();
  }

  // ── world actions (also POST /__sim/world/<name>) ──────────────────────

  /** Dispatch a world action by name (the control API's entry point). */
  act(name: WorldActionName, input: Record<string, unknown>): unknown {
    this.markDirty();
    // Whatever became due (transfers, mass-message confirmations) happens before the action.
    this.settle();
    if (name === 'customerRefusesTransfer') return this.transfers.customerRefusesTransfer(input as { externalUserId: string });
    if (name === 'repCreatesMassMessage') return this.massMessages.repCreatesMassMessage(input as unknown as RepCreatesMassMessageInput);
    const fn = (this.actions[name] as (i: unknown) => unknown).bind(this.actions);
    return fn(input);
  }

  customerAddsRep(input: CustomerAddsRepInput) { this.markDirty(); return this.actions.customerAddsRep(input); }
  /** The customer adds a member through a contact way: round robin, State + WelcomeCode, recorded on the way. */
  customerAddsRepViaWay(input: CustomerAddsRepViaWayInput) { this.markDirty(); this.settle(); return this.actions.customerAddsRepViaWay(input); }
  // Relation and group changes settle first, so a mass message that became due before them sees the old world.
  repDeletesCustomer(input: PairInput) { this.markDirty(); this.settle(); return this.actions.repDeletesCustomer(input); }
  customerDeletesRep(input: PairInput) { this.markDirty(); this.settle(); return this.actions.customerDeletesRep(input); }
  repEditsCustomer(input: RepEditsCustomerInput) { this.markDirty(); return this.actions.repEditsCustomer(input); }
  employeeLeaves(input: { userid: string } & DeliverOption) { this.markDirty(); this.settle(); return this.actions.employeeLeaves(input); }
  employeeUpdated(input: EmployeeUpdatedInput) { this.markDirty(); return this.actions.employeeUpdated(input); }
  employeeJoins(input: EmployeeJoinsInput = {}) { this.markDirty(); return this.actions.employeeJoins(input); }
  groupCreated(input: GroupCreatedInput) { this.markDirty(); return this.actions.groupCreated(input); }
  groupMembersAdded(input: GroupMembersAddedInput) { this.markDirty(); return this.actions.groupMembersAdded(input); }
  groupMembersRemoved(input: GroupMembersRemovedInput) { this.markDirty(); return this.actions.groupMembersRemoved(input); }
  groupRenamed(input: { chatId: string; name: string } & DeliverOption) { this.markDirty(); return this.actions.groupRenamed(input); }
  groupOwnerChanged(input: { chatId: string; newOwner: string } & DeliverOption) { this.markDirty(); this.settle(); return this.actions.groupOwnerChanged(input); }
  groupNoticeChanged(input: { chatId: string; notice: string } & DeliverOption) { this.markDirty(); return this.actions.groupNoticeChanged(input); }
  groupDismissed(input: { chatId: string } & DeliverOption): ActionResult { this.markDirty(); this.settle(); return this.actions.groupDismissed(input); }
  tagCreated(input: TagCreatedInput) { this.markDirty(); return this.actions.tagCreated(input); }
  tagUpdated(input: { id: string; name?: string; order?: number } & DeliverOption) { this.markDirty(); return this.actions.tagUpdated(input); }
  tagDeleted(input: { id: string } & DeliverOption) { this.markDirty(); return this.actions.tagDeleted(input); }
  tagShuffled(input: { groupId?: string } & DeliverOption = {}) { this.markDirty(); return this.actions.tagShuffled(input); }
  /** The customer declines a pending transfer: status 3 and transfer_fail. */
  customerRefusesTransfer(input: { externalUserId: string } & DeliverOption) { this.markDirty(); return this.transfers.customerRefusesTransfer(input); }
  /** A rep sends a personal mass message from the client (create_type 1, sent at once, counts against quotas). */
  repCreatesMassMessage(input: RepCreatesMassMessageInput) { this.markDirty(); this.settle(); return this.massMessages.repCreatesMassMessage(input); }

  // ── touchpoint introspection (also GET /__sim/mass-messages…, /__sim/contact-ways, /__sim/media) ──

  /** Per-sender and (unless recipients: false) per-recipient statuses of a mass message. */
  massMessage(msgid: string, opts: { userid?: string; recipients?: boolean } = {}): MassTaskDetails | undefined {
    this.settle();
    return this.massMessages.details(msgid, opts);
  }

  /** Mass messages an external_userid or chat_id has received (status 1). */
  massReceivedCount(id: string): number {
    this.settle();
    return this.massMessages.receivedCount(id);
  }

  /** Recipients that received at least `min` mass messages (min 2: "who got a push twice"). */
  massReceivedCounts(min = 1): Record<string, number> {
    this.settle();
    return this.massMessages.receivedCounts(min);
  }

  /** add_msg_template calls per sender that got a part in them. */
  massTemplateCallsBySender(): Record<string, number> {
    return this.massMessages.templateCallsBySender();
  }

  /** The sender (default: every sender who has not sent) confirms now; ignored after cancel. Returns who sent. */
  confirmMassMessage(msgid: string, userid?: string): string[] {
    this.markDirty();
    this.settle();
    return this.massMessages.confirmNow(msgid, userid);
  }

  /** The sender will not send this mass message (their recipients stay 0). */
  declineMassMessage(msgid: string, userid: string): boolean {
    this.markDirty();
    this.settle();
    return this.massMessages.decline(msgid, userid);
  }

  /** A contact way (deleted ones included) with its per-member adds. */
  contactWay(configId: string): ContactWay | undefined {
    const w = this.world.contactWays.get(configId);
    return w ? structuredClone(w) : undefined;
  }

  /** Customers added through a contact way, per member. */
  contactWayAdds(configId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.world.contactWays.get(configId)?.adds ?? []) out[a.userid] = (out[a.userid] ?? 0) + 1;
    return out;
  }
}

export function createSimulator(opts: SimulatorOptions): Simulator {
  return new Simulator(opts);
}

/** A simulator rebuilt from `file` (seeded as usual when it does not exist): `createSimulator({ ...opts, restoreFrom: file })`. */
export function restoreSimulator(file: string, opts: SimulatorOptions): Simulator {
  return Simulator.restore(file, opts);
}

/** Options for a simulator with the demo credentials (what demo mode and `npm run simulator` use), plus overrides. */
export function demoSimulatorOptions(over: Partial<SimulatorOptions> = {}): SimulatorOptions {
  return {
    corpId: DEMO_CORP_ID,
    agentId: DEMO_AGENT_ID,
    secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET },
    seed: DEMO_SEED,
    ...over,
    callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, ...over.callback },
  };
}
