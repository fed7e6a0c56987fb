import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase, type Database } from './db/connection';
import { GroupCommitAppender, HandlerRegistry, oldestPendingAgeSeconds } from './events';
import { createApp } from './http/app';
import type { ApiRouter } from './http/apiRouter';
import { EventWorker } from './jobs/eventWorker';
import { systemClock, type Clock } from './lib/clock';
import type { Config } from './lib/config';
import { logger as rootLogger, type Logger } from './lib/logger';
import { addLagSource } from './lib/metrics';
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
  // First: a WelcomeCode is valid 20 s, and prepares run in registration order.
  registerWelcomeHandlers(handlers, { db, client });
  registerLedgerHandlers(handlers, client, config.LOCALE);
  // After the ledger's: a departure is recorded before the automatic draft reads it.
  registerHandoverHandlers(handlers, config);
  registerArchiveHandlers(handlers);
  const syncWorker = new SyncWorker({ db, corpId, client, log: log.child({ category: 'sync' }), pollMs: o.workerPollMs, backoff: o.backoff });
  const appMessages = new AppMessageWorker({ db, corpId, client, log: log.child({ category: 'app-messages' }), pollMs: o.workerPollMs, backoff: o.backoff });
  const handoverSender = new HandoverSender({ db, corpId, client, clock, log: log.child({ category: 'handover' }), locale: config.LOCALE, pollMs: o.workerPollMs });
  const handoverPoller = new HandoverPoller({ db, corpId, client, clock, log: log.child({ category: 'handover' }), locale: config.LOCALE, pollMs: o.handoverPollMs ?? config.HANDOVER_POLL_S * 1000, settings: config });
  routes.push((api) => handoverRoutes(api, { db, corpId, client, customerCap: config.HANDOVER_CUSTOMER_CAP, onConfirmed: () => handoverSender.wake() }));
  const requestSync = async (trigger: string) => {
    const r = await requestFullSync(db, corpId, trigger);
    syncWorker.wake();
    return r;
  };
  routes.push((api) => ledgerRoutes(api, { db, corpId, sync: { requestFullSync: (t) => requestSync(t), getJob: (id) => getSyncJob(db, corpId, id) } }));
  warnings.push(() => latestSyncWarnings(db, corpId));
  const tagChanges = new TagChangeWorker({ db, corpId, client, log: log.child({ category: 'tags' }), pollMs: o.workerPollMs, backoff: o.backoff });
  const followUpReminder = new FollowUpReminder({ db, corpId, log: log.child({ category: 'archive' }), locale: config.LOCALE });
  routes.push((api) => archiveRecordRoutes(api, { db, corpId, client, config }));
  routes.push((api) => archiveValueRoutes(api, { db, corpId, client, config }));
  routes.push((api) => segmentRoutes(api, { db, corpId, client, config }));
  routes.push((api) => contentRoutes(api, { db, corpId, client }));
  const contentRecovery = new ContentRecovery({ db, corpId, client, log: log.child({ category: 'touchpoints' }) });
  const campaignConfig = campaignSettings(config);
  const campaignLog = log.child({ category: 'campaigns' });
  const campaignPoller = new CampaignResultsPoller({ db, corpId, client, log: campaignLog, settings: campaignConfig, clock });
  const campaignDispatcher = new CampaignDispatcher({ db, corpId, client, log: campaignLog, settings: campaignConfig, clock, pollMs: o.workerPollMs });
  const campaignScheduler = new CampaignScheduler({ db, corpId, log: campaignLog, settings: campaignConfig, clock, onPlanned: () => campaignDispatcher.wake() });
  routes.push((api) => campaignRoutes(api, { db, corpId, settings: campaignConfig, now: () => clock.now(), onActivated: () => campaignScheduler.wake() }));

  // Callbacks share inserts (group commit). While they stream in, the event worker rests twice as long as each
  // event took (a third of its pace, never a stop): measured, running flat out it halved the front door's
  // ceiling on 2 cores; waiting for a quiet front door instead left a long burst's events unprocessed for >10 s.
  const appender = new GroupCommitAppender(database.db);
  const worker = new EventWorker({
    db: database.db,
    corpId: config.corpId,
    handlers,
    log: log.child({ category: 'event-worker' }),
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    pollMs: o.workerPollMs,
    backoff: o.backoff,
    giveWay: (spentMs) => appender.giveWay(2 * spentMs),
  });
  const unplugLag = addLagSource(() => oldestPendingAgeSeconds(database.db, config.corpId));

  const app = createApp({
    config,
    db: database.db,
    ping: () => database.ping(),
    log: log.child({ category: 'http' }),
    clock,
    onEventStored: () => worker.wake(),
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
    config.ARCHIVE_CRON && cron.schedule(config.ARCHIVE_CRON, () => void recomputeArchive(db, corpId, new Date())
      .then(() => tagChanges.wake()).catch((err) => archiveLog.error({ err }, 'nightly recompute failed')), { timezone: config.SCHEDULE_TZ, name: 'archive-recompute' }),
    config.WARNING_DIGEST_CRON && cron.schedule(config.WARNING_DIGEST_CRON, () => void sendWarningDigests(db, corpId, new Date(), config.LOCALE)
      .then(() => appMessages.wake()).catch((err) => archiveLog.error({ err }, 'warning digest failed')), { timezone: config.SCHEDULE_TZ, name: 'warning-digest' }),
  ].filter((c) => !!c);
  // The campaign tick: due occurrences start on the minute (the scheduler also polls, and claims in the DB, so a missed tick loses nothing).
  const campaignTick = cron.schedule('* * * * *', () => campaignScheduler.wake(), {
    timezone: config.SCHEDULE_TZ, name: 'campaign-tick', suppressMissedWarning: true,
  });
  const workers = [worker, syncWorker, appMessages, handoverSender, handoverPoller, tagChanges, followUpReminder, contentRecovery,
    campaignScheduler, campaignDispatcher, campaignPoller];
  if (o.worker !== false) for (const w of workers) w.start();

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
      for (const w of workers) w.wake();
    },
    stop() {
      // Stop accepting, let in-flight requests and the current event finish, then close the database.
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await syncCron?.destroy();
        for (const c of archiveCrons) await c.destroy();
        await campaignTick.destroy();
        await Promise.all(workers.map((w) => w.stop()));
        await closed;
        unplugLag();
        if (ownsDatabase) await database.close();
      })();
      return stopping;
    },
  };
}
