import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_SECRETS_FILE, DEMO_WORLD_FILE } from '../../src/demo';
import { DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CORP_ID } from '../../src/simulator';
import { contactEventXml, postCallback, seal } from '../helpers/callbacks';
import { eventually } from '../helpers/service';

// The quick start as a person runs it: `npm start` with no WeCom configuration, then restarted, then reset.
const root = path.resolve(__dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifelong-demo-'));

interface Running {
  child: ChildProcess;
  out: () => string;
  url: string;
  token: string;
  sim: string;
}

async function startDemo(args: string[] = []): Promise<Running> {
  // No HOST: demo mode must choose the loopback itself. No background world events: the test drives the world.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', DEMO_WORLD_EVENTS_MS: '0' };
  for (const k of ['DATABASE_URL', 'WECOM_CORP_ID', 'ADMIN_TOKEN', 'NODE_OPTIONS', 'HOST', 'METRICS_TOKEN']) delete env[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const [, url, token] = await eventually(async () => /API:\s+(http:\/\/[\d.:]+)\/api\s+Authorization: Bearer (\S+)/.exec(out), 60_000, 200);
  const [, sim] = /Simulator:\s+(http:\/\/[\d.:]+)\/__sim/.exec(out)!;
  return { child, out: () => out, url: url!, token: token!, sim: sim! };
}

async function stop(r: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => r.child.once('exit', (code) => resolve(code)));
  r.child.kill('SIGTERM');
  return exited;
}

const api = async (r: Running, p: string, init: { method?: string; body?: unknown } = {}) => {
  const res = await fetch(`${r.url}${p}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${r.token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const simPost = async (r: Running, p: string, body: unknown) => {
  const res = await fetch(`${r.sim}/__sim/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

/** The demo's first sync has finished: its counts, once the job is done. */
const syncDone = async (r: Running) => {
  const { jobId } = (await api(r, '/api/sync', { method: 'POST' })).body;
  return eventually(async () => {
    const job = (await api(r, `/api/sync/${jobId}`)).body;
    return job.status === 'done' ? job : undefined;
  }, 90_000, 500);
};

const rep = async (r: Running, userId: string) => (await api(r, `/api/employees?limit=200`)).body.items.find((e: any) => e.userId === userId);

describe('demo mode (npm start with no configuration)', () => {
  let demo: Running;
  let handoverId: number;
  afterAll(() => {
    demo?.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes up on embedded PGlite on the loopback, prints its URL, token and simulator, and shows the simulated corp', async () => {
    demo = await startDemo();
    expect(demo.out()).toContain('embedded PostgreSQL (PGlite)');
    expect(new URL(demo.url).hostname).toBe('127.0.0.1');
    expect(demo.out()).toMatch(/listening on 127\.0\.0\.1 only/);
    expect(demo.out()).toContain(DEMO_SECRETS_FILE);
    expect((await fetch(`${demo.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${demo.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${demo.sim}/__sim/state`)).status).toBe(200);
    const contacts = await eventually(async () => {
      const { body } = await api(demo, '/api/contacts?limit=5');
      return body.items.length === 5 ? body.items : undefined;
    }, 60_000, 500);
    expect(contacts.every((c: any) => c.owners.length > 0)).toBe(true);
    expect((await api(demo, '/api/employees')).body.items.length).toBe(30);
  }, 120_000);

  it('signs callbacks with secrets of its own data directory: the constants in the source sign nothing', async () => {
    // A real relation of the demo corp, so the genuine event changes nothing the simulated corp does not know.
    const [c] = (await api(demo, '/api/contacts?limit=1')).body.items;
    const xml = contactEventXml(DEMO_CORP_ID, 'edit_external_contact', { userId: c.owners[0].userId, externalUserId: c.externalUserId });
    const forged = await postCallback(demo.url, seal({ token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, corpId: DEMO_CORP_ID }, xml));
    expect(forged.status).toBeGreaterThanOrEqual(400);
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, DEMO_SECRETS_FILE), 'utf8'));
    const genuine = await postCallback(demo.url, seal({ token: secrets.callbackToken, aesKey: secrets.callbackAesKey, corpId: DEMO_CORP_ID }, xml));
    expect(genuine.status).toBe(200);
    expect(await genuine.text()).toBe('success');
  });

  it('fast-forwarding the simulator moves the service: a departed rep\'s handover finishes without waiting for real time', async () => {
    await syncDone(demo);
    expect((await simPost(demo, 'world/employeeLeaves', { userid: 'rep0002' })).status).toBe(200);
    const draft = await eventually(async () => (await api(demo, '/api/handovers')).body.items.find((p: any) => p.from === 'rep0002' && p.automatic), 20_000, 200);
    handoverId = draft.id;
    expect(draft.takeovers).toEqual(['rep0003']);
    expect((await api(demo, `/api/handovers/${draft.id}/confirm`, { method: 'POST' })).status).toBe(200);
    // Resigned transfers take 24 h on WeCom's side: sent, then waiting.
    await eventually(async () => {
      const p = (await api(demo, `/api/handovers/${draft.id}`)).body;
      return p.counts.waiting > 0 && !p.counts.pending && !p.counts.planned ? p : undefined;
    }, 30_000, 300);
    const advanced = await simPost(demo, 'time/advance', { ms: 25 * 3600_000 });
    expect(advanced.status).toBe(200);
    // The poller runs every HANDOVER_POLL_S (300 s) of real time; the advance wakes it on the simulator's clock.
    const done = await eventually(async () => {
      const p = (await api(demo, `/api/handovers/${draft.id}`)).body;
      return p.status === 'completed' ? p : undefined;
    }, 30_000, 300);
    expect(done.counts.succeeded).toBeGreaterThan(0);
    expect(done.counts.waiting).toBeUndefined();
  }, 120_000);

  it('stops cleanly on SIGTERM, leaving the simulated corp beside the database', async () => {
    expect(await stop(demo)).toBe(0);
    expect(fs.existsSync(path.join(dataDir, DEMO_WORLD_FILE))).toBe(true);
  }, 30_000);

  it('a restart shows the same world: the departed rep stays departed, the handover stays done, a sync changes nothing', async () => {
    const before = demo.token;
    demo = await startDemo();
    expect(demo.token).toBe(before);
    // The start's own sync, then one more: neither finds relations to remove or restore.
    const job = await syncDone(demo);
    expect(job.counts.relationsRemoved ?? 0).toBe(0);
    expect(job.counts.relationsRestored ?? 0).toBe(0);
    expect((await rep(demo, 'rep0002')).status).toBe('departed');
    expect((await api(demo, `/api/handovers/${handoverId}`)).body.status).toBe('completed');
    // And the simulator's clock did not go back before the fast-forward.
    const state = (await (await fetch(`${demo.sim}/__sim/state`)).json()) as { now: string };
    expect(Date.parse(state.now) - Date.now()).toBeGreaterThan(24 * 3600_000);
  }, 150_000);

  it('`npm start -- --reset` starts the database and the simulated corp afresh, together', async () => {
    expect(await stop(demo)).toBe(0);
    demo = await startDemo(['--reset']);
    await syncDone(demo);
    expect((await rep(demo, 'rep0002')).status).toBe('active');
    expect((await api(demo, '/api/handovers')).body.items).toEqual([]);
    expect(await stop(demo)).toBe(0);
  }, 150_000);
});
