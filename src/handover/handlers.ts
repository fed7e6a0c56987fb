import { and, eq, gte, or, sql } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../db/connection';
import type { HandlerRegistry } from '../events';
import type { Config } from '../lib/config';
import { departedWithWork, employeeStates, leadersOf } from '../ledger';
import { appTexts, enqueueAppMessage } from '../notify';
import type { WeComEvent } from '../wecom/callback/events';
import { confirmHandover } from './confirmHandover';
import { planHandover } from './planHandover';
import { finishIfDone } from './sendHandover';
import { handoverItems, handoverPlans } from './schema';

export type HandoverSettings = Pick<Config, 'HANDOVER_DEFAULT_TAKEOVER' | 'HANDOVER_AUTO_CONFIRM' | 'HANDOVER_CUSTOMER_CAP' | 'LOCALE'>;

/**
 * transfer_fail is evidence, not the driver: it names only the takeover and
 * the customer (not the kind of transfer nor the source), so it settles the
 * one waiting item that matches; the result poller settles everything else.
 */
async function applyTransferFail(tx: Executor, e: WeComEvent, corpId: string, s: HandoverSettings): Promise<void> {
  if (e.kind !== 'external_contact') return;
  const refused = e.failReason !== 'customer_limit_exceed';
  const rows = await tx
    .update(handoverItems)
    .set({
      status: refused ? 'refused' : 'takeover_limit',
      reason: refused ? 'the customer refused the transfer' : "the takeover reached WeCom's customer cap",
      finalAt: new Date(),
    })
    .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.type, 'customer'), eq(handoverItems.status, 'waiting'),
      eq(handoverItems.toUserId, e.userId), eq(handoverItems.targetId, e.externalUserId)))
    .returning({ planId: handoverItems.planId });
  for (const r of rows) await finishIfDone(tx, corpId, r.planId, new Date(), s.LOCALE);
}

/**
 * A rep left: draft a resigned handover of all their customers and groups to
 * the configured default takeover (their department leader, or a named
 * successor), and ask the manager to confirm — or confirm it at once when
 * HANDOVER_AUTO_CONFIRM is set. Once per rep: not again after an automatic
 * draft (even a cancelled one) or a plan someone made since the rep left.
 * Serialised per rep, so the callback path and the poller's sweep never both draft.
 */
export async function draftOnDeparture(tx: Executor, corpId: string, from: string, s: HandoverSettings, sourceKey: string): Promise<number | undefined> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`handover-draft:${corpId}:${from}`}))`);
  const departedAt = (await employeeStates(tx, corpId, [from])).get(from)?.departedAt ?? new Date(0);
  const [existing] = await tx.select({ id: handoverPlans.id }).from(handoverPlans)
    .where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.fromUserId, from),
      or(eq(handoverPlans.automatic, true), gte(handoverPlans.createdAt, departedAt))))
    .limit(1);
  if (existing) return undefined;
  const leaders = await leadersOf(tx, corpId, from);
  const takeover = s.HANDOVER_DEFAULT_TAKEOVER === 'leader' ? leaders[0] : s.HANDOVER_DEFAULT_TAKEOVER;
  if (!takeover) return undefined; // nobody to default to: the unassigned pool shows them
  const now = new Date();
  const planId = await planHandover(
    tx,
    { fromUserId: from, takeoverUserIds: [takeover], rule: 'one', customers: { mode: 'all' }, groups: { mode: 'all' }, notifyUserIds: leaders },
    { corpId, actor: 'system', now, customerCap: s.HANDOVER_CUSTOMER_CAP, automatic: true },
  );
  const name = (await employeeStates(tx, corpId, [from])).get(from)?.name || from;
  if (s.HANDOVER_AUTO_CONFIRM) {
    await confirmHandover(tx, corpId, planId, 'system', now);
    return planId;
  }
  const items = rowsOf<{ type: 'customer' | 'group'; status: string; n: number }>(await tx.execute(sql`
    select type, status, count(*)::int as n from handover_items where corp_id = ${corpId} and plan_id = ${planId} group by type, status`));
  const count = (type: string, status: string) => items.filter((r) => r.type === type && r.status === status).reduce((n, r) => n + r.n, 0);
  const takeoverName = (await employeeStates(tx, corpId, [takeover])).get(takeover)?.name || takeover;
  await enqueueAppMessage(tx, corpId, {
    toUserIds: leaders.length ? leaders : [takeover], purpose: 'handover_confirm', sourceKey: `handover:${planId}:draft:${sourceKey}`,
    content: appTexts(s.LOCALE).handoverDraft({
      leaver: name, takeover: takeoverName, planId, customers: count('customer', 'planned'), groups: count('group', 'planned'),
      skipped: count('customer', 'skipped') + count('group', 'skipped'),
    }),
  });
  return planId;
}

/**
 * Departures the ledger learned of without a delete_user callback (a full
 * sync, the unassigned list) get their draft here, from the poller's round.
 */
export async function draftMissedDepartures(db: Db, corpId: string, s: HandoverSettings): Promise<number[]> {
  const drafted: number[] = [];
  for (const rep of await departedWithWork(db, corpId)) {
    const id = await db.transaction((tx) => draftOnDeparture(tx, corpId, rep.userId, s, `sweep:${rep.departedAt.getTime()}`));
    if (id !== undefined) drafted.push(id);
  }
  return drafted;
}

export function registerHandoverHandlers(registry: HandlerRegistry, settings: HandoverSettings): void {
  registry.on('change_external_contact:transfer_fail', {
    apply: (tx, e, _p, ctx) => applyTransferFail(tx, e, ctx.corpId, settings),
  });
  registry.on('change_contact:delete_user', {
    apply: async (tx, e, _p, ctx) => {
      if (e.kind === 'contact' && e.userId) await draftOnDeparture(tx, ctx.corpId, e.userId, settings, `event:${ctx.eventId}`);
    },
  });
}
