import type { Customer, Relation, World } from '../world/state';

/** externalcontact/get's external_contact object (§4.3): WeCom-user fields only for type 2. */
export function externalContactView(c: Customer) {
  const v: Record<string, unknown> = {
    external_userid: c.external_userid, name: c.name, avatar: c.avatar, type: c.type, gender: c.gender,
  };
  if (c.unionid) v.unionid = c.unionid;
  if (c.type === 2) {
    v.position = c.position ?? '';
    v.corp_name = c.corp_name ?? '';
    v.corp_full_name = c.corp_full_name ?? '';
    v.external_profile = { external_attr: [] };
  }
  return v;
}

function followCommon(r: Relation) {
  const v: Record<string, unknown> = {
    userid: r.userid, remark: r.remark, description: r.description, createtime: r.createtime,
  };
  return v;
}

function followTail(v: Record<string, unknown>, r: Relation) {
  if (r.remark_corp_name) v.remark_corp_name = r.remark_corp_name;
  v.remark_mobiles = [...r.remark_mobiles];
  v.oper_userid = r.oper_userid;
  v.add_way = r.add_way;
  if (r.state) v.state = r.state;
  return v;
}

/** follow_user[] entry of externalcontact/get: tags as full objects (type 1 = corp tag). */
export function followUserView(world: World, r: Relation) {
  const v = followCommon(r);
  v.tags = r.tag_ids.flatMap((id) => {
    const hit = world.liveTag(id);
    return hit ? [{ group_name: hit.group.group_name, tag_name: hit.tag.name, tag_id: id, type: 1 }] : [];
  });
  return followTail(v, r);
}

/** follow_info of batch/get_by_user: tags as tag_id only. */
export function followInfoView(world: World, r: Relation) {
  const v = followCommon(r);
  v.tag_id = r.tag_ids.filter((id) => world.liveTag(id) !== undefined);
  return followTail(v, r);
}
