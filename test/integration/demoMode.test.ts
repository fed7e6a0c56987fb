import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../helpers/service';

// The quick start as a person runs it: `npm start` with no WeCom configuration.
const root = path.resolve(__dirname, '../..');

describe('demo mode (npm start with no configuration)', () => {
  let child: ChildProcess;
  let out = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifelong-demo-'));

  beforeAll(() => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const k of ['DATABASE_URL', 'WECOM_CORP_ID', 'ADMIN_TOKEN', 'NODE_OPTIONS']) delete env[k];
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
  });
  afterAll(() => {
    child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes up on embedded PGlite, prints its URL and token, and shows the simulated corp within a minute', async () => {
    const [, url, token] = await eventually(async () => /API:\s+(http:\/\/[\d.:]+)\/api\s+Authorization: Bearer (\S+)/.exec(out), 45_000, 200);
    expect(out).toContain('embedded PostgreSQL (PGlite)');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const contacts = await eventually(async () => {
      const res = await fetch(`${url}/api/contacts?limit=5`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { items: Array<{ owners: unknown[] }> };
      return body.items.length === 5 ? body.items : undefined;
    }, 60_000, 500);
    expect(contacts.every((c) => c.owners.length > 0)).toBe(true);
    const employees = (await (await fetch(`${url}/api/employees`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
    expect(employees.items.length).toBe(30);
  }, 120_000);

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
