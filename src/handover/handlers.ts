import { and, eq, gte, or, sql } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../db/connection';
import { corpScope } from '../db/scope';
import type { HandlerRegistry } from '../events';
import { systemClock, type Clock } from '../lib/clock';
import type { Config } from '../lib/config';
import { departedWithWork, employeeStates, groupsOwnedBy, leaderChain, leadersOf } from '../ledger';
import { appTexts, enqueueAppMessage, type UnassignedCause } from '../notify';
import type { WeComEvent } from '../wecom/callback/events';
import { confirmHandover } from './confirmHandover';
import { draftUnassigned, planHandover, takeoverProblem } from './planHandover';
import { finishIfDone } from './sendHandover';
import { handoverItems, handoverPlans } from './schema';

export type HandoverSettings = Pick<Config, 'HANDOVER_DEFAULT_TAKEOVER' | 'HANDOVER_AUTO_CONFIRM' | 'HANDOVER_CUSTOMER_CAP' | 'LOCALE'>;

/**
 * transfer_fail is evidence, not the driver: it names only the takeover and
 * the customer (not the kind of transfer nor the source), so it settles the
 * one waiting item that matches; the result poller settles everything else.
 */
async function applyTransferFail(tx: Executor, e: WeComEvent, corpId: string, s: HandoverSettings, now: Date): Promise<void> {
  if (e.kind !== 'external_contact') return;
  const refused = e.failReason !== 'customer_limit_exceed';
  const rows = await tx
    .update(handoverItems)
    .set({
      status: refused ? 'refused' : 'takeover_limit',
      reason: refused ? 'the customer refused the transfer' : "the takeover reached WeCom's customer cap",
      finalAt: now,
    })
    .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.type, 'customer'), eq(handoverItems.status, 'waiting'),
      eq(handoverItems.toUserId, e.userId), eq(handoverItems.targetId, e.externalUserId)))
    .returning({ planId: handoverItems.planId });
  for (const r of rows) await finishIfDone(tx, corpId, r.planId, now, s.LOCALE);
}

type TakeoverChoice =
  | { found: true; takeover: string }
  | { found: false; cause: UnassignedCause; reason: string; notify: string[] };

/**
 * The takeover of an automatic draft: the named default, or the nearest
 * department leader up the tree who can take customers — active, with
 * customer contact, not the leaver. When there is none: why, and who is to
 * choose one (every active leader up the tree: if none of them can take
 * customers, any of them may have to decide who does).
 */
async function chooseTakeover(tx: Executor, corpId: string, from: string, setting: string): Promise<TakeoverChoice> {
  const leaders = [...new Set((await leaderChain(tx, corpId, from)).flatMap((l) => l.leaderUserIds))];
  const named = setting === 'leader' ? undefined : setting;
  const states = await employeeStates(tx, corpId, named ? [...leaders, named] : leaders);
  const notify = leaders.filter((u) => u !== from && states.get(u)?.status === 'active');
  if (named) {
    const problem = takeoverProblem(from, named, states.get(named));
    if (!problem) return { found: true, takeover: named };
    return { found: false, cause: { kind: 'default_takeover_unavailable', takeover: named }, reason: `the default takeover (HANDOVER_DEFAULT_TAKEOVER) cannot take customers: ${problem}`, notify };
  }
  const problems: string[] = [];
  for (const u of leaders) {
    const problem = u === from ? `${u} is the departing rep` : takeoverProblem(from, u, states.get(u));
    if (!problem) return { found: true, takeover: u };
    problems.push(problem);
  }
  return {
    found: false,
    cause: { kind: 'no_eligible_leader' },
    reason: leaders.length ? `no department leader up the tree can take customers: ${problems.join('; ')}` : "no department of the rep has a leader who could take over",
    notify,
  };
}

/**
 * A rep left: draft a resigned handover of all their customers and groups to
 * the configured default takeover (the nearest leader up the department tree
 * who can take customers, or a named successor), and ask the manager to
 * confirm — or confirm it at once when HANDOVER_AUTO_CONFIRM is set. When
 * nobody can take over, the draft is left without a takeover, with the reason,
 * and the leaders up the tree are asked to choose one. Once per rep: not again
 * after an automatic draft (even a cancelled one) or a plan someone made since
 * the rep left; never for a rep who leaves nothing to hand over.
 * Serialised per rep, so the callback path and the poller's sweep never both draft.
 */
export async function draftOnDeparture(tx: Executor, corpId: string, from: string, s: HandoverSettings, sourceKey: string, now: Date): Promise<number | undefined> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`handover-draft:${corpId}:${from}`}))`);
  const leaver = (await employeeStates(tx, corpId, [from])).get(from);
  const departedAt = leaver?.departedAt ?? new Date(0);
  const [existing] = await tx.select({ id: handoverPlans.id }).from(handoverPlans)
    .where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.fromUserId, from),
      or(eq(handoverPlans.automatic, true), gte(handoverPlans.createdAt, departedAt))))
    .limit(1);
  if (existing) return undefined;
  const groups = (await groupsOwnedBy(tx, corpId, from, now)).filter((g) => g.status === 'active' || g.status === 'owner_departed').length;
  const customers = leaver?.customerCount ?? 0;
  if (customers === 0 && groups === 0) return undefined; // a draft of nothing could never be confirmed

  const texts = appTexts(s.LOCALE);
  const name = leaver?.name || from;
  // A departure is the corp's event: drafted for the whole corp.
  const context = { scope: corpScope(corpId), actor: 'system', now, customerCap: s.HANDOVER_CUSTOMER_CAP, automatic: true };
  const selection = { customers: { mode: 'all' }, groups: { mode: 'all' } } as const;
  const choice = await chooseTakeover(tx, corpId, from, s.HANDOVER_DEFAULT_TAKEOVER);
  if (!choice.found) {
    const planId = await draftUnassigned(tx, { fromUserId: from, ...selection, notifyUserIds: choice.notify }, context, choice.reason);
    await enqueueAppMessage(tx, corpId, {
      toUserIds: choice.notify, purpose: 'handover_unassigned', sourceKey: `handover:${planId}:unassigned:${sourceKey}`,
      content: texts.handoverUnassigned({ leaver: name, planId, customers, groups, cause: choice.cause }),
    });
    return planId;
  }

  const leaders = await leadersOf(tx, corpId, from);
  const takeover = choice.takeover;
  const planId = await planHandover(tx, { fromUserId: from, takeoverUserIds: [takeover], rule: 'one', ...selection, notifyUserIds: leaders }, context);
  const planned = rowsOf<{ type: 'customer' | 'group'; status: string; n: number }>(await tx.execute(sql`
    select type, status, count(*)::int as n from handover_items where corp_id = ${corpId} and plan_id = ${planId} group by type, status`));
  const count = (type: string, status: string) => planned.filter((r) => r.type === type && r.status === status).reduce((n, r) => n + r.n, 0);
  const ahead = { customers: count('customer', 'planned'), groups: count('group', 'planned') };
  const skipped = count('customer', 'skipped') + count('group', 'skipped');
  const takeoverName = (await employeeStates(tx, corpId, [takeover])).get(takeover)?.name || takeover;
  const managers = leaders.length ? leaders : [takeover];
  if (ahead.customers + ahead.groups === 0) {
    // Nothing passed the preflight: confirming would be refused, so a person must look.
    await enqueueAppMessage(tx, corpId, {
      toUserIds: managers, purpose: 'handover_confirm', sourceKey: `handover:${planId}:draft:${sourceKey}`,
      content: texts.handoverNothingToTransfer({ leaver: name, takeover: takeoverName, planId }),
    });
    return planId;
  }
  if (s.HANDOVER_AUTO_CONFIRM) {
    await confirmHandover(tx, context.scope, planId, 'system', now);
    return planId;
  }
  await enqueueAppMessage(tx, corpId, {
    toUserIds: managers, purpose: 'handover_confirm', sourceKey: `handover:${planId}:draft:${sourceKey}`,
    content: texts.handoverDraft({ leaver: name, takeover: takeoverName, planId, ...ahead, skipped }),
  });
  return planId;
}

/**
 * Departures the ledger learned of without a delete_user callback (a full
 * sync, the unassigned list) get their draft here, from the poller's round.
 */
export async function draftMissedDepartures(db: Db, corpId: string, s: HandoverSettings, now: Date): Promise<number[]> {
  const drafted: number[] = [];
  for (const rep of await departedWithWork(db, corpId)) {
    const id = await db.transaction((tx) => draftOnDeparture(tx, corpId, rep.userId, s, `sweep:${rep.departedAt.getTime()}`, now));
    if (id !== undefined) drafted.push(id);
  }
  return drafted;
}

/** `clock`: the time drafts and settled items are stamped with (the simulator's in demo mode). */
export function registerHandoverHandlers(registry: HandlerRegistry, settings: HandoverSettings, clock: Clock = systemClock): void {
  registry.on('change_external_contact:transfer_fail', {
    apply: (tx, e, _p, ctx) => applyTransferFail(tx, e, ctx.corpId, settings, clock.now()),
  });
  registry.on('change_contact:delete_user', {
    apply: async (tx, e, _p, ctx) => {
      if (e.kind === 'contact' && e.userId) await draftOnDeparture(tx, ctx.corpId, e.userId, settings, `event:${ctx.eventId}`, clock.now());
    },
  });
}
