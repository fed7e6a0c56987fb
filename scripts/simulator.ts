/**
 * `npm run simulator`: the WeCom simulator stand-alone, seeded.
 *
 * Env: SIM_PORT (4010), SIM_HOST (127.0.0.1), SIM_SEED, SIM_CALLBACK_URL,
 * SIM_EMPLOYEES / SIM_CUSTOMERS / SIM_GROUPS / SIM_DEPARTMENTS (world size),
 * SIM_STREAM_MS (a live stream of world events every N ms; 0/unset = off),
 * SIM_STATE_FILE (restore the world from this file when it exists, and keep it saved there),
 * WECOM_CORP_ID, WECOM_CALLBACK_TOKEN, WECOM_CALLBACK_AES_KEY, WECOM_CONTACT_SECRET,
 * WECOM_AGENT_SECRET, WECOM_AGENT_ID (demo defaults otherwise).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  createSimulator, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET,
  DEMO_CORP_ID, DEMO_SEED, DEMO_SIMULATOR_PORT, type SeedCounts, startWorldStream,
} from '../src/simulator';

const env = process.env;
const int = (name: string, fallback?: number): number | undefined => {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
};

async function main(): Promise<void> {
  const counts: Partial<SeedCounts> = {};
  const sizes: Array<[keyof SeedCounts, string]> = [
    ['employees', 'SIM_EMPLOYEES'], ['customers', 'SIM_CUSTOMERS'], ['groups', 'SIM_GROUPS'], ['departments', 'SIM_DEPARTMENTS'],
  ];
  for (const [key, name] of sizes) {
    const n = int(name);
    if (n !== undefined) counts[key] = n;
  }
  const started = Date.now();
  const stateFile = env.SIM_STATE_FILE ? path.resolve(env.SIM_STATE_FILE) : undefined;
  const restoring = stateFile !== undefined && fs.existsSync(stateFile);
  const sim = createSimulator({
    ...(stateFile ? { restoreFrom: stateFile } : {}),
    corpId: env.WECOM_CORP_ID || DEMO_CORP_ID,
    agentId: int('WECOM_AGENT_ID', DEMO_AGENT_ID)!,
    secrets: { contact: env.WECOM_CONTACT_SECRET || DEMO_CONTACT_SECRET, agent: env.WECOM_AGENT_SECRET || DEMO_AGENT_SECRET },
    callback: {
      token: env.WECOM_CALLBACK_TOKEN || DEMO_CALLBACK_TOKEN,
      aesKey: env.WECOM_CALLBACK_AES_KEY || DEMO_CALLBACK_AES_KEY,
      url: env.SIM_CALLBACK_URL || undefined,
      // The stand-alone simulator talks to a service whose clock is the wall clock.
      realTimestamps: true,
    },
    seed: int('SIM_SEED', DEMO_SEED),
    counts,
  });
  const seededMs = Date.now() - started;
  if (stateFile) sim.persistTo(stateFile, { debounceMs: 1000 });
  const { url } = await sim.listen(int('SIM_PORT', DEMO_SIMULATOR_PORT), env.SIM_HOST || '127.0.0.1');
  const s = sim.world.summary();
  process.stdout.write([
    `WeCom simulator listening on ${url} (${restoring ? 'restored from its world file' : 'seeded'} in ${seededMs} ms)`,
    `  API base:      ${url}   (WECOM_API_BASE)`,
    `  corp id:       ${sim.corpId}`,
    `  callback url:  ${env.SIM_CALLBACK_URL || '(none; POST /__sim/callback-url {"url": …})'}`,
    `  world:         ${s.employees} employees, ${s.departments} departments, ${s.customers} customers, ${s.relations} relations (${s.sharedCustomers} shared), ${s.groups} groups, ${s.tagGroups} tag groups / ${s.tags} tags`,
    `  world file:    ${stateFile ?? '(none: the world is lost on exit; set SIM_STATE_FILE to keep it)'}`,
    `  control:       ${url}/__sim/state  ${url}/__sim/routes`,
    '',
  ].join('\n'));

  const streamMs = int('SIM_STREAM_MS', 0)!;
  const stream = streamMs > 0 ? startWorldStream(sim, { intervalMs: streamMs }) : undefined;

  const stop = async (signal: string) => {
    process.stdout.write(`\n${signal}: stopping simulator\n`);
    stream?.stop();
    await sim.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
