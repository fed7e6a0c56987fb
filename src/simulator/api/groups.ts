import type { SimCore } from '../core';
import { decodeCursor, encodeCursor } from '../cursor';
import { fail } from '../errors';
import { optionalInt, requireString, stringList } from '../input';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { Group } from '../world/state';

/** groupchat/list and groupchat/get (API-NOTES §4.9). */
export function registerGroupsApi(api: ApiRegistry, core: SimCore): void {
  const { world } = core;

  api.add({
    path: 'externalcontact/groupchat/list', method: 'POST', contact: true,
    ids: ({ body }) => {
      const f = body.owner_filter as { userid_list?: unknown } | undefined;
      return Array.isArray(f?.userid_list) ? f.userid_list.filter((x): x is string => typeof x === 'string') : [];
    },
    emptyOnFailure: { group_chat_list: [], next_cursor: '' },
    handle: ({ body }) => {
      const limit = optionalInt(body.limit, 'limit');
      if (limit === undefined || limit < 1 || limit > 1000) return fail(40058, 'limit is required, 1-1000');
      const status = optionalInt(body.status_filter, 'status_filter') ?? 0;
      if (status < 0 || status > 3) return fail(40058, 'status_filter must be 0-3');
      const filter = body.owner_filter as { userid_list?: unknown } | undefined;
      if (filter !== undefined && (filter === null || typeof filter !== 'object')) return fail(40058, 'owner_filter');
      const owners = stringList(filter?.userid_list, 'owner_filter.userid_list', 100);
      if (owners.length === 0 && world.activeEmployees().length > core.settings.groupListOwnerFilterThreshold) return fail(81017);
      const after = decodeCursor<{ s: number }>('externalcontact/groupchat/list', body.cursor, { s: 'number' })?.s ?? 0;
      const ownerSet = owners.length ? new Set(owners) : undefined;
      const matches = (g: Group) => !g.dismissed && g.seq > after && (status === 0 || g.status === status) && (!ownerSet || ownerSet.has(g.owner));
      const page: Group[] = [];
      let more = false;
      for (const g of world.groups.values()) {
        if (!matches(g)) continue;
        if (page.length === limit) { more = true; break; }
        page.push(g);
      }
      const last = page[page.length - 1];
      return {
        group_chat_list: page.map((g) => ({ chat_id: g.chat_id, status: g.status })),
        next_cursor: more && last ? encodeCursor('externalcontact/groupchat/list', { s: last.seq }) : '',
      };
    },
  });

  api.add({
    path: 'externalcontact/groupchat/get', method: 'POST', contact: true, ids: idsFrom.body('chat_id'),
    handle: ({ body }) => {
      const chatId = requireString(body.chat_id, 'chat_id');
      const needName = optionalInt(body.need_name, 'need_name') === 1;
      const g = world.liveGroup(chatId);
      if (!g) return fail(40050);
      return {
        group_chat: {
          chat_id: g.chat_id, name: g.name, owner: g.owner, create_time: g.create_time, notice: g.notice,
          member_list: g.members.map((m) => {
            const v: Record<string, unknown> = { userid: m.userid, type: m.type };
            if (m.type === 2) {
              const unionid = (world.customers.get(m.userid) ?? world.strangers.get(m.userid))?.unionid;
              if (unionid) v.unionid = unionid;
            }
            v.join_time = m.join_time;
            v.join_scene = m.join_scene;
            if (m.invitor) v.invitor = { userid: m.invitor };
            v.group_nickname = m.group_nickname;
            if (needName) v.name = world.memberName(m.userid, m.type);
            if (m.state) v.state = m.state;
            return v;
          }),
          admin_list: g.admin_list.map((userid) => ({ userid })),
          member_version: g.member_version,
        },
      };
    },
  });
}
