import {
  recencyDays,
  createAutoTagRule, deleteAutoTagRule, getScore, getStageRules, listAutoTagRules, listWarnings, recomputeArchive, resolveWarning, setStageRules, stageFunnel,
  stageOf, type AutoTagRule, type WarningKind,
} from '../../../archive';
import type { Db } from '../../../db/connection';
import type { Clock } from '../../../lib/clock';
import type { Config } from '../../../lib/config';
import { notFound } from '../../../lib/errors';
import type { WeComClient } from '../../../wecom/client';
import { assertCan, can } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import {
  AutoTagRuleList, AutoTagRuleView, CreateAutoTagRule, CustomerParams, Deleted, Funnel, RecomputeView, RuleIdParams, ScoreView, StageRules,
  ResolveWarningBody, ResolvedWarning, WarningList, WarningParams, WarningQuery,
} from './valueSchema';

export interface ArchiveValueRoutesDeps {
  db: Db;
  corpId: string;
  /** The time the service decides by (the simulator's in demo mode). */
  clock: Clock;
  client: WeComClient;
  config: Config;
}


const presentRule = (r: AutoTagRule) => ({
  id: r.id, name: r.name, rule: r.rule, tagId: r.tagId, action: r.action, enabled: r.enabled, createdAt: r.createdAt.toISOString(),
});

/** RFM scores, stages, warnings, auto-tag rules. */
export function archiveValueRoutes(api: ApiRouter, d: ArchiveValueRoutesDeps): void {
  api.route({
    method: 'post', path: '/api/scores/recompute', tags: ['archive'],
    summary: 'Recompute scores, stages, warnings and auto-tags now (409 while another run holds the lock); answers the summary with timings',
    response: RecomputeView,
    async handler({ actor, scope }) {
      assertCan(actor, 'settings.edit');
      return recomputeArchive(d.db, scope, d.clock.now());
    },
  });

  api.route({
    method: 'get', path: '/api/scores/:externalUserId', tags: ['archive'], summary: "A customer's RFM scores, value tier and lifecycle stage",
    params: CustomerParams, response: ScoreView,
    async handler({ params, scope }) {
      const s = await getScore(d.db, scope, params.externalUserId);
      if (!s) throw notFound(`scores of ${params.externalUserId}`);
      const st = await stageOf(d.db, scope, params.externalUserId);
      return {
        externalUserId: s.externalUserId, recencyDays: recencyDays(s, d.clock.now()), lastOrderAt: s.lastOrderAt?.toISOString() ?? null, frequency: s.frequency, monetary: s.monetary, r: s.r, f: s.f, m: s.m,
        tier: s.tier, changedAt: s.changedAt.toISOString(), stage: st?.stage ?? null, stageSince: st?.since.toISOString() ?? null,
      };
    },
  });

  api.route({
    method: 'get', path: '/api/stages/funnel', tags: ['archive'], summary: 'Customers per lifecycle stage', response: Funnel,
    handler: async ({ scope }) => ({ stages: await stageFunnel(d.db, scope) }),
  });

  api.route({
    method: 'get', path: '/api/stages/rules', tags: ['archive'], summary: 'The stage rules in force (defaults until set)', response: StageRules,
    handler: ({ scope }) => getStageRules(d.db, scope),
  });

  api.route({
    method: 'put', path: '/api/stages/rules', tags: ['archive'], summary: 'Replace the stage rules (applied from the next recompute)',
    body: StageRules, response: StageRules,
    async handler({ body, actor, scope }) {
      assertCan(actor, 'settings.edit');
      return setStageRules(d.db, scope, body);
    },
  });

  api.route({
    method: 'get', path: '/api/warnings', tags: ['archive'],
    summary: 'Unresolved churn warnings, newest first (tier=key: at-risk key accounts); reps see only their own',
    query: WarningQuery, response: WarningList,
    async handler({ query, actor, scope }) {
      const items = await listWarnings(d.db, scope, {
        kind: query.kind as WarningKind | undefined, tier: query.tier, limit: query.limit, before: query.before,
        userId: can(actor, 'archive.allWarnings') ? undefined : (actor.userId ?? actor.id),
      });
      return {
        items: items.map((w) => ({
          id: w.id, externalUserId: w.externalUserId, name: w.name, userId: w.userId, kind: w.kind, tier: w.tier, stage: w.stage,
          detail: w.detail, createdAt: w.createdAt.toISOString(), digestSentAt: w.digestSentAt?.toISOString() ?? null,
        })),
        nextBefore: items.length === query.limit ? items.at(-1)!.id : null,
      };
    },
  });

  api.route({
    method: 'post', path: '/api/warnings/:id/resolve', tags: ['archive'],
    summary: 'Mark a churn warning handled (reps: only their own); resolving again keeps the first resolution',
    params: WarningParams, body: ResolveWarningBody, response: ResolvedWarning,
    async handler({ params, body, actor, scope }) {
      const done = await resolveWarning(d.db, scope, params.id, {
        by: actor.id, resolution: body.resolution ?? null, now: d.clock.now(), onlyUserId: can(actor, 'archive.allWarnings') ? undefined : (actor.userId ?? actor.id),
      });
      if (!done) throw notFound(`warning ${params.id}`);
      return { ...done, resolvedAt: done.resolvedAt.toISOString() };
    },
  });

  api.route({
    method: 'post', path: '/api/auto-tag-rules', status: 201, tags: ['archive'],
    summary: 'Create an auto-tag rule: when the segment rule holds, add/remove the corp tag (applied on recompute)',
    body: CreateAutoTagRule, response: AutoTagRuleView,
    async handler({ body, actor, scope }) {
      assertCan(actor, 'settings.edit');
      return presentRule(await createAutoTagRule(d.db, scope, { ...body, rule: body.rule }));
    },
  });

  api.route({
    method: 'get', path: '/api/auto-tag-rules', tags: ['archive'], summary: 'Auto-tag rules, newest first', response: AutoTagRuleList,
    handler: async ({ scope }) => ({ items: (await listAutoTagRules(d.db, scope)).map(presentRule) }),
  });

  api.route({
    method: 'delete', path: '/api/auto-tag-rules/:id', tags: ['archive'], summary: 'Delete an auto-tag rule (tags already set stay)',
    params: RuleIdParams, response: Deleted,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'settings.edit');
      if (!(await deleteAutoTagRule(d.db, scope, params.id))) throw notFound(`auto-tag rule ${params.id}`);
      return { deleted: true as const };
    },
  });
}
