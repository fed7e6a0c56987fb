import type { Db } from '../../../db/connection';
import {
  cancelHandover, confirmHandover, getPlan, listAudit, listPlans, listUnassigned, planHandover, setTakeovers, syncUnassigned, unassignedOf, type PlanInput,
} from '../../../handover';
import type { Clock } from '../../../lib/clock';
import { AppError, notFound } from '../../../lib/errors';
import type { WeComClient } from '../../../wecom/client';
import type { Actor, ApiRouter } from '../../apiRouter';
import { presentPlan, presentPlanSummary } from '../../presenters/handover';
import {
  AuditList, AuditQuery, CreateHandover, HandoverList, HandoverListQuery, HandoverView, PlanIdParams, PlansCreated, PlanUnassigned,
  SetTakeovers, UnassignedList, UnassignedQuery,
} from './schema';

export interface HandoverRouteDeps {
  db: Db;
  corpId: string;
  /** The time the service decides by (the simulator's in demo mode). */
  clock: Clock;
  client: WeComClient;
  customerCap: number;
  /** Wakes the sender after a confirm. */
  onConfirmed(): void;
}

/** Only managers and admins may create, confirm or cancel handovers. */
function mayManage(actor: Actor): string {
  if (actor.role !== 'admin' && actor.role !== 'manager') throw new AppError('forbidden', 'only managers and admins may manage handovers');
  return actor.id;
}

export function handoverRoutes(api: ApiRouter, d: HandoverRouteDeps): void {
  const view = async (id: number) => {
    const v = await getPlan(d.db, d.corpId, id);
    if (!v) throw notFound(`handover ${id}`);
    return presentPlan(v);
  };
  const draft = (actor: string, input: PlanInput) =>
    d.db.transaction((tx) => planHandover(tx, input, { corpId: d.corpId, actor, now: d.clock.now(), customerCap: d.customerCap }));

  api.route({
    method: 'post', path: '/api/handovers', status: 201, tags: ['handover'],
    summary: 'Draft a handover; answers the preflight of every item (skipped items carry their reason)',
    body: CreateHandover, response: HandoverView,
    async handler({ body, actor }) {
      const who = mayManage(actor);
      const id = await draft(who, {
        fromUserId: body.from, takeoverUserIds: body.takeovers, rule: body.rule, customers: body.customers, groups: body.groups,
        transferMessage: body.transferMessage, notifyUserIds: body.notifyUserIds,
      });
      return view(id);
    },
  });

  api.route({
    method: 'put', path: '/api/handovers/:id/takeovers', tags: ['handover'],
    summary: "Set or change a draft's takeovers: its items are planned again, each with a fresh preflight",
    params: PlanIdParams, body: SetTakeovers, response: HandoverView,
    async handler({ params, body, actor }) {
      const who = mayManage(actor);
      await d.db.transaction((tx) => setTakeovers(tx, params.id, { takeoverUserIds: body.takeovers, rule: body.rule }, {
        corpId: d.corpId, actor: who, now: d.clock.now(), customerCap: d.customerCap,
      }));
      return view(params.id);
    },
  });

  api.route({
    method: 'post', path: '/api/handovers/:id/confirm', tags: ['handover'], summary: 'Confirm a draft: its items are sent to WeCom (409 takeover_required without a takeover, nothing_to_transfer when no item passed the preflight)',
    params: PlanIdParams, response: HandoverView,
    async handler({ params, actor }) {
      const who = mayManage(actor);
      await d.db.transaction((tx) => confirmHandover(tx, d.corpId, params.id, who, d.clock.now()));
      d.onConfirmed();
      return view(params.id);
    },
  });

  api.route({
    method: 'post', path: '/api/handovers/:id/cancel', tags: ['handover'],
    summary: 'Cancel: unsent items are cancelled; items WeCom already accepted are still tracked to the end',
    params: PlanIdParams, response: HandoverView,
    async handler({ params, actor }) {
      const who = mayManage(actor);
      await d.db.transaction((tx) => cancelHandover(tx, d.corpId, params.id, who, d.clock.now()));
      return view(params.id);
    },
  });

  api.route({
    method: 'get', path: '/api/handovers', tags: ['handover'], summary: 'Handovers, newest first', query: HandoverListQuery, response: HandoverList,
    async handler({ query }) {
      const rows = await listPlans(d.db, d.corpId, query);
      return { items: rows.map((r) => presentPlanSummary(r.plan, r.counts)), nextBefore: rows.length === query.limit ? rows.at(-1)!.plan.id : null };
    },
  });

  api.route({
    method: 'get', path: '/api/handovers/:id', tags: ['handover'], summary: 'One handover with every item and its state',
    params: PlanIdParams, response: HandoverView,
    handler: ({ params }) => view(params.id),
  });

  api.route({
    method: 'get', path: '/api/unassigned', tags: ['handover'],
    summary: "Departed reps' customers not yet reassigned (refresh=true reads WeCom's get_unassigned_list first)",
    query: UnassignedQuery, response: UnassignedList,
    async handler({ query }) {
      if (query.refresh === 'true') await syncUnassigned(d.db, d.client, d.corpId);
      return { items: await listUnassigned(d.db, d.corpId) };
    },
  });

  api.route({
    method: 'post', path: '/api/unassigned/handovers', status: 201, tags: ['handover'],
    summary: 'Draft one resigned handover per departed rep for all their unassigned customers',
    body: PlanUnassigned, response: PlansCreated,
    async handler({ body, actor }) {
      const who = mayManage(actor);
      await syncUnassigned(d.db, d.client, d.corpId);
      const reps = (await listUnassigned(d.db, d.corpId)).filter((r) => r.customers > r.inOpenHandover);
      const planIds: number[] = [];
      for (const rep of reps) {
        const ids = await unassignedOf(d.db, d.corpId, rep.userId);
        planIds.push(await draft(who, {
          fromUserId: rep.userId, takeoverUserIds: body.takeovers, rule: body.rule,
          customers: { mode: 'list', externalUserIds: ids }, groups: body.includeGroups ? { mode: 'all' } : { mode: 'none' },
        }));
      }
      return { planIds };
    },
  });

  api.route({
    method: 'get', path: '/api/audit', tags: ['handover'], summary: 'The handover audit log, newest first', query: AuditQuery, response: AuditList,
    async handler({ query }) {
      const rows = await listAudit(d.db, d.corpId, query);
      return {
        items: rows.map((r) => ({ id: r.id, planId: r.planId, actor: r.actor, action: r.action, detail: r.detail, at: r.at.toISOString() })),
        nextBefore: rows.length === query.limit ? rows.at(-1)!.id : null,
      };
    },
  });
}
