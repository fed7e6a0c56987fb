import type { z } from 'zod';
import type { Db } from '../../../db/connection';
import type { Clock } from '../../../lib/clock';
import type { Scope } from '../../../db/scope';
import { notFound } from '../../../lib/errors';
import {
  campaignStats, cancelCampaign, createCampaign, deleteCampaign, getCampaign, listCampaigns, listDeliveries, listRuns, pauseCampaign,
  previewCampaign, resumeCampaign, scheduleCampaign, updateCampaign, type CampaignSettings, type ScheduleInput as Schedule,
} from '../../../touchpoints/campaigns';
import { assertCan } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import { presentCampaign, presentDelivery, presentPreview, presentRun } from '../../presenters/campaigns';
import {
  CampaignIdParams, CampaignList, CampaignListQuery, CampaignView, CreateCampaign, Deleted, DeliveriesQuery, DeliveryList, PreviewView, RunList,
  RunsQuery, ScheduleBody, ScheduleInput, StatsQuery, StatsView, UpdateCampaign,
} from './campaignSchema';

export interface CampaignRouteDeps {
  db: Db;
  corpId: string;
  /** The time the service decides by (the simulator's in demo mode). */
  clock: Clock;
  settings: CampaignSettings;
  /** A campaign was scheduled or resumed: run the scheduler now rather than at the next minute. */
  onActivated?(): void;
}

function toSchedule(s: z.infer<typeof ScheduleInput> | null | undefined): Schedule | null | undefined {
  if (s === null || s === undefined) return s;
  if (s.type === 'once') return { type: 'once', at: new Date(s.at) };
  return { type: 'cron', cron: s.cron, startsAt: s.startsAt ? new Date(s.startsAt) : null, endsAt: s.endsAt ? new Date(s.endsAt) : null };
}

/**
 * Campaigns: CRUD, schedule, pause/resume/cancel, preview, runs, deliveries, stats.
 * Scope: a campaign is visible when its creator is in the caller's scope (else 404); a saved audience
 * reaches only the saver's scope, also when a worker runs it later; previews, runs, deliveries and stats
 * count only the caller's scope. Reps read; 'campaign.edit' changes (see touchpoints/campaigns/reach.ts).
 */
export function campaignRoutes(api: ApiRouter, d: CampaignRouteDeps): void {
  const now = () => d.clock.now();
  const load = async (scope: Scope, id: number) => {
    const c = await getCampaign(d.db, scope, id);
    if (!c) throw notFound(`campaign ${id}`);
    return c;
  };
  const tags = ['campaigns'];

  api.route({
    method: 'post', path: '/api/campaigns', status: 201, tags,
    summary: 'Create a campaign (a draft): push to a segment, post to groups, or tasks for reps. 400 invalid_content names a per-customer variable in a push',
    body: CreateCampaign, response: CampaignView,
    async handler({ body, actor, scope }) {
      const who = assertCan(actor, 'campaign.edit');
      const row = await createCampaign(d.db, scope, { ...body, schedule: toSchedule(body.schedule) }, who, now(), d.settings);
      return presentCampaign(row);
    },
  });

  api.route({
    method: 'get', path: '/api/campaigns', tags, summary: 'Campaigns, newest first', query: CampaignListQuery, response: CampaignList,
    async handler({ query, scope }) {
      const rows = await listCampaigns(d.db, scope, query);
      return { items: rows.map(presentCampaign), nextBefore: rows.length === query.limit ? rows.at(-1)!.id : null };
    },
  });

  api.route({
    method: 'get', path: '/api/campaigns/:id', tags, summary: 'One campaign', params: CampaignIdParams, response: CampaignView,
    handler: async ({ params, scope }) => presentCampaign(await load(scope, params.id)),
  });

  api.route({
    method: 'put', path: '/api/campaigns/:id', tags, summary: 'Change a draft or paused campaign (409 otherwise)',
    params: CampaignIdParams, body: UpdateCampaign, response: CampaignView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'campaign.edit');
      const { schedule, ...rest } = body;
      const patch = { ...rest, ...(schedule !== undefined ? { schedule: toSchedule(schedule) } : {}) };
      return presentCampaign(await updateCampaign(d.db, scope, params.id, patch, now(), d.settings));
    },
  });

  api.route({
    method: 'delete', path: '/api/campaigns/:id', tags, summary: 'Delete a draft (a campaign that ran is cancelled instead)',
    params: CampaignIdParams, response: Deleted,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'campaign.edit');
      await deleteCampaign(d.db, scope, params.id);
      return { deleted: true as const };
    },
  });

  api.route({
    method: 'post', path: '/api/campaigns/:id/schedule', tags,
    summary: 'Activate a draft (optionally setting its schedule): its occurrences run from now on, once each across instances',
    params: CampaignIdParams, body: ScheduleBody, response: CampaignView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'campaign.edit');
      const row = await scheduleCampaign(d.db, scope, params.id, toSchedule(body.schedule) ?? undefined, now(), d.settings);
      d.onActivated?.();
      return presentCampaign(row);
    },
  });

  for (const [verb, act, summary] of [
    ['pause', pauseCampaign, 'Pause: no new occurrences, undispatched batches held; what WeCom has is still tracked'],
    ['resume', resumeCampaign, 'Resume a paused campaign (occurrences inside the pause are not caught up)'],
    ['cancel', cancelCampaign, 'Cancel: unsent work is cancelled, tasks reps have not confirmed are cancelled in WeCom'],
  ] as const) {
    api.route({
      method: 'post', path: `/api/campaigns/:id/${verb}`, tags, summary, params: CampaignIdParams, response: CampaignView,
      async handler({ params, actor, scope }) {
        assertCan(actor, 'campaign.edit');
        const row = await act(d.db, scope, params.id, now());
        if (verb === 'resume') d.onActivated?.();
        return presentCampaign(row);
      },
    });
  }

  api.route({
    method: 'post', path: '/api/campaigns/:id/preview', tags,
    summary: 'Before dispatch: who a run now would reach and who it would skip and why (frequency cap, WeCom receive limit), counts per reason and a sample',
    params: CampaignIdParams, response: PreviewView,
    async handler({ params, scope }) {
      const c = await load(scope, params.id);
      return presentPreview(await previewCampaign(d.db, scope, c, now(), d.settings));
    },
  });

  api.route({
    method: 'get', path: '/api/campaigns/:id/runs', tags, summary: 'Runs (occurrences), newest first, with deliveries by status',
    params: CampaignIdParams, query: RunsQuery, response: RunList,
    async handler({ params, query, scope }) {
      await load(scope, params.id);
      const rows = await listRuns(d.db, scope, params.id, query);
      return { items: rows.map((r) => presentRun(r.run, r.counts)), nextBefore: rows.length === query.limit ? rows.at(-1)!.run.id : null };
    },
  });

  api.route({
    method: 'get', path: '/api/campaigns/:id/deliveries', tags, summary: 'Deliveries (one per recipient and run), paged by id, filtered by run and status',
    params: CampaignIdParams, query: DeliveriesQuery, response: DeliveryList,
    async handler({ params, query, scope }) {
      await load(scope, params.id);
      const rows = await listDeliveries(d.db, scope, params.id, { runId: query.run, status: query.status, after: query.after, limit: query.limit });
      return { items: rows.map(presentDelivery), nextAfter: rows.length === query.limit ? rows.at(-1)!.id : null };
    },
  });

  api.route({
    method: 'get', path: '/api/campaigns/:id/stats', tags,
    summary: 'Targeted, capped by reason, deferred, dispatched, sent, failed, not a friend, over the limit, unconfirmed; effect (orders, replies within N days)',
    params: CampaignIdParams, query: StatsQuery, response: StatsView,
    async handler({ params, query, scope }) {
      await load(scope, params.id);
      return campaignStats(d.db, scope, params.id, d.settings, query.run);
    },
  });
}
