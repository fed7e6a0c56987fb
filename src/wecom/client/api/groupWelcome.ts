import { read, write, type TextContent, type WeComCaller } from '../types';

/** 入群欢迎语素材: group welcome templates (API-NOTES §4.11, §5.6; ≤100 per corp). */
const ADD = write('externalcontact/group_welcome_template/add');
const EDIT = write('externalcontact/group_welcome_template/edit');
const GET = read('POST', 'externalcontact/group_welcome_template/get');
const DEL = write('externalcontact/group_welcome_template/del');

export const GROUP_WELCOME_TEXT_MAX_BYTES = 3000;

/** Text (≤3000 bytes) plus at most one of image / link / miniprogram / file / video. */
export interface GroupWelcomeTemplate {
  text?: TextContent;
  image?: { media_id?: string; pic_url?: string };
  link?: { title: string; url: string; picurl?: string; desc?: string };
  miniprogram?: { title: string; pic_media_id: string; appid: string; page: string };
  file?: { media_id: string };
  video?: { media_id: string };
  /** Third-party apps only: the app that manages the template. */
  agentid?: number;
  /** 1 (default) notify members in the client that a template was added; 0 don't (add only). */
  notify?: 0 | 1;
}

const ATTACHMENT_KEYS = ['image', 'link', 'miniprogram', 'file', 'video'] as const;

function check(tpl: GroupWelcomeTemplate): void {
  if (tpl.text && Buffer.byteLength(tpl.text.content) > GROUP_WELCOME_TEXT_MAX_BYTES) {
    throw new RangeError(`group welcome text takes ≤${GROUP_WELCOME_TEXT_MAX_BYTES} bytes`);
  }
  if (ATTACHMENT_KEYS.filter((k) => tpl[k] !== undefined).length > 1) throw new RangeError('a group welcome template takes at most one attachment');
}

export function groupWelcomeApi(c: WeComCaller) {
  return {
    async add(tpl: GroupWelcomeTemplate): Promise<{ template_id: string }> {
      check(tpl);
      const res = await c.call<{ template_id?: string }>(ADD, tpl);
      return { template_id: res.template_id ?? '' };
    },

    /** Replaces the template's content. */
    async edit(templateId: string, tpl: Omit<GroupWelcomeTemplate, 'notify'>): Promise<void> {
      check(tpl);
      await c.call(EDIT, { template_id: templateId, ...tpl });
    },

    /** The template as stored (images come back as pic_url). */
    async get(templateId: string): Promise<GroupWelcomeTemplate> {
      const { errcode: _c, errmsg: _m, ...tpl } = await c.call<GroupWelcomeTemplate>(GET, { template_id: templateId });
      return tpl;
    },

    async del(templateId: string, agentid?: number): Promise<void> {
      await c.call(DEL, { template_id: templateId, ...(agentid !== undefined ? { agentid } : {}) });
    },
  };
}

export type GroupWelcomeApi = ReturnType<typeof groupWelcomeApi>;
