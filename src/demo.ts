import type { Logger } from './lib/logger';
import type { Service } from './service';
import {
  createSimulator, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET, DEMO_CORP_ID,
  DEMO_SEED, startWorldStream, type Simulator,
} from './wecom/simulator';
import type { DemoCredentials } from './lib/config';

/** The demo world: about 30 reps, 3,000 customers, 60 groups, 20 tags. */
const DEMO_COUNTS = { employees: 30, departments: 5, customers: 3000, groups: 60, tagGroups: 4, tags: 20 };

export const demoCredentials: DemoCredentials = {
  corpId: DEMO_CORP_ID,
  callbackToken: DEMO_CALLBACK_TOKEN,
  callbackAesKey: DEMO_CALLBACK_AES_KEY,
  contactSecret: DEMO_CONTACT_SECRET,
  agentSecret: DEMO_AGENT_SECRET,
  agentId: DEMO_AGENT_ID,
};

export interface Demo {
  sim: Simulator;
  url: string;
  /** Points the simulator's callbacks at the service, syncs, starts the world's event stream. */
  attach(service: Service): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the built-in WeCom simulator that demo mode talks to (before the service, which needs its URL). */
export async function startDemoSimulator(log: Logger): Promise<Demo> {
  const sim = createSimulator({
    corpId: DEMO_CORP_ID,
    agentId: DEMO_AGENT_ID,
    secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET },
    // The service checks callback timestamps against the wall clock.
    callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY, realTimestamps: true },
    seed: DEMO_SEED,
    counts: DEMO_COUNTS,
    logger: log,
  });
  const { url } = await sim.listen(0);
  let stream: { stop(): void } | undefined;
  return {
    sim,
    url,
    async attach(service) {
      sim.setCallbackUrl(`${service.url}/wecom/callback`);
      await service.requestSync('demo');
      // A gentle stream of world events keeps the demo alive: adds, deletions, group joins, tag edits.
      stream = startWorldStream(sim, { intervalMs: 4000 });
    },
    async stop() {
      stream?.stop();
      await sim.close();
    },
  };
}
