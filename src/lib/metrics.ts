import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry for the process. Metrics are declared here so names stay
 * consistent; gauges that need the database register a collect callback later.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'lifelong_' });

export const callbacksReceived = new Counter({
  name: 'lifelong_callbacks_received_total',
  help: 'WeCom callbacks that verified and were stored (duplicate=true when a retry of a stored event)',
  labelNames: ['duplicate'] as const,
  registers: [registry],
});

export const callbacksRejected = new Counter({
  name: 'lifelong_callbacks_rejected_total',
  help: 'WeCom callbacks rejected, by reason (the error code)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const eventAppendBatchRows = new Histogram({
  name: 'lifelong_event_append_batch_rows',
  help: 'Callbacks stored per insert statement (group commit: concurrent callbacks share one)',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200],
  registers: [registry],
});

export const eventsProcessed = new Counter({
  name: 'lifelong_events_processed_total',
  help: 'Inbound events settled by the worker, by type and outcome (processed, retried, parked)',
  labelNames: ['type', 'outcome'] as const,
  registers: [registry],
});

export const wecomCalls = new Counter({
  name: 'lifelong_wecom_api_calls_total',
  help: 'WeCom API calls by API path and outcome (ok, errcode, http_error, network_error)',
  labelNames: ['api', 'outcome'] as const,
  registers: [registry],
});

export const wecomCallSeconds = new Histogram({
  name: 'lifelong_wecom_api_call_seconds',
  help: 'WeCom API call latency by API path',
  labelNames: ['api'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  registers: [registry],
});

export const httpRequests = new Counter({
  name: 'lifelong_http_requests_total',
  help: 'HTTP requests by route and status',
  labelNames: ['route', 'status'] as const,
  registers: [registry],
});

/** Sampled every 10 ms (as prom-client's own lag metric); the timer is unref'd, it keeps nothing alive. */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/**
 * How late the event loop ran timers since the previous scrape (then the
 * histogram starts over): a callback answered late by a blocked loop shows
 * here before it shows in WeCom's retries. quantile="1" is the maximum.
 * (After a reset the histogram times from its next 10 ms tick on.)
 */
export const eventLoopDelay = new Gauge({
  name: 'lifelong_event_loop_delay_seconds',
  help: 'Event-loop delay since the previous scrape, by quantile (perf_hooks.monitorEventLoopDelay; quantile 1 = max)',
  labelNames: ['quantile'] as const,
  registers: [registry],
  collect() {
    const n = loopDelay.count > 0;
    this.set({ quantile: '0.5' }, n ? loopDelay.percentile(50) / 1e9 : 0);
    this.set({ quantile: '0.99' }, n ? loopDelay.percentile(99) / 1e9 : 0);
    this.set({ quantile: '1' }, n ? loopDelay.max / 1e9 : 0);
    loopDelay.reset();
  },
});

export { Counter, Gauge, Histogram };

type GaugeSource = () => Promise<number>;
const lagSources = new Set<GaugeSource>();

/** Age of the oldest unprocessed inbound event; read from the database on scrape. */
export const eventWorkerLag = new Gauge({
  name: 'lifelong_event_worker_lag_seconds',
  help: 'Age in seconds of the oldest inbound event not yet processed (0 when caught up)',
  registers: [registry],
  async collect() {
    let worst = 0;
    for (const source of lagSources) worst = Math.max(worst, await source().catch(() => 0));
    this.set(worst);
  },
});

/** Plugs a lag reader in; returns the unplug function (used on shutdown). */
export function addLagSource(source: GaugeSource): () => void {
  lagSources.add(source);
  return () => lagSources.delete(source);
}

/** One queue's counts, as a work queue's stats() reports them. */
export interface WorkQueueStats {
  queue: string;
  byStatus: Record<string, number>;
  oldestDueSeconds: number;
}
type WorkSource = () => Promise<WorkQueueStats[]>;
const workSources = new Set<WorkSource>();
let workRead: { at: number; stats: Promise<WorkQueueStats[]> } | undefined;

/** Both work gauges of one scrape share one read of the database. */
function readWorkStats(): Promise<WorkQueueStats[]> {
  if (!workRead || performance.now() - workRead.at > 1000) {
    const stats = Promise.all([...workSources].map((s) => s().catch(() => []))).then((all) => all.flat());
    workRead = { at: performance.now(), stats };
  }
  return workRead.stats;
}

/** Rows of every work queue (events, outboxes, handover items, campaign runs and batches) by status; read on scrape. */
export const workRows = new Gauge({
  name: 'lifelong_work_rows',
  help: 'Work rows by queue and status (the claimable statuses and the dead)',
  labelNames: ['queue', 'status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const q of await readWorkStats()) for (const [status, n] of Object.entries(q.byStatus)) this.set({ queue: q.queue, status }, n);
  },
});

export const workOldestDue = new Gauge({
  name: 'lifelong_work_oldest_due_seconds',
  help: 'Seconds the oldest due, claimable row of each work queue has waited (0 when none is due)',
  labelNames: ['queue'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const q of await readWorkStats()) this.set({ queue: q.queue }, q.oldestDueSeconds);
  },
});

/** Plugs a work-queue reader in; returns the unplug function (used on shutdown). */
export function addWorkSource(source: WorkSource): () => void {
  workSources.add(source);
  workRead = undefined;
  return () => {
    workSources.delete(source);
    workRead = undefined;
  };
}
