import { ids, type Rng } from '../random';
import type { Tag, TagGroup, World } from './state';

/**
 * Tag-library mutations shared by the API (add/edit/del_corp_tag: no callback)
 * and the console world actions (which emit change_external_tag).
 */
export function findLiveGroupByName(world: World, name: string): TagGroup | undefined {
  return world.liveTagGroups().find((g) => g.group_name === name);
}

/** A tag or tag-group id no tag or group has (they share one id space), so a restored world's new ids never collide. */
function freshTagId(world: World, rng: Rng): string {
  let id = ids.tagId(rng);
  while (world.tagIndex.has(id) || world.tagGroups.has(id)) id = ids.tagId(rng);
  return id;
}

export function newTagGroup(world: World, rng: Rng, name: string, order: number, now: number, createdBy: TagGroup['createdBy']): TagGroup {
  return world.addTagGroup({ group_id: freshTagId(world, rng), group_name: name, create_time: now, order, deleted: false, tags: [], createdBy });
}

/** Adds a tag unless a live one of that name is already in the group; returns the tag and whether it is new. */
export function addTagToGroup(world: World, rng: Rng, group: TagGroup, name: string, order: number, now: number, createdBy: Tag['createdBy']): { tag: Tag; created: boolean } {
  const existing = group.tags.find((t) => !t.deleted && t.name === name);
  if (existing) return { tag: existing, created: false };
  const tag = world.addTag(group, { id: freshTagId(world, rng), name, create_time: now, order, deleted: false, createdBy });
  return { tag, created: true };
}

/** Deletes one tag (stripping it from relations); an emptied group is deleted too. Returns true when the group went. */
export function deleteTag(world: World, tagId: string): { groupDeleted: boolean; group: TagGroup } | undefined {
  const hit = world.liveTag(tagId);
  if (!hit) return undefined;
  hit.tag.deleted = true;
  world.stripTag(tagId);
  const groupDeleted = hit.group.tags.every((t) => t.deleted);
  if (groupDeleted) hit.group.deleted = true;
  return { groupDeleted, group: hit.group };
}

export function deleteTagGroup(world: World, groupId: string): TagGroup | undefined {
  const g = world.tagGroups.get(groupId);
  if (!g || g.deleted) return undefined;
  for (const t of g.tags) {
    if (t.deleted) continue;
    t.deleted = true;
    world.stripTag(t.id);
  }
  g.deleted = true;
  return g;
}

/** Bigger `order` sorts first (§4.6); ties by creation time. */
export const byOrder = <T extends { order: number; create_time: number }>(a: T, b: T) => b.order - a.order || a.create_time - b.create_time;
