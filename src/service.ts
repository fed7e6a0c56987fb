import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database, type Db } from './db/connection';
import { corpScope } from './db/scope';
import { GroupCommitAppender, HandlerRegistry, oldestPendingAgeSeconds } from './events';
import { accessDeps } from './access';
import { createApp } from './http/app';
import { memberForCode } from './http/routes/access/loginRoutes';
import type { ApiRouter } from './http/apiRouter';
import { EventWorker } from './jobs/eventWorker';
import { systemClock, type Clock } from './lib/clock';
import type { Config } from './lib/config';
import { logger as rootLogger, type Logger } from './lib/logger';
import { addLagSource, addWorkSource } from './lib/metrics';
import cron from 'node-cron';
import { getSyncJob, latestSyncWarnings, registerLedgerHandlers, requestFullSync } from './ledger';
import { ledgerRoutes } from './http/routes/ledger/routes';
import { AppMessageWorker } from './jobs/appMessageWorker';
import { SyncWorker } from './jobs/syncWorker';
import { HandoverPoller, HandoverSender } from './jobs/handoverWorkers';
import { registerHandoverHandlers } from './handover';
import { handoverRoutes } from './http/routes/handover/routes';
import { archiveRecordRoutes } from './http/routes/archive/recordRoutes';
import { archiveValueRoutes } from './http/routes/archive/valueRoutes';
import { segmentRoutes } from './http/routes/segments/routes';
import { recomputeArchive, registerArchiveHandlers, sendWarningDigests } from './archive';
import { FollowUpReminder } from './jobs/archiveJobs';
import { TagChangeWorker } from './jobs/tagChangeWorker';
import { createWeComClient, type WeComClient, type WeComClientOptions } from './wecom/client';
import { registerWelcomeHandlers } from './touchpoints';
import { contentRoutes } from './http/routes/touchpoints/contentRoutes';
import { ContentRecovery } from './jobs/contentRecovery';
import { CampaignDispatcher, CampaignResultsPoller, CampaignScheduler } from './jobs/campaignWorkers';
import { workQueues } from './jobs/queues';
import { WorkerPool } from './jobs/workerPool';
import { campaignRoutes } from './http/routes/touchpoints/campaignRoutes';
import { campaignSettings } from './touchpoints/campaigns';

export interface ServiceOptions {
  config: Readonly<Config>;
  clock?: Clock;
  log?: Logger;
  /** An already-open database (tests share one); otherwise opened from config. */
  database?: Database;
  /** Run the event worker in this process (default true). */
  worker?: boolean;
  workerPollMs?: number;
  /** How long a request body may take to arrive (tests shorten it). */
  bodyTimeoutMs?: number;
  /** Interval of the transfer-result poller (default HANDOVER_POLL_S). */
  handoverPollMs?: number;
  backoff?: { baseSeconds: number; capSeconds: number };
  /** WeCom client tuning (tests shorten retries). */
  wecom?: Partial<Omit<WeComClientOptions, 'tokenStore'>>;
}

export interface Service {
  url: string;
  database: Database;
  handlers: HandlerRegistry;
  worker: EventWorker;
  syncWorker: SyncWorker;
  appMessages: AppMessageWorker;
  handoverSender: HandoverSender;
  handoverPoller: HandoverPoller;
  tagChanges: TagChangeWorker;
  /** Finishes channel / group-welcome WeCom calls a crash or an unclear failure left owed. */
  contentRecovery: ContentRecovery;
  campaignScheduler: CampaignScheduler;
  campaignDispatcher: CampaignDispatcher;
  campaignPoller: CampaignResultsPoller;
  client: WeComClient;
  /** Every worker looks for due work now (demo mode calls it when the simulator's clock jumps). */
  wakeWorkers(): void;
  /** Queues a full sync (or joins the open one) and wakes the sync worker. */
  requestSync(trigger: string): Promise<{ jobId: number; created: boolean }>;
  stop(): Promise<void>;
}

/** What wakes a worker before its interval is up (see the pool in startService). */
type WakeSignal =
  | 'event-stored' | 'sync-requested' | 'app-messages-queued' | 'handover-confirmed' | 'tag-changes-queued'
  | 'minute' | 'campaign-activated' | 'run-planned';

/**
 * Every capability's event handlers, each in its phase (HANDLER_PHASES says
 * why the order matters): welcome first (a WelcomeCode is valid 20 s), then
 * the ledger records, then handover and archive act on what it recorded.
 */
export function registerEventHandlers(handlers: HandlerRegistry, d: { db: Db; client: WeComClient; config: Readonly<Config>; clock: Clock }): void {
  registerWelcomeHandlers(handlers.inPhase('urgent'), { db: d.db, client: d.client, clock: d.clock });
  registerLedgerHandlers(handlers.inPhase('record'), d.client, d.config.LOCALE);
  registerHandoverHandlers(handlers.inPhase('react'), d.config, d.clock);
  registerArchiveHandlers(handlers.inPhase('react'));
}

/**
 * The composition root without process concerns: database + migrations →
 * capabilities → HTTP + jobs. main.ts adds signals and demo mode; tests start
 * several of these against one database to play several instances.
 */
export async function startService(o: ServiceOptions): Promise<Service> {
  const { config } = o;
  const log = o.log ?? rootLogger;
  const clock = o.clock ?? systemClock;
  const ownsDatabase = !o.database;
  const database = o.database ?? (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR }));
  await database.migrate();

  const db = database.db;
  const corpId = config.corpId;
  const handlers = new HandlerRegistry();
  const routes: Array<(api: ApiRouter) => void> = [];
  const warnings: Array<() => Promise<string[]>> = [];

  const client = createWeComClient(config, db, log, o.wecom);
  registerEventHandlers(handlers, { db, client, config, clock });
  const scope = corpScope(corpId);

  // Every worker, with its idle interval and the signals that wake it sooner (besides wakeWorkers()).
  const pool = new WorkerPool<WakeSignal>();
  const pollMs = o.workerPollMs;
  const campaignConfig = campaignSettings(config);
  const campaignLog = log.child({ category: 'campaigns' });
  // Callbacks share inserts (group commit). While they stream in, the event worker rests twice as long as each
  // event took (a third of its pace, never a stop): measured, running flat out it halved the front door's
  // ceiling on 2 cores; waiting for a quiet front door instead left a long burst's events unprocessed for >10 s.
  const appender = new GroupCommitAppender(database.db);
  const worker = pool.add({ name: 'events', intervalMs: pollMs ?? 500, wakeOn: ['event-stored'] }, (ms) => new EventWorker({
    db, corpId, handlers, clock, log: log.child({ category: 'event-worker' }), maxAttempts: config.EVENT_MAX_ATTEMPTS, pollMs: ms, backoff: o.backoff,
    giveWay: (spentMs) => appender.giveWay(2 * spentMs),
  }));
  const syncWorker = pool.add({ name: 'sync', intervalMs: pollMs ?? 1000, wakeOn: ['sync-requested'] },
    (ms) => new SyncWorker({ db, corpId, client, clock, log: log.child({ category: 'sync' }), pollMs: ms, backoff: o.backoff }));
  const appMessages = pool.add({ name: 'app-messages', intervalMs: pollMs ?? 1000, wakeOn: ['app-messages-queued'] },
    (ms) => new AppMessageWorker({ db, corpId, client, log: log.child({ category: 'app-messages' }), pollMs: ms, backoff: o.backoff }));
  const handoverSender = pool.add({ name: 'handover-sender', intervalMs: pollMs ?? 1000, wakeOn: ['handover-confirmed'] },
    (ms) => new HandoverSender({ db, corpId, client, clock, log: log.child({ category: 'handover' }), locale: config.LOCALE, pollMs: ms }));
  const handoverPoller = pool.add({ name: 'handover-poller', intervalMs: o.handoverPollMs ?? config.HANDOVER_POLL_S * 1000, wakeOn: [] },
    (ms) => new HandoverPoller({ db, corpId, client, clock, log: log.child({ category: 'handover' }), locale: config.LOCALE, pollMs: ms, settings: config }));
  const tagChanges = pool.add({ name: 'tag-changes', intervalMs: pollMs ?? 1000, wakeOn: ['tag-changes-queued'] },
    (ms) => new TagChangeWorker({ db, corpId, client, log: log.child({ category: 'tags' }), pollMs: ms, backoff: o.backoff }));
  pool.add({ name: 'follow-up-reminder', intervalMs: 60_000, wakeOn: [] },
    (ms) => new FollowUpReminder({ db, corpId, clock, log: log.child({ category: 'archive' }), locale: config.LOCALE, pollMs: ms }));
  const contentRecovery = pool.add({ name: 'content-recovery', intervalMs: 30_000, wakeOn: [] },
    (ms) => new ContentRecovery({ db, corpId, client, log: log.child({ category: 'touchpoints' }), pollMs: ms }));
  const campaignScheduler = pool.add({ name: 'campaign-scheduler', intervalMs: 60_000, wakeOn: ['minute', 'campaign-activated'] },
    (ms) => new CampaignScheduler({ db, corpId, log: campaignLog, settings: campaignConfig, clock, pollMs: ms, onPlanned: () => pool.wake('run-planned') }));
  const campaignDispatcher = pool.add({ name: 'campaign-dispatcher', intervalMs: pollMs ?? 1000, wakeOn: ['run-planned'] },
    (ms) => new CampaignDispatcher({ db, corpId, client, log: campaignLog, settings: campaignConfig, clock, pollMs: ms }));
  const campaignPoller = pool.add({ name: 'campaign-results', intervalMs: Math.min(campaignConfig.resultsPollMs, 30_000), wakeOn: [] },
    (ms) => new CampaignResultsPoller({ db, corpId, client, log: campaignLog, settings: campaignConfig, clock, pollMs: ms }));

  const requestSync = async (trigger: string) => {
    const r = await requestFullSync(db, corpId, trigger);
    pool.wake('sync-requested');
    return r;
  };
  routes.push((api) => handoverRoutes(api, { db, corpId, clock, client, customerCap: config.HANDOVER_CUSTOMER_CAP, onConfirmed: () => pool.wake('handover-confirmed') }));
  routes.push((api) => ledgerRoutes(api, { db, corpId, sync: { requestFullSync: (t) => requestSync(t), getJob: (id) => getSyncJob(db, corpId, id) } }));
  warnings.push(() => latestSyncWarnings(db, corpId));
  routes.push((api) => archiveRecordRoutes(api, { db, corpId, clock, client, config }));
  routes.push((api) => archiveValueRoutes(api, { db, corpId, clock, client, config }));
  routes.push((api) => segmentRoutes(api, { db, corpId, clock, client, config }));
  routes.push((api) => contentRoutes(api, { db, corpId, clock, client }));
  routes.push((api) => campaignRoutes(api, { db, corpId, clock, settings: campaignConfig, onActivated: () => pool.wake('campaign-activated') }));

  const unplugLag = addLagSource(() => oldestPendingAgeSeconds(database.db, config.corpId));
  const unplugWork = addWorkSource(() => Promise.all(workQueues.map(async (q) => ({ queue: q.name, ...(await q.stats(db, scope, clock.now())) }))));

  const access = accessDeps({ db, corpId, clock }, config);
  const app = createApp({
    config,
    access,
    login: {
      agentId: config.WECOM_AGENT_ID, loginBase: config.WECOM_LOGIN_BASE, oauthBase: config.WECOM_OAUTH_BASE, publicUrl: config.PUBLIC_URL,
      userIdForCode: (code) => memberForCode(client, code),
    },
    db: database.db,
    ping: () => database.ping(),
    log: log.child({ category: 'http' }),
    clock,
    onEventStored: () => pool.wake('event-stored'),
    appender,
    bodyTimeoutMs: o.bodyTimeoutMs,
    warnings: async () => (await Promise.all(warnings.map((w) => w()))).flat(),
    routes,
  });

  // Slow senders are cut off: the whole request in 30 s, headers in 10 s, checked every 2 s (Node's default check is every 30 s).
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, connectionsCheckingInterval: 2_000 }, app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  // Nightly (by default) full sync heals missed callbacks; the open-job index makes it once across instances.
  const syncCron = config.SYNC_CRON
    ? cron.schedule(config.SYNC_CRON, () => void requestSync('cron').catch((err) => log.error({ err }, 'could not queue the periodic sync')), {
        timezone: config.SCHEDULE_TZ, name: 'full-sync',
      })
    : undefined;
  // Nightly scores/stages/warnings (under an advisory lock, so once across instances) and the reps' daily digest.
  const archiveLog = log.child({ category: 'archive' });
  const archiveCrons = [
    config.ARCHIVE_CRON && cron.schedule(config.ARCHIVE_CRON, () => void recomputeArchive(db, corpScope(corpId), clock.now())
      .then(() => pool.wake('tag-changes-queued')).catch((err) => archiveLog.error({ err }, 'nightly recompute failed')), { timezone: config.SCHEDULE_TZ, name: 'archive-recompute' }),
    config.WARNING_DIGEST_CRON && cron.schedule(config.WARNING_DIGEST_CRON, () => void sendWarningDigests(db, corpId, clock.now(), config.LOCALE)
      .then(() => pool.wake('app-messages-queued')).catch((err) => archiveLog.error({ err }, 'warning digest failed')), { timezone: config.SCHEDULE_TZ, name: 'warning-digest' }),
  ].filter((c) => !!c);
  // The campaign tick: due occurrences start on the minute (the scheduler also polls, and claims in the DB, so a missed tick loses nothing).
  const campaignTick = cron.schedule('* * * * *', () => pool.wake('minute'), {
    timezone: config.SCHEDULE_TZ, name: 'campaign-tick', suppressMissedWarning: true,
  });
  if (o.worker !== false) pool.start();

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    database,
    handlers,
    worker,
    syncWorker,
    appMessages,
    handoverSender,
    handoverPoller,
    tagChanges,
    contentRecovery,
    campaignScheduler,
    campaignDispatcher,
    campaignPoller,
    client,
    requestSync,
    wakeWorkers() {
      pool.wakeAll();
    },
    stop() {
      // Stop accepting, let in-flight requests and the current event finish, then close the database.
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await syncCron?.destroy();
        for (const c of archiveCrons) await c.destroy();
        await campaignTick.destroy();
        await pool.stop();
        await closed;
        unplugLag();
        unplugWork();
        if (ownsDatabase) await database.close();
      })();
      return stopping;
    },
  };
}
