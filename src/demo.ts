import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from './lib/clock';
import type { DemoCredentials, Env } from './lib/config';
import type { Logger } from './lib/logger';
import type { Service } from './service';
import { createSimulator, DEMO_AGENT_ID, DEMO_CORP_ID, DEMO_SEED, startWorldStream, type Simulator } from './simulator';

// Demo mode is the service's one way to the simulator; main reports a bad state file through it.
export { SimStateFileError } from './simulator';

/** The demo world: about 30 reps, 3,000 customers, 60 groups, 20 tags. */
const DEMO_COUNTS = { employees: 30, departments: 5, customers: 3000, groups: 60, tagGroups: 4, tags: 20 };

/** Beside the database in DATA_DIR: the demo's generated secrets (mode 0600). */
export const DEMO_SECRETS_FILE = 'demo-secrets.json';

interface DemoSecrets {
  callbackToken: string;
  callbackAesKey: string;
  contactSecret: string;
  agentSecret: string;
  adminToken: string;
}

const alnum = (n: number) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  // 62 letters: reject bytes ≥ 248 so every letter is equally likely.
  let out = '';
  while (out.length < n) for (const b of randomBytes(n * 2)) if (b < 248 && out.length < n) out += abc[b % 62];
  return out;
};

function isSecrets(v: unknown): v is DemoSecrets {
  const s = v as Record<string, unknown>;
  return !!s && ['callbackToken', 'contactSecret', 'agentSecret', 'adminToken'].every((k) => typeof s[k] === 'string' && (s[k] as string).length >= 16)
    && typeof s.callbackAesKey === 'string' && /^[a-zA-Z0-9]{43}$/.test(s.callbackAesKey);
}

/**
 * Demo mode's secrets, one set per data directory: made on first start and
 * kept (0600) so the same callback key, simulator secrets and admin token
 * come back after a restart — and no two demos share them, unlike constants
 * in the source that anyone could use to sign callbacks.
 */
export function demoSecrets(dataDir: string): { secrets: DemoSecrets; file: string; created: boolean } {
  const file = path.resolve(dataDir, DEMO_SECRETS_FILE);
  if (fs.existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      parsed = undefined;
    }
    if (!isSecrets(parsed)) throw new Error(`${file} is not a valid demo secrets file: delete it (and the demo data with \`npm start -- --reset\`) to start afresh`);
    return { secrets: parsed, file, created: false };
  }
  const secrets: DemoSecrets = {
    callbackToken: alnum(24), callbackAesKey: alnum(43), contactSecret: alnum(32), agentSecret: alnum(32), adminToken: randomBytes(18).toString('base64url'),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // 'wx': two demos starting on one directory cannot overwrite each other's secrets.
  try {
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return demoSecrets(dataDir);
    throw err;
  }
  return { secrets, file, created: true };
}

/** loadConfig's demo credentials: the simulator's fixed corp with this data directory's secrets. */
export function demoCredentials(env: Pick<Env, 'DATA_DIR'>): DemoCredentials {
  const { secrets } = demoSecrets(env.DATA_DIR);
  return {
    corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID, callbackToken: secrets.callbackToken, callbackAesKey: secrets.callbackAesKey,
    contactSecret: secrets.contactSecret, agentSecret: secrets.agentSecret, adminToken: secrets.adminToken,
  };
}

export interface Demo {
  sim: Simulator;
  url: string;
  /**
   * The simulator's clock: the service reads time from it in demo mode, so
   * fast-forwarding the simulator (POST /__sim/time/advance) moves the
   * service's schedules, polls and callback timestamp checks with it.
   */
  clock: Clock;
  /** Points the simulator's callbacks at the service, syncs, starts the world's event stream. */
  attach(service: Service): Promise<void>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  credentials: DemoCredentials;
  /** Where the simulated corp is kept between starts (beside the database). */
  dataDir: string;
  /** Pause between the world's background events (0 = none). */
  worldEventsMs?: number;
}

/** The simulated corp's state, saved beside the database so a restart shows the same world. */
export const DEMO_WORLD_FILE = 'simulator-world.json';

/** What a demo reset removes from DATA_DIR: the embedded database's files and the simulated corp — nothing else. */
const RESETTABLE = /^(PG_VERSION|base|global|pg_[a-z_]+|postgresql(\.auto)?\.conf|postmaster\.(pid|opts)|pg_hba\.conf|pg_ident\.conf|simulator-world\.json(\.tmp)?)$/;

/**
 * Deletes the demo's database and simulated corp together (never one
 * without the other: a fresh world against an old ledger undoes handovers).
 * The secrets file stays, so the printed token keeps working.
 */
export function resetDemoData(dataDir: string): string[] {
  if (!fs.existsSync(dataDir)) return [];
  const removed: string[] = [];
  for (const name of fs.readdirSync(dataDir)) {
    if (!RESETTABLE.test(name)) continue;
    fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Starts the built-in WeCom simulator that demo mode talks to (before the service, which needs its URL). */
export async function startDemoSimulator(log: Logger, o: DemoOptions): Promise<Demo> {
  const c = o.credentials;
  const worldFile = path.resolve(o.dataDir, DEMO_WORLD_FILE);
  fs.mkdirSync(o.dataDir, { recursive: true });
  // The corp as the last run left it (seeded on the first start): the database beside it reflects that world, not the seed.
  const sim = createSimulator({
    restoreFrom: worldFile,
    corpId: c.corpId,
    agentId: c.agentId ?? DEMO_AGENT_ID,
    secrets: { contact: c.contactSecret ?? '', agent: c.agentSecret ?? '' },
    // Envelope timestamps on the simulated clock, which the service shares.
    callback: { token: c.callbackToken, aesKey: c.callbackAesKey },
    seed: DEMO_SEED,
    counts: DEMO_COUNTS,
    logger: log,
  });
  sim.persistTo(worldFile, { debounceMs: 1000 });
  const { url } = await sim.listen(0);
  let stream: { stop(): void } | undefined;
  return {
    sim,
    url,
    clock: { now: () => sim.now() },
    async attach(service) {
      sim.setCallbackUrl(`${service.url}/wecom/callback`);
      // Time moved on the simulator: what became due runs now, not at the next poll.
      sim.onTimeAdvanced(() => service.wakeWorkers());
      await service.requestSync('demo');
      // A gentle stream of world events keeps the demo alive: adds, deletions, group joins, tag edits.
      const every = o.worldEventsMs ?? 4000;
      if (every > 0) stream = startWorldStream(sim, { intervalMs: every });
    },
    async stop() {
      stream?.stop();
      // close() saves the world a last time.
      await sim.close();
    },
  };
}
