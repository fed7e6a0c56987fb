/**
 * `npm run bench:callbacks`: the callback endpoint at its ceiling, against a
 * reference that verifies, decrypts and parses the same way but stores
 * nothing (scripts/bench/callbackReference.ts).
 *
 * For each database in turn — embedded PGlite in a temporary DATA_DIR, then
 * the PostgreSQL server of BENCH_PG_URL or DATABASE_URL (skipped when
 * neither is set) — it forks the real service (every worker running, WeCom
 * answered by the simulator in this process) and the reference, each in its
 * own process, and loads them from a third process (callbackLoad.ts) with
 * distinct signed `edit_external_contact` callbacks from a precomputed pool:
 *
 * 1. closed loop, BENCH_CONNECTIONS (50) connections for BENCH_SECONDS (8 s),
 *    after a 1 s warm-up: req/s, p50, p99, the ratio to the reference;
 * 2. a steady BENCH_RATE (500) req/s for 5 s, open loop (one request every
 *    2 ms): p99, and the service's event-loop delay p99 from /metrics;
 * 3. the same rate through autocannon's `overallRate` (which sends each
 *    second's quota at the top of the second): p99.
 *
 * Then every callback that was sent but not answered `success` (cut off at
 * the end of a phase) is sent again, as WeCom would, and the event log must
 * hold each sent callback exactly once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { encrypt, getSignature } from '@wecom/crypto';
import { createLogger } from '../../src/lib/logger';
import { createSimulator } from '../../src/simulator';
import { freshServerDatabase } from './benchDatabase';
import type { LoadJob, LoadResult } from './callbackLoad';
import { stageBreakdown } from './callbackStages';

const int = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const SECONDS = int('BENCH_SECONDS', 8);
const CONNECTIONS = int('BENCH_CONNECTIONS', 50);
const RATE = int('BENCH_RATE', 500);
const RATE_SECONDS = 5;
const POOL = int('BENCH_POOL', 50_000);
// How long to watch the worker drain the backlog after the loads (it is bound by WeCom's 10,000/min externalcontact/get).
const DRAIN_MS = int('BENCH_DRAIN_SECONDS', 60) * 1000;

const corpId = 'wwbench00000callbacks';
const token = 'benchcallbacktoken';
const aesKey = randomBytes(32).toString('base64').slice(0, 43).replace(/[+/]/g, 'q');
const secrets = { contact: 'bench-contact', agent: 'bench-agent' };

function child(script: string, env: Record<string, string>): ChildProcess {
  // BENCH_PROFILE=dir writes a V8 CPU profile of the service process there.
  const profile = script === 'callbackService.ts' && process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  return fork(path.join(__dirname, script), [], {
    execArgv: ['--import', 'tsx', ...profile],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<T>(c: ChildProcess, type?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (type && m?.type !== type) return;
      c.off('message', onMessage);
      c.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before answering`));
    c.on('message', onMessage);
    c.once('exit', onExit);
  });
}

async function load(poolFile: string, job: LoadJob): Promise<LoadResult> {
  const c = child('callbackLoad.ts', { POOL_FILE: poolFile });
  await nextMessage(c);
  const done = nextMessage<LoadResult>(c);
  c.send(job);
  return done;
}

async function eventLoopP99(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^lifelong_event_loop_delay_seconds\{quantile="0\.99"\} (\S+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : NaN;
}

/** Rows per insert statement over the whole run, from the group-commit histogram. */
async function meanBatch(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const v = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return v('lifelong_event_append_batch_rows_sum') / v('lifelong_event_append_batch_rows_count');
}

interface Row {
  label: string;
  ref: LoadResult;
  ours: LoadResult;
  paced: LoadResult;
  rate: LoadResult;
  loopP99: number;
  batch: number;
  stored: number;
  /** Events the worker finished during the closed loop, and how long the backlog took to drain after the loads. */
  processedInLoop: number;
  drainSeconds: number;
  leftPending: number;
  /** Callbacks of the load the kill -9 cut into that got no `success` (retried after the restart). */
  killedUnanswered: number;
  sent: number;
  retried: number;
  lost: number;
  twice: number;
}

async function benchOne(label: string, env: Record<string, string>, simUrl: string, poolFile: string, pool: string[]): Promise<Row> {
  // The reference first, on the same pool (it stores nothing, so indices may repeat).
  const refChild = child('callbackReference.ts', { REF_TOKEN: token, REF_AES_KEY: aesKey, REF_CORP_ID: corpId });
  const { url: refUrl } = await nextMessage<{ url: string }>(refChild);
  await load(poolFile, { mode: 'max', url: refUrl, seconds: 1, connections: CONNECTIONS, start: 0 });
  const ref = await load(poolFile, { mode: 'max', url: refUrl, seconds: SECONDS, connections: CONNECTIONS, start: 0 });
  refChild.send({ type: 'stop' });
  await new Promise((r) => refChild.once('exit', r));

  const svcEnv = {
    PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ADMIN_TOKEN: 'bench-admin-token',
    WECOM_CORP_ID: corpId, WECOM_CALLBACK_TOKEN: token, WECOM_CALLBACK_AES_KEY: aesKey,
    WECOM_API_BASE: simUrl, WECOM_CONTACT_SECRET: secrets.contact, WECOM_AGENT_SECRET: secrets.agent, WECOM_AGENT_ID: '1000002',
    CAMPAIGN_QUIET_HOURS: '', ...env,
  };
  let svc = child('callbackService.ts', svcEnv);
  let { url } = await nextMessage<{ url: string }>(svc, 'ready');
  const warm = await load(poolFile, { mode: 'max', url, seconds: 1, connections: CONNECTIONS, start: 0 });
  const before = await count(svc);
  const ours = await load(poolFile, { mode: 'max', url, seconds: SECONDS, connections: CONNECTIONS, start: warm.next });
  const processedInLoop = (await count(svc)).done - before.done;
  await eventLoopP99(url); // the gauge covers the time since the previous scrape
  const paced = await load(poolFile, { mode: 'paced', url, seconds: RATE_SECONDS, connections: CONNECTIONS, rate: RATE, start: ours.next });
  const loopP99 = await eventLoopP99(url);
  const rate = await load(poolFile, { mode: 'rate', url, seconds: RATE_SECONDS, connections: CONNECTIONS, rate: RATE, start: paced.next });

  const batch = await meanBatch(url);
  // kill -9 in the middle of a steady load, then a restart on the same database: what was answered `success`
  // before the kill must be there, and what was not is retried below, as WeCom would.
  const crashLoad = load(poolFile, { mode: 'paced', url, seconds: RATE_SECONDS, connections: CONNECTIONS, rate: RATE, start: rate.next });
  await new Promise((r) => setTimeout(r, (RATE_SECONDS * 1000) / 2));
  svc.kill('SIGKILL');
  const crashed = await crashLoad;
  await new Promise((r) => (svc.exitCode !== null || svc.signalCode !== null ? r(undefined) : svc.once('exit', r)));
  svc = child('callbackService.ts', svcEnv);
  ({ url } = await nextMessage<{ url: string }>(svc, 'ready'));

  // WeCom retries what it got no `success` for: so do we, then every sent callback must be stored once.
  const unanswered = [warm, ours, paced, rate, crashed].flatMap((r) => r.unanswered);
  let lost = 0;
  for (const i of unanswered) {
    const tab = pool[i]!.indexOf('\t');
    const res = await fetch(`${url}/wecom/callback?${pool[i]!.slice(0, tab)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: pool[i]!.slice(tab + 1) });
    if ((await res.text()) !== 'success') lost++;
  }
  const drainStarted = Date.now();
  let left = await pendingOf(svc);
  while (left > 0 && Date.now() - drainStarted < DRAIN_MS) {
    await new Promise((r) => setTimeout(r, 1000));
    left = await pendingOf(svc);
  }
  const counts = await count(svc);
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  const { rows, keys } = counts;
  svc.send({ type: 'stop' });
  await nextMessage(svc, 'stopped').catch(() => undefined);
  const sent = crashed.next;
  const killedUnanswered = crashed.unanswered.length;
  return { label, ref, ours, paced, rate, loopP99, batch, processedInLoop, drainSeconds, leftPending: left, stored: rows, sent, retried: unanswered.length, killedUnanswered, lost: lost + Math.max(0, sent - rows), twice: rows - keys };
}

/** Distinct signed callbacks: a real relation each (the worker's externalcontact/get finds it), CreateTime apart. */
function signedPool(relations: readonly { userid: string; external_userid: string }[]): string[] {
  const now = Math.floor(Date.now() / 1000);
  const pool: string[] = [];
  for (let i = 0; i < POOL; i++) {
    const r = relations[i % relations.length]!;
    const xml = `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
      `<CreateTime>${now - POOL + i}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
      `<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[edit_external_contact]]></ChangeType>` +
      `<UserID><![CDATA[${r.userid}]]></UserID><ExternalUserID><![CDATA[${r.external_userid}]]></ExternalUserID></xml>`;
    const nonce = String(100000 + i);
    const ciphertext = encrypt(aesKey, xml, corpId);
    const sig = getSignature(token, String(now), nonce, ciphertext);
    const body = `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${ciphertext}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
    pool.push(`msg_signature=${sig}&timestamp=${now}&nonce=${nonce}\t${body}`);
  }
  return pool;
}

async function pendingOf(svc: ChildProcess): Promise<number> {
  const answer = nextMessage<{ pending: number }>(svc, 'pending');
  svc.send({ type: 'pending' });
  return (await answer).pending;
}

async function count(svc: ChildProcess): Promise<{ rows: number; keys: number; done: number; dead: number }> {
  const counted = nextMessage<{ rows: number; keys: number; done: number; dead: number }>(svc, 'count');
  svc.send({ type: 'count' });
  return counted;
}

async function main() {
  const started = Date.now();
  const sim = createSimulator({
    corpId, agentId: 1000002, secrets, callback: { token, aesKey }, seed: 13,
    counts: { employees: 20, customers: 2000, groups: 10, departments: 4, tagGroups: 2, tags: 6 }, logger: createLogger('silent'),
  });
  const { url: simUrl } = await sim.listen(0);
  const relations = sim.truth().relations;

  // Signed afresh for each database: a pool older than WeCom's timestamp window would be refused as stale.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifelong-bench-callbacks-'));
  const poolFile = path.join(tmp, 'pool.tsv');
  const signPool = (): string[] => {
    const pool = signedPool(relations);
    fs.writeFileSync(poolFile, `${pool.join('\n')}\n`);
    return pool;
  };
  let pool = signPool();

  const stages = await stageBreakdown(pool, { token, aesKey, corpId });
  process.stdout.write(`where a callback's time goes (one process, µs per callback):\n${stages.map(([k, us]) => `  ${k}: ${us.toFixed(1)}`).join('\n')}\n\n`);

  const rows: Row[] = [];
  const only = process.env.BENCH_ONLY; // 'pglite' or 'server', to look at one
  if (only !== 'server') rows.push(await benchOne('PGlite (embedded, DATA_DIR)', { DATA_DIR: path.join(tmp, 'data') }, simUrl, poolFile, pool));
  const serverUrl = process.env.BENCH_PG_URL || process.env.DATABASE_URL;
  if (serverUrl && only !== 'pglite') {
    const fresh = await freshServerDatabase(serverUrl);
    try {
      pool = signPool();
      rows.push(await benchOne('PostgreSQL server', { DATABASE_URL: fresh.url }, simUrl, poolFile, pool));
    } finally {
      await fresh.drop();
    }
  } else {
    process.stdout.write('PostgreSQL server: skipped (set BENCH_PG_URL or DATABASE_URL)\n');
  }
  await sim.close();
  fs.rmSync(tmp, { recursive: true, force: true });

  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const out = [
    `bench:callbacks: distinct signed edit_external_contact callbacks, ${CONNECTIONS} connections × ${SECONDS} s; steady ${RATE} req/s × ${RATE_SECONDS} s; event worker running (${os.cpus().length} cores)`,
    '',
    '| database | reference req/s | ours req/s | ratio | ours p50 / p99 | p99 at steady ' + RATE + ' req/s | event-loop delay p99 | p99 at autocannon overallRate ' + RATE + ' | event log |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.label} | ${Math.round(r.ref.rps)} | ${Math.round(r.ours.rps)} | ${(r.ours.rps / r.ref.rps).toFixed(2)} | ${r.ours.p50} / ${r.ours.p99} ms | ${ms(r.paced.p99)} | ${ms(r.loopP99)} | ${r.rate.p99} ms | ${r.stored} of ${r.sent} sent (${r.retried} retried, ${r.killedUnanswered} of them cut by a kill -9 and a restart), ${r.lost} lost, ${r.twice} twice |`),
    '',
    `event worker: ${rows.map((r) => `${Math.round(r.processedInLoop / SECONDS)} events/s during the closed loop, ${r.leftPending === 0 ? `backlog drained ${r.drainSeconds.toFixed(1)} s after the loads` : `${r.leftPending} still pending ${r.drainSeconds.toFixed(0)} s after the loads`}`).join('; ')}`,
    `rows per insert (mean): ${rows.map((r) => r.batch.toFixed(1)).join(', ')} · reference p50 / p99: ${rows.map((r) => `${r.ref.p50} / ${r.ref.p99} ms`).join(', ')} · errors: ${rows.map((r) => [r.ref, r.ours, r.paced, r.rate].map((x) => x.errors + x.non2xx).join('/')).join(', ')} · wall time ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (rows.some((r) => r.lost > 0 || r.twice > 0)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
