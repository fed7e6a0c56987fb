/**
 * The load generator of `bench:callbacks`, in its own process so it never
 * shares an event loop with what it measures. Takes one job over IPC, runs it
 * against a precomputed pool of distinct signed callbacks (one per line of
 * POOL_FILE: `query\tbody`), answers with the numbers and exits.
 *
 * - `max`: autocannon, closed loop, as fast as `connections` allow.
 * - `rate`: autocannon with `overallRate` (it sends each second's quota at the
 *   start of the second, on every connection at once).
 * - `paced`: an open loop that sends one request every 1/rate s, so a steady
 *   rate really is steady (what a WeCom push looks like).
 *
 * Pool entries are used in order from `start`; every entry handed out is
 * reported as accepted (2xx with `success`) or not, so the parent can check
 * the event log against it.
 */
import fs from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';

export interface LoadJob {
  mode: 'max' | 'rate' | 'paced';
  url: string;
  seconds: number;
  connections: number;
  rate?: number;
  /** First pool index to use. */
  start: number;
}

export interface LoadResult {
  /** Next unused pool index. */
  next: number;
  accepted: number;
  /** Pool indices handed out that were not answered `success` (cut off at the end, errors). */
  unanswered: number[];
  errors: number;
  non2xx: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

const pool = fs.readFileSync(process.env.POOL_FILE!, 'utf8').split('\n').filter(Boolean).map((line) => {
  const tab = line.indexOf('\t');
  return { query: line.slice(0, tab), body: line.slice(tab + 1) };
});

async function runAutocannon(job: LoadJob): Promise<LoadResult> {
  let next = job.start;
  const ok = new Set<number>();
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.seconds,
    ...(job.mode === 'rate' ? { overallRate: job.rate } : {}),
    requests: [{
      method: 'POST',
      setupRequest: (req: any, context: any) => {
        const i = next++;
        if (i >= pool.length) throw new Error(`the pool of ${pool.length} callbacks ran out`);
        context.i = i;
        return { ...req, path: `/wecom/callback?${pool[i]!.query}`, headers: { 'content-type': 'text/xml' }, body: pool[i]!.body };
      },
      onResponse: (status: number, body: string, context: any) => {
        if (status >= 200 && status < 300 && body === 'success') ok.add(context.i);
      },
    }],
  } as autocannon.Options);
  const unanswered: number[] = [];
  for (let i = job.start; i < next; i++) if (!ok.has(i)) unanswered.push(i);
  return {
    next, accepted: ok.size, unanswered, errors: result.errors + result.timeouts, non2xx: result.non2xx,
    rps: (result['2xx'] ?? 0) / job.seconds, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

async function runPaced(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const total = Math.round(job.seconds * job.rate!);
  const latencies: number[] = [];
  const ok = new Set<number>();
  let errors = 0;
  let non2xx = 0;
  const inFlight: Array<Promise<void>> = [];
  const send = (i: number) => new Promise<void>((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request({
      host: target.hostname, port: target.port, path: `/wecom/callback?${pool[i]!.query}`, method: 'POST', agent,
      headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(pool[i]!.body) },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (res.statusCode! >= 200 && res.statusCode! < 300 && body === 'success') ok.add(i);
        else non2xx++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(pool[i]!.body);
  });
  const t0 = performance.now();
  const interval = 1000 / job.rate!;
  for (let k = 0; k < total; k++) {
    const due = t0 + k * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(job.start + k));
  }
  await Promise.all(inFlight);
  agent.destroy();
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const unanswered: number[] = [];
  for (let i = job.start; i < job.start + total; i++) if (!ok.has(i)) unanswered.push(i);
  return {
    next: job.start + total, accepted: ok.size, unanswered, errors, non2xx, rps: ok.size / seconds,
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? 0,
  };
}

process.once('message', (job: LoadJob) => {
  (job.mode === 'paced' ? runPaced(job) : runAutocannon(job))
    .then((r) => process.send!(r, () => process.exit(0)))
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    });
});
process.send!({ ready: true, pool: pool.length });
