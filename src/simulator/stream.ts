import { streamSeed } from './persistence';
import { Rng } from './random';
import type { Simulator } from './simulator';

export interface WorldStreamOptions {
  /** Pause between events (default 3000 ms). */
  intervalMs?: number;
  /** A seed, a [0,1) source, or an Rng (default: a fixed seed, mixed with the simulator's restore generation). */
  rng?: number | (() => number) | Rng;
  /** Called with each action's name and result, or its error (actions can race with API writes). */
  onEvent?: (name: string, result: unknown, err?: unknown) => void;
}

export interface WorldStream {
  stop(): void;
  /** Events performed so far. */
  readonly count: number;
}

type Step = [weight: number, name: string, run: (sim: Simulator, rng: Rng) => unknown];

const pickRelation = (sim: Simulator, rng: Rng) => {
  const reps = sim.world.followUsers().filter((e) => sim.world.relationsOf(e.userid).length > 0);
  if (!reps.length) return undefined;
  const rep = rng.pick(reps);
  return rng.pick(sim.world.relationsOf(rep.userid));
};

const liveGroups = (sim: Simulator) => [...sim.world.groups.values()].filter((g) => !g.dismissed && g.status === 0);

/** The mix of a quiet working day: mostly new customers, some group churn, rare deletions and tag edits. */
const STEPS: Step[] = [
  [40, 'customerAddsRep', (sim, rng) => {
    const reps = sim.world.followUsers();
    if (!reps.length) return undefined;
    const state = rng.chance(0.3) ? rng.pick(['expo2024_booth3', 'wx_ads_spring', 'store_sh01', 'live_0618']) : undefined;
    return sim.customerAddsRep({ userid: rng.pick(reps).userid, ...(state ? { state } : {}) });
  }],
  [8, 'repDeletesCustomer', (sim, rng) => {
    const r = pickRelation(sim, rng);
    return r && sim.repDeletesCustomer({ userid: r.userid, externalUserId: r.external_userid });
  }],
  [5, 'customerDeletesRep', (sim, rng) => {
    const r = pickRelation(sim, rng);
    return r && sim.customerDeletesRep({ userid: r.userid, externalUserId: r.external_userid });
  }],
  [12, 'repEditsCustomer', (sim, rng) => {
    const r = pickRelation(sim, rng);
    if (!r) return undefined;
    const tags = sim.world.liveTagGroups().flatMap((g) => g.tags.filter((t) => !t.deleted));
    return sim.repEditsCustomer({
      userid: r.userid, externalUserId: r.external_userid,
      ...(tags.length && rng.chance(0.7) ? { addTags: [rng.pick(tags).id] } : { remark: `回访${rng.int(1, 99)}` }),
    });
  }],
  [18, 'groupMembersAdded', (sim, rng) => {
    const groups = liveGroups(sim);
    if (!groups.length) return undefined;
    const g = rng.pick(groups);
    const own = sim.world.relationsOf(g.owner).map((r) => r.external_userid).filter((id) => !g.members.some((m) => m.userid === id));
    const id = own.length && rng.chance(0.7) ? rng.pick(own) : `wm${rng.chars(30)}`;
    return sim.groupMembersAdded({ chatId: g.chat_id, memberIds: [id], joinScene: rng.chance(0.3) ? 3 : 0 });
  }],
  [10, 'groupMembersRemoved', (sim, rng) => {
    const groups = liveGroups(sim).filter((g) => g.members.some((m) => m.type === 2));
    if (!groups.length) return undefined;
    const g = rng.pick(groups);
    const m = rng.pick(g.members.filter((x) => x.type === 2));
    return sim.groupMembersRemoved({ chatId: g.chat_id, memberIds: [m.userid], quitScene: rng.chance(0.2) ? 1 : 0 });
  }],
  [3, 'groupRenamed', (sim, rng) => {
    const groups = liveGroups(sim);
    if (!groups.length) return undefined;
    const g = rng.pick(groups);
    return sim.groupRenamed({ chatId: g.chat_id, name: `${g.name.replace(/·\d+$/, '')}·${rng.int(2, 9)}` });
  }],
  [2, 'groupCreated', (sim, rng) => {
    const reps = sim.world.followUsers();
    if (!reps.length) return undefined;
    const owner = rng.pick(reps);
    const members = rng.sample(sim.world.relationsOf(owner.userid), rng.int(1, 5)).map((r) => r.external_userid);
    return sim.groupCreated({ owner: owner.userid, memberIds: members, name: `新客户群${rng.int(100, 999)}` });
  }],
  [2, 'tagUpdated', (sim, rng) => {
    const tags = sim.world.liveTagGroups().flatMap((g) => g.tags.filter((t) => !t.deleted));
    if (!tags.length) return undefined;
    const t = rng.pick(tags);
    return sim.tagUpdated({ id: t.id, order: rng.int(0, 1000) });
  }],
];

/**
 * Keeps a gentle stream of realistic world events going for the live demo.
 * Each tick performs one weighted-random action; stop() ends it.
 */
export function startWorldStream(sim: Simulator, opts: WorldStreamOptions = {}): WorldStream {
  // After a restore the default stream differs, so it does not replay the ids (`wm…` members) it drew before the restart.
  const rng = opts.rng instanceof Rng ? opts.rng : new Rng(opts.rng ?? streamSeed(7, 0, sim.generation));
  const total = STEPS.reduce((n, [w]) => n + w, 0);
  let count = 0;
  const tick = () => {
    let x = rng.next() * total;
    const step = STEPS.find(([w]) => (x -= w) < 0) ?? STEPS[0]!;
    const [, name, run] = step;
    try {
      const result = run(sim, rng);
      if (result !== undefined) count += 1;
      opts.onEvent?.(name, result);
    } catch (err) {
      opts.onEvent?.(name, undefined, err);
    }
  };
  const timer = setInterval(tick, opts.intervalMs ?? 3000);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get count() {
      return count;
    },
  };
}
