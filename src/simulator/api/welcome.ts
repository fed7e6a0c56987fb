import type { SimCore } from '../core';
import { fail } from '../errors';
import { optionalString } from '../input';
import type { ApiRegistry } from '../registry';
import { checkAttachments, checkText } from './content';

/** send_welcome_msg (API-NOTES §4.11, §5.4): a WelcomeCode is valid 20 s and works once. */
export function registerWelcomeApi(api: ApiRegistry, core: SimCore): void {
  api.add({
    path: 'externalcontact/send_welcome_msg', method: 'POST', contact: true,
    ids: ({ body }) => (typeof body.welcome_code === 'string' ? [body.welcome_code] : []),
    handle: ({ body }) => {
      const code = optionalString(body.welcome_code, 'welcome_code');
      if (!code) return fail(41049);
      const content = checkText(body.text, 4000);
      // Attachment media ids must have been uploaded (40007 otherwise, see api/media.ts).
      const list = checkAttachments(core, body.attachments);
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
