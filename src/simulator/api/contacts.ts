import { createHash } from 'node:crypto';
import type { SimCore } from '../core';
import { decodeCursor, encodeCursor } from '../cursor';
import { fail } from '../errors';
import { charLength, optionalInt, optionalString, requireString, stringList } from '../input';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { Relation } from '../world/state';
import { externalContactView, followInfoView, followUserView } from './views';

const FOLLOW_USER_PAGE = 500;

/** Customer reads and remark (API-NOTES §4.1–4.5). */
export function registerContactsApi(api: ApiRegistry, core: SimCore): void {
  const { world } = core;

  api.add({
    path: 'externalcontact/get_follow_user_list', method: 'GET', contact: true,
    emptyOnFailure: { follow_user: [] },
    handle: () => ({ follow_user: world.followUsers().map((e) => e.userid) }),
  });

  api.add({
    path: 'externalcontact/list', method: 'GET', contact: true, ids: idsFrom.query('userid'),
    emptyOnFailure: { external_userid: [] },
    handle: ({ query }) => {
      const userid = requireString(query.userid, 'userid');
      const e = world.activeEmployee(userid);
      if (!e) return fail(60111);
      const list = e.customerContact ? world.relationsOf(userid) : [];
      // An employee with no customers gets 84061, not an empty list (§4.2).
      if (list.length === 0) return fail(84061);
      return { external_userid: list.map((r) => r.external_userid) };
    },
  });

  api.add({
    path: 'externalcontact/get', method: 'GET', contact: true, ids: idsFrom.query('external_userid'),
    emptyOnFailure: { follow_user: [] },
    handle: ({ query }) => {
      const id = requireString(query.external_userid, 'external_userid');
      const c = world.customers.get(id);
      if (!c) return fail(40096);
      const followers = world.visibleFollowersOf(id);
      if (followers.length === 0) return fail(84061);
      const start = decodeCursor<{ o: number }>('externalcontact/get', query.cursor, { o: 'number' })?.o ?? 0;
      const page = followers.slice(start, start + FOLLOW_USER_PAGE);
      const next = start + page.length;
      return {
        external_contact: externalContactView(c),
        follow_user: page.map((r) => followUserView(world, r)),
        next_cursor: next < followers.length ? encodeCursor('externalcontact/get', { o: next }) : '',
      };
    },
  });

  api.add({
    path: 'externalcontact/batch/get_by_user', method: 'POST', contact: true, ids: idsFrom.body('userid_list'),
    emptyOnFailure: { external_contact_list: [], next_cursor: '' },
    handle: ({ body }) => {
      const requested = stringList(body.userid_list, 'userid_list', 100);
      if (requested.length === 0) return fail(40058, 'userid_list is required');
      const userids = [...new Set(requested)];
      const rawLimit = optionalInt(body.limit, 'limit');
      const limit = rawLimit === undefined || rawLimit <= 0 ? 50 : Math.min(rawLimit, 100);
      const fingerprint = createHash('sha1').update(userids.join('\n')).digest('hex').slice(0, 12);
      const pos = decodeCursor<{ u: number; s: number; f: string }>('externalcontact/batch/get_by_user', body.cursor, { u: 'number', s: 'number', f: 'string' });
      if (pos && (pos.f !== fingerprint || pos.u >= userids.length)) return fail(50100);

      const relationsOf = (userid: string): readonly Relation[] =>
        world.activeEmployee(userid)?.customerContact ? world.relationsOf(userid) : [];
      const page: Relation[] = [];
      let u = pos?.u ?? 0;
      let i = pos ? firstAfter(relationsOf(userids[u]!), pos.s) : 0;
      let last: { u: number; s: number } | undefined;
      for (; u < userids.length && page.length < limit; u++, i = 0) {
        const list = relationsOf(userids[u]!);
        for (; i < list.length && page.length < limit; i++) {
          page.push(list[i]!);
          last = { u, s: list[i]!.seq };
        }
        if (page.length >= limit) break;
      }
      // More to come? Either later relations of the current employee or any later employee's.
      let more = false;
      if (last) {
        if (firstAfter(relationsOf(userids[last.u]!), last.s) < relationsOf(userids[last.u]!).length) more = true;
        for (let k = last.u + 1; !more && k < userids.length; k++) if (relationsOf(userids[k]!).length > 0) more = true;
      }
      return {
        external_contact_list: page.map((r) => ({
          external_contact: externalContactView(world.customers.get(r.external_userid)!),
          follow_info: followInfoView(world, r),
        })),
        next_cursor: more && last ? encodeCursor('externalcontact/batch/get_by_user', { u: last.u, s: last.s, f: fingerprint }) : '',
      };
    },
  });

  api.add({
    path: 'externalcontact/remark', method: 'POST', contact: true, ids: idsFrom.body('userid', 'external_userid'),
    handle: ({ body }) => {
      const userid = requireString(body.userid, 'userid');
      const externalUserId = requireString(body.external_userid, 'external_userid');
      const remark = optionalString(body.remark, 'remark');
      const description = optionalString(body.description, 'description');
      const company = optionalString(body.remark_company, 'remark_company');
      const pic = optionalString(body.remark_pic_mediaid, 'remark_pic_mediaid');
      const mobilesRaw = body.remark_mobiles;
      if ([remark, description, company, pic, mobilesRaw].every((v) => v === undefined)) return fail(40058, 'nothing to change');
      if (remark !== undefined && charLength(remark) > 20) return fail(40058, 'remark exceeds 20 characters');
      if (description !== undefined && charLength(description) > 150) return fail(40058, 'description exceeds 150 characters');
      if (company !== undefined && charLength(company) > 20) return fail(40058, 'remark_company exceeds 20 characters');
      // remark_mobiles replaces the old list; an empty string clears it.
      const mobiles = mobilesRaw === undefined ? undefined : mobilesRaw === '' ? [] : stringList(mobilesRaw, 'remark_mobiles', 5);
      if (!world.activeEmployee(userid)) return fail(60111);
      const rel = world.relation(userid, externalUserId);
      if (!rel) return fail(84061);
      if (remark !== undefined) rel.remark = remark;
      if (description !== undefined) rel.description = description;
      if (company !== undefined) rel.remark_corp_name = company;
      if (mobiles !== undefined) rel.remark_mobiles = [...mobiles];
      // API writes emit no callback.
      return {};
    },
  });
}

/** Index of the first relation with seq > s (relations are in seq order). */
function firstAfter(list: readonly Relation[], s: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq > s) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
