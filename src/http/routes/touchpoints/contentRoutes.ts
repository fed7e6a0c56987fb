import type { Db } from '../../../db/connection';
import type { Scope } from '../../../db/scope';
import type { Clock } from '../../../lib/clock';
import { notFound } from '../../../lib/errors';
import {
  archiveTemplate, channelStats, createChannel, createTemplate, deleteChannel, getChannel, getMedia, getTemplate, getWelcomeSettings,
  listCategories, listChannels, listGroupWelcomeTemplates, listTemplates, listWelcomeSends, previewTemplate, retryGroupWelcome,
  setWelcomeSettings, storeMedia, updateChannel, updateTemplate, useTemplate, type ContentDeps,
} from '../../../touchpoints';
import type { WeComClient } from '../../../wecom/client';
import { assertCan } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import { presentChannel, presentMedia, presentRendered, presentTemplate, presentWelcomeSend } from '../../presenters/content';
import {
  CategoryList, ChannelList, ChannelListQuery, ChannelStatsView, ChannelView, CreateChannel, CreateTemplate, GroupWelcomeList, IdParams,
  MediaView, PreviewTemplate, RenderedView, RenderTemplate, TemplateList, TemplateListQuery, TemplateView, UpdateChannel, UpdateTemplate,
  UpdateWelcomeSettings, UploadMedia, WelcomeSendList, WelcomeSendListQuery, WelcomeSettingsView,
} from './contentSchema';

export interface ContentRouteDeps {
  db: Db;
  corpId: string;
  /** The time the service decides by (the simulator's in demo mode). */
  clock: Clock;
  client: WeComClient;
}

const nextBefore = <T extends { id: number }>(rows: T[], limit: number) => (rows.length === limit ? rows.at(-1)!.id : null);

/**
 * Templates, media, channels (contact ways), welcome settings and group welcome templates.
 * Scope: templates, media and group welcome templates are company content — readable by everyone signed
 * in, changed with 'content.edit'; rendering one is only for a customer (and rep) in the caller's scope.
 * Channels are visible when all their reps are in the scope (404 otherwise), changed with 'content.edit'
 * and only to reps in the scope. Welcome sends are those of the scope's reps. The corp's welcome defaults
 * are settings: 'settings.edit'.
 */
export function contentRoutes(api: ApiRouter, d: ContentRouteDeps): void {
  const deps = (scope: Scope): ContentDeps => ({ db: d.db, client: d.client, corpId: scope.corpId });

  // ---------------------------------------------------------------- templates
  api.route({
    method: 'post', path: '/api/templates', status: 201, tags: ['touchpoints'],
    summary: 'Create a template (group_welcome templates are added to WeCom too; see wecom.status)',
    body: CreateTemplate, response: TemplateView,
    handler: async ({ body, actor, scope }) => presentTemplate(await createTemplate(deps(scope), body, assertCan(actor, 'content.edit'), d.clock.now())),
  });
  api.route({
    method: 'get', path: '/api/templates', tags: ['touchpoints'], summary: 'Templates, newest first, by kind / category / name',
    query: TemplateListQuery, response: TemplateList,
    async handler({ query, scope }) {
      const rows = await listTemplates(d.db, scope.corpId, { ...query, includeArchived: query.includeArchived === 'true' });
      return { items: rows.map(presentTemplate), nextBefore: nextBefore(rows, query.limit) };
    },
  });
  api.route({
    method: 'get', path: '/api/template-categories', tags: ['touchpoints'], summary: 'Categories in use, with template counts per kind',
    response: CategoryList,
    handler: async ({ scope }) => ({ items: await listCategories(d.db, scope.corpId) }),
  });
  api.route({
    method: 'get', path: '/api/templates/:id', tags: ['touchpoints'], summary: 'One template (archived ones too)',
    params: IdParams, response: TemplateView,
    async handler({ params, scope }) {
      const t = await getTemplate(d.db, scope.corpId, params.id);
      if (!t) throw notFound(`template ${params.id}`);
      return presentTemplate(t);
    },
  });
  api.route({
    method: 'patch', path: '/api/templates/:id', tags: ['touchpoints'], summary: 'Change a template (the kind is fixed)',
    params: IdParams, body: UpdateTemplate, response: TemplateView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'content.edit');
      return presentTemplate(await updateTemplate(deps(scope), params.id, body, d.clock.now()));
    },
  });
  api.route({
    method: 'delete', path: '/api/templates/:id', tags: ['touchpoints'],
    summary: 'Archive a template (kept for what names it; a group welcome is deleted from WeCom)',
    params: IdParams, response: TemplateView,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'content.edit');
      return presentTemplate(await archiveTemplate(deps(scope), params.id, d.clock.now()));
    },
  });
  api.route({
    method: 'post', path: '/api/templates/:id/preview', tags: ['touchpoints'],
    summary: 'The template rendered for a customer (and rep): missing lists variables that fell back',
    params: IdParams, body: PreviewTemplate, response: RenderedView,
    async handler({ params, body, scope }) {
      const r = await previewTemplate(d.db, scope, params.id, body);
      return presentRendered(params.id, r);
    },
  });
  api.route({
    method: 'post', path: '/api/templates/:id/render', tags: ['touchpoints'],
    summary: "A rep's quick reply: the rendered template; with recordFollowUp the use is recorded as a follow-up (idempotent by clientKey)",
    params: IdParams, body: RenderTemplate, response: RenderedView,
    async handler({ params, body, scope }) {
      const r = await useTemplate(d.db, scope, params.id, body, d.clock.now());
      return presentRendered(params.id, r);
    },
  });

  // ---------------------------------------------------------------- media
  api.route({
    method: 'post', path: '/api/media', status: 201, tags: ['touchpoints'],
    summary: 'Upload a file for template attachments (base64 JSON; image JPG/PNG ≤10 MB, video MP4 ≤10 MB, file ≤20 MB)',
    body: UploadMedia, response: MediaView,
    async handler({ body, actor, scope }) {
      const data = Buffer.from(body.dataBase64, 'base64');
      return presentMedia(await storeMedia(d.db, scope.corpId, { filename: body.filename, contentType: body.contentType, data, ...(body.type ? { type: body.type } : {}) }, assertCan(actor, 'content.edit')));
    },
  });
  api.route({
    method: 'get', path: '/api/media/:id', tags: ['touchpoints'], summary: "An uploaded file's metadata",
    params: IdParams, response: MediaView,
    async handler({ params, scope }) {
      const m = await getMedia(d.db, scope.corpId, params.id);
      if (!m) throw notFound(`media ${params.id}`);
      return presentMedia(m);
    },
  });

  // ---------------------------------------------------------------- channels
  api.route({
    method: 'post', path: '/api/channels', status: 201, tags: ['touchpoints'],
    summary: 'Create a channel QR code (a WeCom contact way with our state); status creating means WeCom did not answer clearly and recovery will finish it',
    body: CreateChannel, response: ChannelView,
    handler: async ({ body, actor, scope }) => {
      const who = assertCan(actor, 'content.edit');
      return presentChannel(await createChannel(deps(scope), scope, body, who));
    },
  });
  api.route({
    method: 'get', path: '/api/channels', tags: ['touchpoints'], summary: 'Channels, newest first (deleted ones on request)',
    query: ChannelListQuery, response: ChannelList,
    handler: async ({ query, scope }) => ({ items: (await listChannels(d.db, scope, { ...query, includeDeleted: query.includeDeleted === 'true' })).map(presentChannel) }),
  });
  api.route({
    method: 'get', path: '/api/channels/:id', tags: ['touchpoints'], summary: 'One channel',
    params: IdParams, response: ChannelView,
    async handler({ params, scope }) {
      const c = await getChannel(d.db, scope, params.id);
      if (!c) throw notFound(`channel ${params.id}`);
      return presentChannel(c);
    },
  });
  api.route({
    method: 'patch', path: '/api/channels/:id', tags: ['touchpoints'],
    summary: 'Change a channel (reps, remark and skipVerify are updated in WeCom; welcome template and tags are ours)',
    params: IdParams, body: UpdateChannel, response: ChannelView,
    async handler({ params, body, actor, scope }) {
      assertCan(actor, 'content.edit');
      return presentChannel(await updateChannel(deps(scope), scope, params.id, body));
    },
  });
  api.route({
    method: 'delete', path: '/api/channels/:id', tags: ['touchpoints'], summary: 'Delete the contact way in WeCom; the channel is kept as deleted',
    params: IdParams, response: ChannelView,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'content.edit');
      return presentChannel(await deleteChannel(deps(scope), scope, params.id));
    },
  });
  api.route({
    method: 'get', path: '/api/channels/:id/stats', tags: ['touchpoints'],
    summary: 'Adds, removals and 30-day retention of customers who came through the channel; welcome outcomes',
    params: IdParams, response: ChannelStatsView,
    handler: ({ params, scope }) => channelStats(d.db, scope, params.id, d.clock.now()),
  });

  // ---------------------------------------------------------------- welcome
  const settingsView = async ({ scope }: { scope: Scope }) => {
    const s = await getWelcomeSettings(d.db, scope.corpId);
    const group = s.defaultGroupWelcomeTemplateId ? await getTemplate(d.db, scope.corpId, s.defaultGroupWelcomeTemplateId) : undefined;
    return {
      defaultWelcomeTemplateId: s.defaultWelcomeTemplateId, defaultGroupWelcomeTemplateId: s.defaultGroupWelcomeTemplateId,
      defaultGroupWelcomeWecomTemplateId: group?.wecomTemplateId ?? null, updatedBy: s.updatedBy, updatedAt: s.updatedAt?.toISOString() ?? null,
    };
  };
  api.route({
    method: 'get', path: '/api/welcome-settings', tags: ['touchpoints'], summary: "The corp's default welcome and group welcome templates",
    response: WelcomeSettingsView, handler: settingsView,
  });
  api.route({
    method: 'put', path: '/api/welcome-settings', tags: ['touchpoints'],
    summary: 'Set (or clear with null) the default welcome template (sent when an add matches no channel) and the default group welcome template',
    body: UpdateWelcomeSettings, response: WelcomeSettingsView,
    async handler({ body, actor, scope }) {
      // Corp-wide defaults: a setting, not content.
      await setWelcomeSettings(d.db, scope.corpId, body, assertCan(actor, 'settings.edit'), d.clock.now());
      return settingsView({ scope });
    },
  });
  api.route({
    method: 'get', path: '/api/welcome-sends', tags: ['touchpoints'], summary: 'Welcome messages sent (or not, and why), newest first',
    query: WelcomeSendListQuery, response: WelcomeSendList,
    async handler({ query, scope }) {
      const rows = await listWelcomeSends(d.db, scope, query);
      return { items: rows.map(presentWelcomeSend), nextBefore: nextBefore(rows, query.limit) };
    },
  });
  api.route({
    method: 'get', path: '/api/group-welcome-templates', tags: ['touchpoints'],
    summary: 'Group welcome templates with their WeCom template_id and mirror status',
    response: GroupWelcomeList,
    handler: async ({ scope }) => ({ items: (await listGroupWelcomeTemplates(d.db, scope.corpId)).map(presentTemplate) }),
  });
  api.route({
    method: 'post', path: '/api/group-welcome-templates/:id/sync', tags: ['touchpoints'],
    summary: 'Send a failed or owed group welcome mirror to WeCom again (add, edit or delete as its state says)',
    params: IdParams, response: TemplateView,
    async handler({ params, actor, scope }) {
      assertCan(actor, 'content.edit');
      // Archived ones too: they may still owe WeCom a delete.
      return presentTemplate(await retryGroupWelcome(d.db, d.client, scope.corpId, params.id, new Date()));
    },
  });
}
