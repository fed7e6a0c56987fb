import type { Db } from '../../../db/connection';
import type { Scope } from '../../../db/scope';
import type { Clock } from '../../../lib/clock';
import {
  cancelHandoverPlan, changeTakeovers, confirmHandoverPlan, draftHandover, draftUnassignedHandovers, handoverPlan, listAudit, listPlans, unassignedPool,
  type HandoverCommandContext,
} from '../../../handover';
import type { WeComClient } from '../../../wecom/client';
import { assertCan } from '../../../policy';
import type { Actor, ApiRouter } from '../../apiRouter';
import { presentAuditEntry, presentPlan, presentPlanSummary } from '../../presenters/handover';
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

/**
 * Handovers, the unassigned pool and the audit log. Scope: a plan is visible when its source rep is in the
 * caller's scope (else 404), lists and the pool only hold those reps, the audit only their plans' entries;
 * drafting, changing takeovers and confirming need 'handover.plan' and every takeover in the scope too
 * (an outside employee answers 404). Reps read only.
 */
export function handoverRoutes(api: ApiRouter, d: HandoverRouteDeps): void {
  /** The command context of a request by this actor in their scope (refused unless they may plan handovers). */
  const acting = (actor: Actor, scope: Scope): HandoverCommandContext =>
    ({ scope, actor: assertCan(actor, 'handover.plan'), customerCap: d.customerCap, clock: d.clock });

  api.route({
    method: 'post', path: '/api/handovers', status: 201, tags: ['handover'],
    summary: 'Draft a handover; answers the preflight of every item (skipped items carry their reason)',
    body: CreateHandover, response: HandoverView,
    async handler({ body, actor, scope }) {
      return presentPlan(await draftHandover(d.db, acting(actor, scope), {
        fromUserId: body.from, takeoverUserIds: body.takeovers, rule: body.rule, customers: body.customers, groups: body.groups,
        transferMessage: body.transferMessage, notifyUserIds: body.notifyUserIds,
      }));
    },
  });

  api.route({
    method: 'put', path: '/api/handovers/:id/takeovers', tags: ['handover'],
    summary: "Set or change a draft's takeovers: its items are planned again, each with a fresh preflight",
    params: PlanIdParams, body: SetTakeovers, response: HandoverView,
    async handler({ params, body, actor, scope }) {
      return presentPlan(await changeTakeovers(d.db, acting(actor, scope), params.id, { takeoverUserIds: body.takeovers, rule: body.rule }));
    },
  });

  api.route({
    method: 'post', path: '/api/handovers/:id/confirm', tags: ['handover'], summary: 'Confirm a draft: its items are sent to WeCom (409 takeover_required without a takeover, nothing_to_transfer when no item passed the preflight)',
    params: PlanIdParams, response: HandoverView,
    async handler({ params, actor, scope }) {
      return presentPlan(await confirmHandoverPlan(d.db, acting(actor, scope), params.id, () => d.onConfirmed()));
    },
  });

  api.route({
    method: 'post', path: '/api/handovers/:id/cancel', tags: ['handover'],
    summary: 'Cancel: unsent items are cancelled; items WeCom already accepted are still tracked to the end',
    params: PlanIdParams, response: HandoverView,
    async handler({ params, actor, scope }) {
      return presentPlan(await cancelHandoverPlan(d.db, acting(actor, scope), params.id));
    },
  });

  api.route({
    method: 'get', path: '/api/handovers', tags: ['handover'], summary: 'Handovers, newest first', query: HandoverListQuery, response: HandoverList,
    async handler({ query, scope }) {
      const rows = await listPlans(d.db, scope, query);
      return { items: rows.map((r) => presentPlanSummary(r.plan, r.counts)), nextBefore: rows.length === query.limit ? rows.at(-1)!.plan.id : null };
    },
  });

  api.route({
    method: 'get', path: '/api/handovers/:id', tags: ['handover'], summary: 'One handover with every item and its state',
    params: PlanIdParams, response: HandoverView,
    handler: async ({ params, scope }) => presentPlan(await handoverPlan(d.db, scope, params.id)),
  });

  api.route({
    method: 'get', path: '/api/unassigned', tags: ['handover'],
    summary: "Departed reps' customers not yet reassigned (refresh=true reads WeCom's get_unassigned_list first)",
    query: UnassignedQuery, response: UnassignedList,
    async handler({ query, actor, scope }) {
      const refresh = query.refresh === 'true';
      // Refreshing rewrites the corp's copy of WeCom's list (and marks relations awaiting handover): planners only.
      if (refresh) assertCan(actor, 'handover.plan');
      return { items: await unassignedPool(d.db, d.client, scope, { refresh, now: d.clock.now() }) };
    },
  });

  api.route({
    method: 'post', path: '/api/unassigned/handovers', status: 201, tags: ['handover'],
    summary: 'Draft one resigned handover per departed rep for all their unassigned customers',
    body: PlanUnassigned, response: PlansCreated,
    async handler({ body, actor, scope }) {
      const planIds = await draftUnassignedHandovers(d.db, d.client, acting(actor, scope), {
        takeoverUserIds: body.takeovers, rule: body.rule, includeGroups: body.includeGroups,
      });
      return { planIds };
    },
  });

  api.route({
    method: 'get', path: '/api/audit', tags: ['handover'], summary: 'The handover audit log, newest first', query: AuditQuery, response: AuditList,
    async handler({ query, scope }) {
      const rows = await listAudit(d.db, scope, query);
      return {
        items: rows.map(presentAuditEntry),
        nextBefore: rows.length === query.limit ? rows.at(-1)!.id : null,
      };
    },
  });
}
