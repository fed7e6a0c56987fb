import type {
  AlertRow, ContactDetail, ContactSummary, EmployeeSummary, GroupDetail, GroupSummary, RelationStats, TagGroupWithTags,
  TagRef,
} from '../../ledger';

/**
 * Fields are listed explicitly: this is the PII guard. A relation's
 * remark_mobiles (phone numbers a rep typed in) never leaves through these
 * views, and free-form `detail` documents are scrubbed of anything that looks
 * like a phone number field before they go out.
 */

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;

const PHONE_KEY = /mobile|phone/i;

/** Drops phone-number keys at any depth of a history/alert detail document. */
export function scrubDetail(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrubDetail);
  if (v === null || typeof v !== 'object') return v ?? null;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !PHONE_KEY.test(k)).map(([k, x]) => [k, scrubDetail(x)]));
}

const presentTag = (t: TagRef) => ({ tagId: t.tagId, name: t.name, groupName: t.groupName });

export function presentEmployee(e: EmployeeSummary) {
  return { userId: e.userId, name: e.name, departmentIds: e.departmentIds, status: e.status, customerCount: e.customerCount };
}

export function presentContactSummary(c: ContactSummary) {
  return {
    externalUserId: c.externalUserId,
    name: c.name,
    type: c.type,
    corpName: c.corpName,
    connected: c.connected,
    owners: c.owners.map((o) => ({
      userId: o.userId, status: o.status, createdAt: isoOrNull(o.addedAt), remark: o.remark, state: o.state,
    })),
    tags: c.tags.map(presentTag),
  };
}

export function presentContactDetail(c: ContactDetail) {
  const p = c.profile;
  return {
    profile: {
      externalUserId: p.externalUserId,
      name: p.name,
      type: p.type,
      gender: p.gender,
      corpName: p.corpName,
      corpFullName: p.corpFullName,
      position: p.position,
      connected: p.connected,
      firstSeenAt: iso(p.firstSeenAt),
      disconnectedAt: isoOrNull(p.disconnectedAt),
    },
    relations: c.relations.map((r) => ({
      userId: r.userId,
      status: r.status,
      remark: r.remark,
      description: r.description,
      addWay: r.addWay,
      state: r.state,
      operUserId: r.operUserId,
      createdAt: isoOrNull(r.addedAt),
      statusChangedAt: iso(r.statusChangedAt),
      tags: r.tags.map(presentTag),
    })),
    history: c.history.map((h) => ({
      id: h.id,
      userId: h.userId,
      change: h.change,
      fromStatus: h.fromStatus,
      toStatus: h.toStatus,
      cause: h.cause,
      at: iso(h.at),
      detail: scrubDetail(h.detail),
    })),
    groups: c.groups.map((g) => ({ chatId: g.chatId, name: g.name, status: g.status, memberStatus: g.memberStatus })),
  };
}

export function presentGroupSummary(g: GroupSummary) {
  return {
    chatId: g.chatId,
    name: g.name,
    ownerUserId: g.ownerUserId,
    status: g.status,
    memberCount: g.memberCount,
    customerCount: g.customerCount,
    createdAt: isoOrNull(g.createdAt),
  };
}

export function presentGroupDetail(g: GroupDetail) {
  return {
    chatId: g.chatId,
    name: g.name,
    ownerUserId: g.ownerUserId,
    notice: g.notice,
    status: g.status,
    memberVersion: g.memberVersion,
    createdAt: isoOrNull(g.createdAt),
    dismissedAt: isoOrNull(g.dismissedAt),
    members: g.members.map((m) => ({
      memberId: m.memberId,
      type: m.type,
      name: m.name,
      joinScene: m.joinScene,
      joinedAt: isoOrNull(m.joinedAt),
      invitorUserId: m.invitorUserId,
      isAdmin: m.isAdmin,
      status: m.status,
      leftAt: isoOrNull(m.leftAt),
    })),
    history: g.history.map((h) => ({
      id: h.id, memberId: h.memberId, change: h.change, cause: h.cause, at: iso(h.at), detail: scrubDetail(h.detail),
    })),
  };
}

export function presentTagTree(groups: TagGroupWithTags[]) {
  return {
    groups: groups.map((g) => ({
      groupId: g.groupId,
      name: g.name,
      order: g.order,
      tags: g.tags.map((t) => ({ tagId: t.tagId, name: t.name, order: t.order, customerCount: t.customerCount })),
    })),
  };
}

export function presentAlert(a: AlertRow) {
  return {
    id: a.id,
    kind: a.kind,
    userId: a.userId,
    externalUserId: a.externalUserId,
    recipients: a.recipients,
    createdAt: iso(a.createdAt),
    detail: scrubDetail(a.detail),
  };
}

export function presentRelationStats(s: RelationStats) {
  const reps = (list: RelationStats['topDeletingReps']) => list.map((r) => ({ userId: r.userId, count: r.count }));
  return {
    byStatus: { ...s.byStatus },
    removedLast30Days: { byRep: s.removed.byRep, byCustomer: s.removed.byCustomer },
    topDeletingReps: reps(s.topDeletingReps),
    customersLostByRep: reps(s.customersLostByRep),
  };
}
