import type { SimCore } from '../core';
import { fail } from '../errors';
import { optionalString } from '../input';
import type { ApiRegistry } from '../registry';

const ATTACHMENT_TYPES = new Set(['image', 'link', 'miniprogram', 'video', 'file']);

/** send_welcome_msg (API-NOTES §4.11, §5.4): a WelcomeCode is valid 20 s and works once. */
export function registerWelcomeApi(api: ApiRegistry, core: SimCore): void {
  api.add({
    path: 'externalcontact/send_welcome_msg', method: 'POST', contact: true,
    ids: ({ body }) => (typeof body.welcome_code === 'string' ? [body.welcome_code] : []),
    handle: ({ body }) => {
      const code = optionalString(body.welcome_code, 'welcome_code');
      if (!code) return fail(41049);
      const text = body.text as { content?: unknown } | undefined;
      const content = text?.content;
      if (content !== undefined && typeof content !== 'string') return fail(40058, 'text.content');
      if (typeof content === 'string' && Buffer.byteLength(content) > 4000) return fail(45002);
      const attachments = body.attachments;
      if (attachments !== undefined && !Array.isArray(attachments)) return fail(40058, 'attachments');
      const list = (attachments ?? []) as Array<Record<string, unknown>>;
      if (list.length > 9) return fail(40058, 'at most 9 attachments');
      for (const a of list) {
        const t = a?.msgtype;
        if (typeof t !== 'string' || !ATTACHMENT_TYPES.has(t) || typeof a[t] !== 'object') return fail(40058, 'attachment payload must match msgtype');
      }
      if (!content && list.length === 0) return fail(40058, 'text and attachments are both empty');
      const w = core.welcomeCodes.get(code);
      if (!w || w.expiresAt < core.nowMs()) return fail(41050);
      if (w.used) return fail(41051);
      w.used = true;
      core.welcomeMessages.push({ userid: w.userid, externalUserId: w.externalUserId, body: structuredClone(body), sentAt: core.nowSeconds() });
      return {};
    },
  });
}
