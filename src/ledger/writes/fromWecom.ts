import type { ExternalContact, FollowInfo, FollowUser } from '../../wecom/client';
import type { ContactFacts, RelationFacts } from './relations';

/** WeCom's customer shape → the ledger's facts. */
export function contactFactsOf(c: ExternalContact): ContactFacts {
  return {
    externalUserId: c.external_userid, name: c.name, type: c.type, gender: c.gender, avatar: c.avatar,
    unionId: c.unionid, position: c.position, corpName: c.corp_name, corpFullName: c.corp_full_name,
  };
}

/** A follow user (from get or batch/get_by_user) → the relation's facts. Only corp tags carry ids. */
export function relationFactsOf(externalUserId: string, f: FollowUser | FollowInfo): RelationFacts {
  const tagIds = 'tag_id' in f && f.tag_id
    ? f.tag_id
    : 'tags' in f && f.tags
      ? f.tags.filter((t) => t.tag_id && t.type !== 2).map((t) => t.tag_id!)
      : [];
  return {
    userId: f.userid, externalUserId, remark: f.remark ?? '', description: f.description ?? '',
    remarkCorpName: f.remark_corp_name ?? '', remarkMobiles: f.remark_mobiles ?? [], addWay: f.add_way,
    state: f.state, operUserId: f.oper_userid, addedAt: f.createtime ? new Date(f.createtime * 1000) : undefined, tagIds,
  };
}
