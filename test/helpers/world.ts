import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../src/db/connection';
import { rowsOf } from '../../src/db/connection';
import { syncJobs } from '../../src/ledger';
import { createLogger } from '../../src/lib/logger';
import type { Service } from '../../src/service';
import { createSimulator, type SeedCounts, type Simulator, type SimulatorOptions } from '../../src/simulator';
import { eventually, freshCorpId, startTestService, testConfig } from './service';

export const SMALL_WORLD: Partial<SeedCounts> = { employees: 12, departments: 4, customers: 240, groups: 8, tagGroups: 3, tags: 9 };

export interface TestWorld {
  sim: Simulator;
  config: ReturnType<typeof testConfig>;
  service: Service;
  corpId: string;
  close(): Promise<void>;
}

/**
 * A simulator seeded with a small world and a Lifelong service pointed at
 * it (API base and callback URL), sharing the test's database.
 */
export async function startWorld(
  database: Database,
  opts: { counts?: Partial<SeedCounts>; seed?: number; sim?: Partial<SimulatorOptions>; env?: Record<string, string> } = {},
): Promise<TestWorld> {
  const corpId = freshCorpId();
  const token = `tok${randomBytes(4).toString('hex')}`;
  const aesKey = randomBytes(32).toString('base64').slice(0, 43).replace(/[+/]/g, 'b');
  const sim = createSimulator({
    corpId,
    callback: { token, aesKey, timeoutMs: 3000, retrySpacingMs: 50 },
    secrets: { contact: 'sim-contact-secret', agent: 'sim-agent-secret' },
    agentId: 1000002,
    seed: opts.seed ?? 7,
    counts: { ...SMALL_WORLD, ...opts.counts },
    logger: createLogger('silent'),
    ...opts.sim,
  });
  const { url: simUrl } = await sim.listen(0);
  const config = testConfig({
    WECOM_CORP_ID: corpId, WECOM_CALLBACK_TOKEN: token, WECOM_CALLBACK_AES_KEY: aesKey, WECOM_API_BASE: simUrl,
    // The simulator plays WeCom's sign-in hosts too.
    WECOM_LOGIN_BASE: simUrl, WECOM_OAUTH_BASE: simUrl,
    WECOM_CONTACT_SECRET: 'sim-contact-secret', WECOM_AGENT_SECRET: 'sim-agent-secret', WECOM_AGENT_ID: '1000002',
    SYNC_CRON: '', ...opts.env,
  });
  const service = await startTestService(database, config, {
    wecom: { retry: { attempts: 5, baseMs: 5, capMs: 40, rateLimitWaitMs: 50, rateLimitRetries: 2 }, timeoutMs: 3000 },
  });
  sim.setCallbackUrl(`${service.url}/wecom/callback`);
  return {
    sim, service, corpId, config,
    async close() {
      await service.stop();
      await sim.close();
    },
  };
}

/** Queues a full sync and waits until it is done (fails the test if it fails). */
export async function syncNow(w: TestWorld, timeoutMs = 30_000): Promise<number> {
  const { jobId } = await w.service.requestSync('test');
  await eventually(async () => {
    const [j] = await w.service.database.db.select().from(syncJobs).where(and(eq(syncJobs.corpId, w.corpId), eq(syncJobs.id, jobId)));
    if (j?.status === 'dead') throw new Error(`sync failed: ${j.lastError}`);
    return j?.status === 'done';
  }, timeoutMs);
  return jobId;
}

/** Waits until the simulator delivered every callback and the service processed every event. */
export async function settle(w: TestWorld): Promise<void> {
  await w.sim.flushCallbacks();
  await eventually(async () => {
    const res = await w.service.database.db.execute(sql`select count(*)::int as n from inbound_events where corp_id = ${w.corpId} and status = 'pending'`);
    return rowsOf<{ n: number }>(res)[0]!.n === 0;
  });
  // Let queued app messages go out too.
  await eventually(async () => {
    const res = await w.service.database.db.execute(sql`select count(*)::int as n from app_messages where corp_id = ${w.corpId} and status = 'pending'`);
    return rowsOf<{ n: number }>(res)[0]!.n === 0;
  });
}

const norm = (v: string | null | undefined) => (v ? v : '');
/** Code-unit order: the same in JS and whatever the database's collation. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The simulator's truth and the ledger in one comparable shape. */
export function truthView(sim: Simulator) {
  const t = sim.truth();
  const active = new Set(t.employees.filter((e) => e.customerContact && e.leftAt === undefined).map((e) => e.userid));
  return {
    relations: t.relations
      .filter((r) => active.has(r.userid))
      .map((r) => ({
        userId: r.userid, externalUserId: r.external_userid, remark: norm(r.remark), description: norm(r.description),
        state: norm(r.state), addWay: r.add_way, operUserId: norm(r.oper_userid), addedAt: r.createtime, tags: [...r.tag_ids].sort(),
      }))
      .sort(byPair),
    contacts: t.customers
      .filter((c) => t.relations.some((r) => r.external_userid === c.external_userid && active.has(r.userid)))
      .map((c) => ({ externalUserId: c.external_userid, name: c.name, type: c.type }))
      .sort((a, b) => cmp(a.externalUserId, b.externalUserId)),
    members: t.groups
      .filter((g) => !g.dismissed)
      .flatMap((g) => g.members.map((m) => ({ chatId: g.chat_id, memberId: m.userid, type: m.type, joinScene: m.join_scene })))
      .sort((a, b) => cmp(`${a.chatId}/${a.memberId}`, `${b.chatId}/${b.memberId}`)),
    groups: t.groups
      .filter((g) => !g.dismissed)
      .map((g) => ({ chatId: g.chat_id, name: g.name, owner: g.owner }))
      .sort((a, b) => cmp(a.chatId, b.chatId)),
    tags: t.tagGroups.flatMap((g) => g.tags.map((tag) => ({ tagId: tag.id, groupId: g.group_id, name: tag.name }))).sort((a, b) => cmp(a.tagId, b.tagId)),
  };
}

const byPair = (a: { userId: string; externalUserId: string }, b: { userId: string; externalUserId: string }) =>
  cmp(`${a.userId}/${a.externalUserId}`, `${b.userId}/${b.externalUserId}`);

export async function ledgerView(database: Database, corpId: string) {
  const q = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));
  const relations = await q<any>(sql`
    select r.user_id, r.external_user_id, r.remark, r.description, r.state, r.add_way, r.oper_user_id,
           extract(epoch from r.added_at)::bigint as added_at,
           coalesce((select array_agg(t.tag_id order by t.tag_id) from relation_tags t where t.corp_id = r.corp_id and t.relation_id = r.id), '{}') as tags
    from relations r where r.corp_id = ${corpId} and r.status = 'active'`);
  const contacts = await q<any>(sql`
    select c.external_user_id, c.name, c.type from external_contacts c where c.corp_id = ${corpId}
      and exists (select 1 from relations r where r.corp_id = c.corp_id and r.external_user_id = c.external_user_id and r.status = 'active')`);
  const members = await q<any>(sql`
    select m.chat_id, m.member_id, m.type, m.join_scene from group_members m
    join customer_groups g on g.corp_id = m.corp_id and g.chat_id = m.chat_id
    where m.corp_id = ${corpId} and m.status = 'active' and g.status <> 'dismissed'`);
  const groups = await q<any>(sql`select chat_id, name, owner_user_id from customer_groups where corp_id = ${corpId} and status <> 'dismissed'`);
  const tags = await q<any>(sql`select tag_id, group_id, name from tags where corp_id = ${corpId} and deleted_at is null`);
  return {
    relations: relations
      .map((r) => ({
        userId: r.user_id, externalUserId: r.external_user_id, remark: norm(r.remark), description: norm(r.description),
        state: norm(r.state), addWay: r.add_way, operUserId: norm(r.oper_user_id), addedAt: Number(r.added_at), tags: [...r.tags].sort(),
      }))
      .sort(byPair),
    contacts: contacts.map((c) => ({ externalUserId: c.external_user_id, name: c.name, type: c.type })).sort((a, b) => cmp(a.externalUserId, b.externalUserId)),
    members: members
      .map((m) => ({ chatId: m.chat_id, memberId: m.member_id, type: m.type, joinScene: m.join_scene }))
      .sort((a, b) => cmp(`${a.chatId}/${a.memberId}`, `${b.chatId}/${b.memberId}`)),
    groups: groups.map((g) => ({ chatId: g.chat_id, name: g.name, owner: g.owner_user_id })).sort((a, b) => cmp(a.chatId, b.chatId)),
    tags: tags.map((t) => ({ tagId: t.tag_id, groupId: t.group_id, name: t.name })).sort((a, b) => cmp(a.tagId, b.tagId)),
  };
}
