import type { SimCore } from '../core';
import { fail } from '../errors';
import { charLength, optionalInt, optionalString, requireString, stringList } from '../input';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { Tag, TagGroup } from '../world/state';
import { addTagToGroup, byOrder, deleteTag, deleteTagGroup, findLiveGroupByName, newTagGroup } from '../world/tagOps';

const NAME_MAX = 30;

/** Corp tag library and mark_tag (API-NOTES §4.6). API tag writes emit no callback. */
export function registerTagsApi(api: ApiRegistry, core: SimCore): void {
  const { world } = core;

  const tagView = (t: Tag, withDeleted: boolean) => ({
    id: t.id, name: t.name, create_time: t.create_time, order: t.order, ...(withDeleted ? { deleted: t.deleted } : {}),
  });
  const groupView = (g: TagGroup, tags: Tag[], withDeleted: boolean) => ({
    group_id: g.group_id, group_name: g.group_name, create_time: g.create_time, order: g.order,
    ...(withDeleted ? { deleted: g.deleted } : {}),
    tag: [...tags].sort(byOrder).map((t) => tagView(t, withDeleted)),
  });

  api.add({
    path: 'externalcontact/get_corp_tag_list', method: 'POST', contact: true,
    emptyOnFailure: { tag_group: [] },
    handle: ({ body }) => {
      const tagIds = stringList(body.tag_id, 'tag_id');
      const groupIds = stringList(body.group_id, 'group_id');
      // group_id wins over tag_id; `deleted` appears only on id queries.
      if (groupIds.length > 0) {
        const wanted = new Set(groupIds);
        const groups = [...world.tagGroups.values()].filter((g) => wanted.has(g.group_id)).sort(byOrder);
        return { tag_group: groups.map((g) => groupView(g, g.tags, true)) };
      }
      if (tagIds.length > 0) {
        const byGroup = new Map<TagGroup, Tag[]>();
        for (const id of new Set(tagIds)) {
          const hit = world.tagIndex.get(id);
          if (!hit) continue;
          const list = byGroup.get(hit.group) ?? [];
          list.push(hit.tag);
          byGroup.set(hit.group, list);
        }
        return { tag_group: [...byGroup.entries()].sort(([a], [b]) => byOrder(a, b)).map(([g, tags]) => groupView(g, tags, true)) };
      }
      return {
        tag_group: world.liveTagGroups().sort(byOrder).map((g) => groupView(g, g.tags.filter((t) => !t.deleted), false)),
      };
    },
  });

  api.add({
    path: 'externalcontact/add_corp_tag', method: 'POST', contact: true,
    emptyOnFailure: {},
    handle: ({ body }) => {
      if (!Array.isArray(body.tag) || body.tag.length === 0) return fail(40058, 'tag is required: groups cannot be empty');
      const requested = (body.tag as unknown[]).map((t, i) => {
        const o = (t ?? {}) as Record<string, unknown>;
        const name = requireString(o.name, `tag[${i}].name`);
        if (charLength(name) > NAME_MAX) fail(40058, `tag name exceeds ${NAME_MAX} characters`);
        return { name, order: optionalInt(o.order, `tag[${i}].order`) ?? 0 };
      });
      const groupId = optionalString(body.group_id, 'group_id');
      let group: TagGroup | undefined;
      let groupName: string | undefined;
      if (groupId) {
        group = world.tagGroups.get(groupId);
        if (!group || group.deleted) return fail(40068, 'group_id');
      } else {
        groupName = requireString(body.group_name, 'group_name');
        if (charLength(groupName) > NAME_MAX) return fail(40058, `group_name exceeds ${NAME_MAX} characters`);
        group = findLiveGroupByName(world, groupName);
      }
      const existingNames = new Set(group?.tags.filter((t) => !t.deleted).map((t) => t.name) ?? []);
      const newNames = new Set(requested.map((r) => r.name).filter((n) => !existingNames.has(n)));
      if (world.liveTagCount() + newNames.size > core.settings.corpTagLimit) return fail(40126);

      const now = core.nowSeconds();
      group ??= newTagGroup(world, core.rng, groupName!, optionalInt(body.order, 'order') ?? 0, now, 'api');
      const seen = new Set<string>();
      const tags: Tag[] = [];
      for (const r of requested) {
        if (seen.has(r.name)) continue; // duplicate names in one request are created once
        seen.add(r.name);
        tags.push(addTagToGroup(world, core.rng, group, r.name, r.order, now, 'api').tag);
      }
      return {
        tag_group: {
          group_id: group.group_id, group_name: group.group_name, create_time: group.create_time, order: group.order,
          tag: tags.map((t) => ({ id: t.id, name: t.name, create_time: t.create_time, order: t.order })),
        },
      };
    },
  });

  const mayEdit = (createdBy: 'console' | 'api') => {
    if (core.settings.enforceTagOwnership && createdBy !== 'api') fail(301002, 'apps may only change tags they created');
  };

  api.add({
    path: 'externalcontact/edit_corp_tag', method: 'POST', contact: true, ids: idsFrom.body('id'),
    handle: ({ body }) => {
      const id = requireString(body.id, 'id');
      const name = optionalString(body.name, 'name');
      const order = optionalInt(body.order, 'order');
      if (name !== undefined && (name === '' || charLength(name) > NAME_MAX)) return fail(40058, 'name');
      if (order !== undefined && (order < 0 || order >= 2 ** 32)) return fail(40058, 'order');
      const group = world.tagGroups.get(id);
      if (group && !group.deleted) {
        mayEdit(group.createdBy);
        if (name !== undefined && world.liveTagGroups().some((g) => g !== group && g.group_name === name)) return fail(40071);
        if (name !== undefined) group.group_name = name;
        if (order !== undefined) group.order = order;
        return {};
      }
      const hit = world.liveTag(id);
      if (!hit) return fail(40068);
      mayEdit(hit.tag.createdBy);
      if (name !== undefined && hit.group.tags.some((t) => t !== hit.tag && !t.deleted && t.name === name)) return fail(40071);
      if (name !== undefined) hit.tag.name = name;
      if (order !== undefined) hit.tag.order = order;
      return {};
    },
  });

  api.add({
    path: 'externalcontact/del_corp_tag', method: 'POST', contact: true, ids: idsFrom.body('tag_id', 'group_id'),
    handle: ({ body }) => {
      const tagIds = stringList(body.tag_id, 'tag_id');
      const groupIds = stringList(body.group_id, 'group_id');
      if (tagIds.length === 0 && groupIds.length === 0) return fail(40058, 'tag_id and group_id are both empty');
      // Validate everything first: a bad id changes nothing.
      for (const id of tagIds) {
        const hit = world.liveTag(id);
        if (!hit) return fail(40068, id);
        mayEdit(hit.tag.createdBy);
      }
      for (const id of groupIds) {
        const g = world.tagGroups.get(id);
        if (!g || g.deleted) return fail(40068, id);
        mayEdit(g.createdBy);
      }
      for (const id of groupIds) deleteTagGroup(world, id);
      for (const id of tagIds) deleteTag(world, id);
      return {};
    },
  });

  api.add({
    path: 'externalcontact/mark_tag', method: 'POST', contact: true, ids: idsFrom.body('userid', 'external_userid'),
    handle: ({ body }) => {
      const userid = requireString(body.userid, 'userid');
      const externalUserId = requireString(body.external_userid, 'external_userid');
      const add = stringList(body.add_tag, 'add_tag');
      const remove = stringList(body.remove_tag, 'remove_tag');
      if (add.length === 0 && remove.length === 0) return fail(40058, 'add_tag and remove_tag are both empty');
      for (const id of [...add, ...remove]) if (!world.liveTag(id)) return fail(40068, id);
      if (!world.activeEmployee(userid)) return fail(60111);
      const rel = world.relation(userid, externalUserId);
      if (!rel) return fail(84061);
      const next = new Set(rel.tag_ids);
      for (const id of add) next.add(id);
      for (const id of remove) next.delete(id);
      rel.tag_ids = [...next];
      return {};
    },
  });
}
