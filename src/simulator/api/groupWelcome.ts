import type { SimCore } from '../core';
import { fail } from '../errors';
import { optionalInt, requireString } from '../input';
import type { ApiRegistry } from '../registry';
import { checkAttachmentPayload, checkText } from './content';

const TEXT_MAX_BYTES = 3000;
const KINDS = ['image', 'link', 'miniprogram', 'file', 'video'] as const;

/** One 入群欢迎语素材 (group welcome template). */
export interface GroupWelcomeTemplate {
  template_id: string;
  text?: { content: string };
  /** At most one of these. */
  image?: Record<string, unknown>;
  link?: Record<string, unknown>;
  miniprogram?: Record<string, unknown>;
  file?: Record<string, unknown>;
  video?: Record<string, unknown>;
  notify: 0 | 1;
  /** Unix seconds. */
  create_time: number;
}

/**
 * group_welcome_template/add|edit|get|del (API-NOTES §4.11, §5.6): ≤100 per
 * corp, text ≤3000 bytes (45002), at most one of image/link/miniprogram/file/video,
 * media ids checked like message attachments (40007). Stand-ins: an unknown
 * template_id, two attachments, nothing at all, or the 101st template → 40058.
 */
export function registerGroupWelcomeApi(api: ApiRegistry, core: SimCore, templates: Map<string, GroupWelcomeTemplate>): void {
  const content = (body: Record<string, unknown>) => {
    const text = checkText(body.text, TEXT_MAX_BYTES);
    const kinds = KINDS.filter((k) => body[k] !== undefined && body[k] !== null);
    if (kinds.length > 1) return fail(40058, 'one of image, link, miniprogram, file, video');
    for (const k of kinds) checkAttachmentPayload(core, k, body[k], k);
    if (!text && kinds.length === 0) return fail(40058, 'text and attachment are both empty');
    const kind = kinds[0];
    return { ...(text ? { text: { content: text } } : {}), ...(kind ? { [kind]: structuredClone(body[kind]) as Record<string, unknown> } : {}) };
  };

  const templateFor = (body: Record<string, unknown>) => templates.get(requireString(body.template_id, 'template_id')) ?? fail(40058, 'unknown template_id');

  const idOf = ({ body }: { body: Record<string, unknown> }) => (typeof body.template_id === 'string' ? [body.template_id] : []);

  api.add({
    path: 'externalcontact/group_welcome_template/add', method: 'POST', contact: true, emptyOnFailure: { template_id: '' },
    handle: ({ body }) => {
      const c = content(body);
      const notify = optionalInt(body.notify, 'notify') ?? 1;
      if (notify !== 0 && notify !== 1) return fail(40058, 'notify must be 0 or 1');
      if (templates.size >= core.settings.groupWelcomeTemplateLimit) return fail(40058, 'group welcome template limit reached');
      let id = `msg${core.rng.chars(25)}`;
      while (templates.has(id)) id = `msg${core.rng.chars(25)}`;
      templates.set(id, { template_id: id, ...c, notify, create_time: core.nowSeconds() });
      return { template_id: id };
    },
  });

  api.add({
    path: 'externalcontact/group_welcome_template/edit', method: 'POST', contact: true, ids: idOf, emptyOnFailure: {},
    handle: ({ body }) => {
      const t = templateFor(body);
      const c = content(body);
      // The content is replaced as a whole.
      for (const k of ['text', ...KINDS] as const) delete t[k];
      Object.assign(t, c);
      return {};
    },
  });

  api.add({
    path: 'externalcontact/group_welcome_template/get', method: 'POST', contact: true, ids: idOf, emptyOnFailure: {},
    handle: ({ body }) => {
      const t = templateFor(body);
      const out: Record<string, unknown> = {};
      if (t.text) out.text = { ...t.text };
      for (const k of KINDS) if (t[k]) out[k] = structuredClone(t[k]);
      // Images come back as pic_url.
      const image = out.image as { media_id?: string; pic_url?: string } | undefined;
      if (image?.media_id) out.image = { pic_url: core.media.picUrl(image.media_id) };
      return out;
    },
  });

  api.add({
    path: 'externalcontact/group_welcome_template/del', method: 'POST', contact: true, ids: idOf, emptyOnFailure: {},
    handle: ({ body }) => {
      templates.delete(templateFor(body).template_id);
      return {};
    },
  });
}
