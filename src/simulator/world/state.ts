/**
 * The simulated corp's data: what WeCom "knows". Plain records plus the indexes
 * the API needs to stay fast at 100k customers (relations by employee and by
 * customer, tags by id). Everything that changes state goes through World's
 * methods so the indexes never drift.
 */

export interface Department {
  id: number;
  name: string;
  name_en: string;
  parentid: number;
  order: number;
  department_leader: string[];
}

export interface Employee {
  userid: string;
  name: string;
  department: number[];
  main_department: number;
  /** Aligned with `department`: 1 when leader of that department. */
  is_leader_in_dept: number[];
  order: number[];
  position: string;
  alias: string;
  direct_leader: string[];
  /** 1 activated, 2 disabled, 4 not activated (user/get). Departed employees are gone (60111). */
  status: 1 | 2 | 4;
  /** In the customer-contact 使用范围: listed by get_follow_user_list, may have customers. */
  customerContact: boolean;
  /** A console welcome message is configured for this member: add events carry no WelcomeCode. */
  consoleWelcome: boolean;
  /** Unix seconds the admin deleted the member (离职); absent while employed. */
  leftAt?: number;
}

export interface Customer {
  external_userid: string;
  name: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: 1 | 2;
  gender: 0 | 1 | 2;
  avatar: string;
  unionid?: string;
  position?: string;
  corp_name?: string;
  corp_full_name?: string;
}

/** One employee ↔ customer relation (follow_user / follow_info). */
export interface Relation {
  /** Monotonic insertion number; paging cursors are positions in this order. */
  seq: number;
  userid: string;
  external_userid: string;
  remark: string;
  description: string;
  createtime: number;
  /** Corp tag ids on this relation (tags are per employee, not per customer). */
  tag_ids: string[];
  remark_corp_name: string;
  remark_mobiles: string[];
  oper_userid: string;
  add_way: number;
  state?: string;
}

export interface GroupMember {
  userid: string;
  /** 1 employee, 2 external contact. */
  type: 1 | 2;
  join_time: number;
  /** 1 invited directly, 2 via invite link, 3 scanned the group QR code. */
  join_scene: 1 | 2 | 3;
  /** Employee who invited; only for internal inviters. */
  invitor?: string;
  group_nickname: string;
  state?: string;
}

export interface Group {
  seq: number;
  chat_id: string;
  name: string;
  owner: string;
  create_time: number;
  notice: string;
  members: GroupMember[];
  admin_list: string[];
  member_version: string;
  /** 0 normal, 1 owner resigned, 2 inheriting, 3 inherited. */
  status: 0 | 1 | 2 | 3;
  dismissed: boolean;
}

export interface Tag {
  id: string;
  name: string;
  create_time: number;
  order: number;
  deleted: boolean;
  /** Who created it: the admin console (seed, world actions) or this app via the API. */
  createdBy: 'console' | 'api';
}

export interface TagGroup {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  deleted: boolean;
  tags: Tag[];
  createdBy: 'console' | 'api';
}

/** One customer's transfer (在职 / 离职继承), from the call until a final status. */
export interface TransferRecord {
  kind: 'onjob' | 'resigned';
  handover_userid: string;
  takeover_userid: string;
  external_userid: string;
  /** 1 completed, 2 waiting (takeover at takeover_time), 3 refused by the customer, 4 takeover at the customer cap. */
  status: 1 | 2 | 3 | 4;
  /** Unix seconds the transfer was requested. */
  started_at: number;
  /** Scheduled (status 2) or actual (1) takeover time; 0 when refused. */
  takeover_time: number;
}

/** One group owner transfer via the API. */
export interface GroupTransferRecord {
  kind: 'onjob' | 'resigned';
  chat_id: string;
  old_owner: string;
  new_owner: string;
  /** Unix seconds requested. */
  at: number;
  /** Unix seconds the resigned-owner transfer completes (status 2 → 3). */
  due: number;
  done: boolean;
}

/** A 「联系我」 contact way created through the API (§4.12). */
export interface ContactWay {
  /** 32 hex chars. */
  config_id: string;
  /** 1 single member, 2 multiple members. */
  type: 1 | 2;
  /** 1 mini-program button, 2 QR code. */
  scene: 1 | 2;
  style?: number;
  remark: string;
  skip_verify: boolean;
  state: string;
  /** Scene 2 only. */
  qr_code?: string;
  user: string[];
  party: number[];
  is_exclusive: boolean;
  is_temp: boolean;
  expires_in?: number;
  chat_expires_in?: number;
  unionid?: string;
  conclusions?: Record<string, unknown>;
  /** Unix seconds. */
  create_time: number;
  /** del_contact_way was called: get/update answer 41044; kept here for the adds record. */
  deleted: boolean;
  /** Round-robin position of the next customer add through this way. */
  nextMember: number;
  /** Customers who added a member through this way (world action), oldest first. */
  adds: Array<{ userid: string; external_userid: string; at: number }>;
}

export interface WorldSnapshot {
  corpId: string;
  departments: Department[];
  employees: Employee[];
  customers: Customer[];
  strangers: Customer[];
  relations: Relation[];
  groups: Group[];
  tagGroups: TagGroup[];
  transfers: TransferRecord[];
  groupTransfers: GroupTransferRecord[];
  contactWays: ContactWay[];
}

/** A snapshot plus the counters that are not records: what a saved simulator needs to rebuild the world exactly. */
export interface WorldDurable extends WorldSnapshot {
  /** The shared relation/group insertion counter (paging cursors are positions in its order). */
  seq: number;
  joinWayCount: number;
}

export interface WorldSummary {
  departments: number;
  employees: number;
  departedEmployees: number;
  followUsers: number;
  customers: number;
  relations: number;
  sharedCustomers: number;
  groups: number;
  dismissedGroups: number;
  groupMembers: number;
  tagGroups: number;
  tags: number;
}

export class World {
  readonly departments = new Map<number, Department>();
  readonly employees = new Map<string, Employee>();
  readonly customers = new Map<string, Customer>();
  /** External users in groups whom no employee has added: group members, not customers. */
  readonly strangers = new Map<string, Customer>();
  readonly groups = new Map<string, Group>();
  readonly tagGroups = new Map<string, TagGroup>();
  /** Tag id → tag and its group (deleted ones stay, for `deleted` on id queries). */
  readonly tagIndex = new Map<string, { tag: Tag; group: TagGroup }>();
  /** Customer transfers, oldest first (world/transfers.ts owns the rules). */
  readonly transfers: TransferRecord[] = [];
  readonly groupTransfers: GroupTransferRecord[] = [];
  /** API-created contact ways by config_id (deleted ones flagged, not removed). */
  readonly contactWays = new Map<string, ContactWay>();
  /** API-created join ways (「加入群聊」): not simulated beyond their share of the 500k cap (§5.5). */
  joinWayCount = 0;

  private readonly byUser = new Map<string, Map<string, Relation>>();
  private readonly byCustomer = new Map<string, Map<string, Relation>>();
  /** Per-employee relation arrays in seq order, rebuilt lazily after a change. */
  private readonly listCache = new Map<string, Relation[]>();
  private relationCount = 0;
  private liveApiWays = 0;
  private seq = 0;

  constructor(readonly corpId: string) {}

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  // ── employees ──────────────────────────────────────────────────────────

  activeEmployee(userid: string): Employee | undefined {
    const e = this.employees.get(userid);
    return e && e.leftAt === undefined ? e : undefined;
  }

  activeEmployees(): Employee[] {
    return [...this.employees.values()].filter((e) => e.leftAt === undefined);
  }

  followUsers(): Employee[] {
    return this.activeEmployees().filter((e) => e.customerContact);
  }

  // ── relations ──────────────────────────────────────────────────────────

  relation(userid: string, externalUserId: string): Relation | undefined {
    return this.byUser.get(userid)?.get(externalUserId);
  }

  addRelation(r: Omit<Relation, 'seq'>): Relation {
    if (this.relation(r.userid, r.external_userid)) throw new Error(`relation ${r.userid}/${r.external_userid} exists`);
    // Take ownership of the record instead of copying it: seeding creates 100k+ of them.
    const rel = r as Relation;
    rel.seq = this.nextSeq();
    let u = this.byUser.get(rel.userid);
    if (!u) this.byUser.set(rel.userid, (u = new Map()));
    u.set(rel.external_userid, rel);
    let c = this.byCustomer.get(rel.external_userid);
    if (!c) this.byCustomer.set(rel.external_userid, (c = new Map()));
    c.set(rel.userid, rel);
    this.listCache.delete(rel.userid);
    this.relationCount += 1;
    return rel;
  }

  removeRelation(userid: string, externalUserId: string): Relation | undefined {
    const rel = this.relation(userid, externalUserId);
    if (!rel) return undefined;
    this.byUser.get(userid)?.delete(externalUserId);
    const c = this.byCustomer.get(externalUserId);
    c?.delete(userid);
    if (c && c.size === 0) this.byCustomer.delete(externalUserId);
    this.listCache.delete(userid);
    this.relationCount -= 1;
    return rel;
  }

  /** An employee's relations in seq order (cached; do not mutate the array). */
  relationsOf(userid: string): readonly Relation[] {
    let list = this.listCache.get(userid);
    if (!list) {
      list = [...(this.byUser.get(userid)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
      this.listCache.set(userid, list);
    }
    return list;
  }

  /** A customer's relations (all followers, including departed employees). */
  followersOf(externalUserId: string): Relation[] {
    return [...(this.byCustomer.get(externalUserId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** Relations visible through the API: the employee is still in the corp. */
  visibleFollowersOf(externalUserId: string): Relation[] {
    return this.followersOf(externalUserId).filter((r) => this.activeEmployee(r.userid) !== undefined);
  }

  *allRelations(): Iterable<Relation> {
    for (const m of this.byUser.values()) yield* m.values();
  }

  /** Drop a corp tag from every relation carrying it (tag deletion). */
  stripTag(tagId: string): void {
    for (const r of this.allRelations()) {
      if (r.tag_ids.includes(tagId)) r.tag_ids = r.tag_ids.filter((t) => t !== tagId);
    }
  }

  // ── tags ───────────────────────────────────────────────────────────────

  liveTagGroups(): TagGroup[] {
    return [...this.tagGroups.values()].filter((g) => !g.deleted);
  }

  liveTag(id: string): { tag: Tag; group: TagGroup } | undefined {
    const hit = this.tagIndex.get(id);
    return hit && !hit.tag.deleted ? hit : undefined;
  }

  liveTagCount(): number {
    let n = 0;
    for (const g of this.liveTagGroups()) n += g.tags.filter((t) => !t.deleted).length;
    return n;
  }

  addTagGroup(g: TagGroup): TagGroup {
    this.tagGroups.set(g.group_id, g);
    for (const t of g.tags) this.tagIndex.set(t.id, { tag: t, group: g });
    return g;
  }

  addTag(group: TagGroup, tag: Tag): Tag {
    group.tags.push(tag);
    this.tagIndex.set(tag.id, { tag, group });
    return tag;
  }

  // ── groups ─────────────────────────────────────────────────────────────

  liveGroup(chatId: string): Group | undefined {
    const g = this.groups.get(chatId);
    return g && !g.dismissed ? g : undefined;
  }

  memberName(userid: string, type: 1 | 2): string {
    if (type === 1) return this.employees.get(userid)?.name ?? '';
    return (this.customers.get(userid) ?? this.strangers.get(userid))?.name ?? '';
  }

  // ── contact ways ───────────────────────────────────────────────────────

  liveContactWay(configId: string): ContactWay | undefined {
    const w = this.contactWays.get(configId);
    return w && !w.deleted ? w : undefined;
  }

  addContactWay(w: ContactWay): ContactWay {
    this.contactWays.set(w.config_id, w);
    if (!w.is_temp) this.liveApiWays += 1;
    return w;
  }

  deleteContactWay(w: ContactWay): void {
    if (w.deleted) return;
    w.deleted = true;
    if (!w.is_temp) this.liveApiWays -= 1;
  }

  /** Live API-created ways counted against the corp cap (temporary ways don't count), join ways included. */
  apiWayCount(): number {
    return this.joinWayCount + this.liveApiWays;
  }

  /** Members a way hands customers to: its users, then active customer-contact employees of its departments. */
  contactWayMembers(w: ContactWay): string[] {
    const out = new Set<string>();
    for (const u of w.user) if (this.activeEmployee(u)?.customerContact) out.add(u);
    if (w.party.length > 0) {
      const parties = new Set(w.party);
      for (const e of this.followUsers()) if (e.department.some((d) => parties.has(d))) out.add(e.userid);
    }
    return [...out];
  }

  // ── views ──────────────────────────────────────────────────────────────

  summary(): WorldSummary {
    let shared = 0;
    for (const c of this.byCustomer.values()) if (c.size > 1) shared += 1;
    const liveGroups = [...this.groups.values()].filter((g) => !g.dismissed);
    return {
      departments: this.departments.size,
      employees: this.activeEmployees().length,
      departedEmployees: [...this.employees.values()].filter((e) => e.leftAt !== undefined).length,
      followUsers: this.followUsers().length,
      customers: this.customers.size,
      relations: this.relationCount,
      sharedCustomers: shared,
      groups: liveGroups.length,
      dismissedGroups: this.groups.size - liveGroups.length,
      groupMembers: liveGroups.reduce((n, g) => n + g.members.length, 0),
      tagGroups: this.liveTagGroups().length,
      tags: this.liveTagCount(),
    };
  }

  /**
   * The world as plain data WITHOUT copying (the live records): for serialising
   * at once (saving), never for keeping or mutating. Use `snapshot()` for copies.
   */
  durable(): WorldDurable {
    return {
      corpId: this.corpId,
      departments: [...this.departments.values()],
      employees: [...this.employees.values()],
      customers: [...this.customers.values()],
      strangers: [...this.strangers.values()],
      relations: [...this.allRelations()].sort((a, b) => a.seq - b.seq),
      groups: [...this.groups.values()],
      tagGroups: [...this.tagGroups.values()],
      transfers: this.transfers,
      groupTransfers: this.groupTransfers,
      contactWays: [...this.contactWays.values()],
      seq: this.seq,
      joinWayCount: this.joinWayCount,
    };
  }

  /**
   * Rebuilds a world from `snapshot()` / `durable()` data, indexes included
   * (relations keep their seq; the counter continues after the largest one).
   * Takes ownership of the records: pass a copy if you keep using them.
   */
  static fromSnapshot(s: WorldSnapshot & Partial<Pick<WorldDurable, 'seq' | 'joinWayCount'>>): World {
    const w = new World(s.corpId);
    for (const d of s.departments) w.departments.set(d.id, d);
    for (const e of s.employees) w.employees.set(e.userid, e);
    for (const c of s.customers) w.customers.set(c.external_userid, c);
    for (const c of s.strangers) w.strangers.set(c.external_userid, c);
    let maxSeq = 0;
    for (const r of s.relations) {
      if (w.relation(r.userid, r.external_userid)) throw new Error(`relation ${r.userid}/${r.external_userid} appears twice`);
      if (!Number.isInteger(r.seq)) throw new Error(`relation ${r.userid}/${r.external_userid} has no seq`);
      let u = w.byUser.get(r.userid);
      if (!u) w.byUser.set(r.userid, (u = new Map()));
      u.set(r.external_userid, r);
      let c = w.byCustomer.get(r.external_userid);
      if (!c) w.byCustomer.set(r.external_userid, (c = new Map()));
      c.set(r.userid, r);
      w.relationCount += 1;
      maxSeq = Math.max(maxSeq, r.seq);
    }
    for (const g of s.groups) {
      w.groups.set(g.chat_id, g);
      maxSeq = Math.max(maxSeq, g.seq);
    }
    for (const g of s.tagGroups) w.addTagGroup(g);
    w.transfers.push(...s.transfers);
    w.groupTransfers.push(...s.groupTransfers);
    for (const cw of s.contactWays) {
      w.contactWays.set(cw.config_id, cw);
      if (!cw.is_temp && !cw.deleted) w.liveApiWays += 1;
    }
    w.joinWayCount = s.joinWayCount ?? 0;
    w.seq = Math.max(s.seq ?? 0, maxSeq);
    return w;
  }

  /** The full world as plain data (GET /__sim/truth): deep copies, relations in seq order. */
  snapshot(): WorldSnapshot {
    const copy = <T>(x: T): T => structuredClone(x);
    return {
      corpId: this.corpId,
      departments: [...this.departments.values()].map(copy),
      employees: [...this.employees.values()].map(copy),
      customers: [...this.customers.values()].map(copy),
      strangers: [...this.strangers.values()].map(copy),
      relations: [...this.allRelations()].sort((a, b) => a.seq - b.seq).map(copy),
      groups: [...this.groups.values()].map(copy),
      tagGroups: [...this.tagGroups.values()].map(copy),
      transfers: this.transfers.map(copy),
      groupTransfers: this.groupTransfers.map(copy),
      contactWays: [...this.contactWays.values()].map(copy),
    };
  }
}
