import { randomBytes } from 'node:crypto';
import type { SimCore } from '../core';
import { fail } from '../errors';
import { optionalInt, optionalString } from '../input';
import type { ApiRegistry } from '../registry';

/** message/send (API-NOTES §4.15): partial invalid → errcode 0 + invaliduser; all invalid → 81013. */
export function registerMessageApi(api: ApiRegistry, core: SimCore): void {
  const { world } = core;

  api.add({
    path: 'message/send', method: 'POST',
    ids: ({ body }) => (typeof body.touser === 'string' ? body.touser.split('|').filter(Boolean) : []),
    emptyOnFailure: { invaliduser: '', invalidparty: '', invalidtag: '', unlicenseduser: '', msgid: '', response_code: '' },
    handle: ({ body, token }) => {
      const agentid = optionalInt(body.agentid, 'agentid');
      // Only the app's own token may send as the app; the customer-contact secret has no agent.
      if (agentid === undefined || token?.kind !== 'agent' || agentid !== core.agentId) return fail(301002);
      const msgtype = optionalString(body.msgtype, 'msgtype');
      if (!msgtype) return fail(40058, 'msgtype is required');
      const touser = (optionalString(body.touser, 'touser') ?? '').split('|').filter(Boolean);
      const toparty = (optionalString(body.toparty, 'toparty') ?? '').split('|').filter(Boolean);
      const totag = (optionalString(body.totag, 'totag') ?? '').split('|').filter(Boolean);
      if (touser.length + toparty.length + totag.length === 0) return fail(40058, 'no recipient');
      if (touser.length > 1000 || toparty.length > 100 || totag.length > 100) return fail(40058, 'too many recipients');

      const valid = new Set<string>();
      const invalidUsers: string[] = [];
      if (touser.length === 1 && touser[0] === '@all') for (const e of world.activeEmployees()) valid.add(e.userid);
      else for (const u of touser) (world.activeEmployee(u) ? valid.add(u) : invalidUsers.push(u));
      const invalidParties: string[] = [];
      for (const p of toparty) {
        const id = Number(p);
        if (!world.departments.has(id)) { invalidParties.push(p); continue; }
        for (const e of world.activeEmployees()) if (e.department.includes(id)) valid.add(e.userid);
      }
      // Employee tags (通讯录标签) are not simulated: every totag is invalid.
      if (valid.size === 0) return fail(81013);
      const msgid = randomBytes(24).toString('base64url');
      core.appMessages.push({ msgid, agentid, msgtype, touser: [...valid], toparty, body: structuredClone(body), sentAt: core.nowSeconds() });
      return {
        invaliduser: invalidUsers.join('|'), invalidparty: invalidParties.join('|'), invalidtag: totag.join('|'),
        unlicenseduser: '', msgid, response_code: '',
      };
    },
  });
}
