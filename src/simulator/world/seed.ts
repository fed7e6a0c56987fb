import * as names from '../names';
import { ids, Rng, weightedPicker } from '../random';
import { type Customer, type Employee, type Group, type GroupMember, type Relation, type Tag, type TagGroup, World } from './state';

export interface SeedCounts {
  employees: number;
  /** Including the root department (id 1). */
  departments: number;
  /** Customers that are someone's external contact. */
  customers: number;
  groups: number;
  tagGroups: number;
  /** Corp tags in total, spread over the tag groups (at least one per group). */
  tags: number;
  /** Fraction of customers followed by 2–4 employees. */
  sharedCustomerRatio: number;
  /** Fraction of follow users with no customers at all (at least one when there are ≥3). */
  zeroCustomerRatio: number;
  /** Fraction of employees outside the customer-contact 使用范围. */
  noCustomerContactRatio: number;
  /** Fraction of employees with a console welcome message (their adds carry no WelcomeCode). */
  consoleWelcomeRatio: number;
}

export const DEFAULT_COUNTS: Readonly<SeedCounts> = Object.freeze({
  employees: 20,
  departments: 6,
  customers: 300,
  groups: 20,
  tagGroups: 4,
  tags: 16,
  sharedCustomerRatio: 0.1,
  zeroCustomerRatio: 0.05,
  noCustomerContactRatio: 0.03,
  consoleWelcomeRatio: 0.1,
});

export interface SeedOptions {
  corpId: string;
  seed?: number;
  counts?: Partial<SeedCounts>;
  /** The world's "now" in unix seconds; fixed by default so the same seed gives identical timestamps. */
  now?: number;
}

/** 2025-06-15T00:00:00Z: the default reference time of a seeded world. */
export const SEED_EPOCH = 1749945600;
const DAY = 86400;

export const userIdFor = (n: number, width = 4) => `rep${String(n).padStart(width, '0')}`;

/** Customer-facing fields of a new external contact, drawn from `rng`. */
export function generateCustomer(rng: Rng, externalUserId: string): Customer {
  const type: 1 | 2 = rng.chance(0.85) ? 1 : 2;
  const c: Customer = {
    external_userid: externalUserId,
    name: type === 1 ? names.nickname(rng) : names.personName(rng),
    type,
    gender: rng.pick([0, 1, 1, 2, 2] as const),
    avatar: `https://wework.qpic.cn/wwhead/${rng.hex(40)}/0`,
  };
  if (type === 1 && rng.chance(0.7)) c.unionid = ids.unionId(rng);
  if (type === 2) {
    const short = names.companyShort(rng);
    c.corp_name = short;
    c.corp_full_name = names.companyFull(rng, short);
    c.position = names.buyerPosition(rng);
  }
  return c;
}

const ADD_WAYS = [1, 1, 1, 1, 2, 3, 3, 4, 5, 6, 7, 16, 201, 202];

/**
 * Builds a deterministic world: same seed + counts (+ now) → identical world,
 * down to ids and timestamps. Each part draws from its own forked stream so
 * changing one count doesn't reshuffle unrelated parts more than necessary.
 */
export function seedWorld(opts: SeedOptions): World {
  const counts: SeedCounts = { ...DEFAULT_COUNTS, ...opts.counts };
  const now = opts.now ?? SEED_EPOCH;
  const root = new Rng(opts.seed ?? 1);
  const [deptRng, empRng, tagRng, custRng, groupRng] = [root.fork(), root.fork(), root.fork(), root.fork(), root.fork()];
  const world = new World(opts.corpId);

  // Departments: a tree under root 1, shallow-biased.
  world.departments.set(1, { id: 1, name: '总部', name_en: 'HQ', parentid: 0, order: 100000000, department_leader: [] });
  const deptIds = [1];
  for (let id = 2; id <= Math.max(1, counts.departments); id++) {
    const parentid = deptRng.chance(0.5) ? 1 : deptRng.pick(deptIds);
    world.departments.set(id, {
      id, name: `${names.departmentName(deptRng)}${id}`, name_en: `Dept ${id}`, parentid,
      order: deptRng.int(1, 100000000), department_leader: [],
    });
    deptIds.push(id);
  }
  const leafish = deptIds.length > 1 ? deptIds.slice(1) : deptIds;

  // Employees.
  const width = Math.max(4, String(counts.employees).length);
  const employees: Employee[] = [];
  for (let i = 1; i <= counts.employees; i++) {
    const main = empRng.pick(leafish);
    const department = [main];
    if (leafish.length > 1 && empRng.chance(0.1)) {
      const other = empRng.pick(leafish);
      if (other !== main) department.push(other);
    }
    const e: Employee = {
      userid: userIdFor(i, width),
      name: names.personName(empRng),
      department,
      main_department: main,
      is_leader_in_dept: department.map(() => 0),
      order: department.map(() => 0),
      position: names.repPosition(empRng),
      alias: '',
      direct_leader: [],
      status: 1,
      customerContact: !(counts.employees >= 20 && empRng.chance(counts.noCustomerContactRatio)),
      consoleWelcome: empRng.chance(counts.consoleWelcomeRatio),
    };
    employees.push(e);
    world.employees.set(e.userid, e);
  }
  // Leaders: the first employee leads the root; each department's first member leads it.
  for (const d of world.departments.values()) {
    const lead = d.id === 1 ? employees[0] : employees.find((e) => e.department.includes(d.id));
    if (!lead) continue;
    d.department_leader.push(lead.userid);
    const idx = lead.department.indexOf(d.id);
    if (idx >= 0) lead.is_leader_in_dept[idx] = 1;
  }
  for (const e of employees) {
    const leader = world.departments.get(e.main_department)?.department_leader[0];
    if (leader && leader !== e.userid) e.direct_leader = [leader];
  }

  // Tag library.
  const liveTags: Tag[] = [];
  const groupCount = Math.min(Math.max(0, counts.tagGroups), Math.max(0, counts.tags));
  const perGroup = Array.from({ length: groupCount }, () => 1);
  for (let extra = counts.tags - groupCount; extra > 0; extra--) perGroup[tagRng.int(0, groupCount - 1)]! += 1;
  for (let gi = 0; gi < groupCount; gi++) {
    const [theme, candidates] = names.TAG_THEMES[gi % names.TAG_THEMES.length]!;
    const created = now - tagRng.int(30, 400) * DAY;
    const group: TagGroup = {
      group_id: ids.tagId(tagRng),
      group_name: gi < names.TAG_THEMES.length ? theme : `${theme}${Math.floor(gi / names.TAG_THEMES.length) + 1}`,
      create_time: created, order: tagRng.int(0, 1000), deleted: false, tags: [], createdBy: 'console',
    };
    for (let ti = 0; ti < perGroup[gi]!; ti++) {
      const base = candidates[ti % candidates.length]!;
      const tag: Tag = {
        id: ids.tagId(tagRng),
        name: ti < candidates.length ? base : `${base}${Math.floor(ti / candidates.length) + 1}`,
        create_time: created + tagRng.int(0, 20) * DAY, order: tagRng.int(0, 1000), deleted: false, createdBy: 'console',
      };
      group.tags.push(tag);
      liveTags.push(tag);
    }
    world.addTagGroup(group);
  }

  // Customers and relations: a skewed (log-normal) load per rep, a few reps with none.
  const followUsers = employees.filter((e) => e.customerContact);
  const weights = followUsers.map(() => Math.exp(1.1 * gaussian(custRng)));
  if (followUsers.length >= 3) {
    const zeros = Math.max(1, Math.round(followUsers.length * counts.zeroCustomerRatio));
    for (const i of custRng.sample(followUsers.map((_, i) => i), zeros)) weights[i] = 0;
  }
  const pickRep = followUsers.length > 0 && weights.some((w) => w > 0) ? weightedPicker(weights, custRng) : undefined;
  const usedIds = new Set<string>();
  const freshId = (rng: Rng, make: (r: Rng) => string) => {
    let id = make(rng);
    while (usedIds.has(id)) id = make(rng);
    usedIds.add(id);
    return id;
  };

  const relationFor = (userid: string, c: Customer): Omit<Relation, 'seq'> => {
    const addWay = custRng.pick(ADD_WAYS);
    const oper = addWay >= 201 ? (followUsers.length ? custRng.pick(followUsers).userid : userid)
      : custRng.chance(0.5) ? c.external_userid : userid;
    const tagCount = liveTags.length ? custRng.pick([0, 0, 1, 1, 2, 3]) : 0;
    const rel: Omit<Relation, 'seq'> = {
      userid, external_userid: c.external_userid,
      remark: names.remarkFor(custRng, c.name), description: names.descriptionFor(custRng),
      createtime: now - custRng.int(0, 3 * 365 * DAY),
      tag_ids: custRng.sample(liveTags, tagCount).map((t) => t.id),
      remark_corp_name: c.corp_name ?? (custRng.chance(0.1) ? names.companyShort(custRng) : ''),
      remark_mobiles: custRng.chance(0.3) ? [names.mobile(custRng)] : [],
      oper_userid: oper, add_way: addWay,
    };
    if (addWay === 1 && custRng.chance(0.4)) rel.state = custRng.pick(names.CHANNEL_STATES);
    return rel;
  };

  const customersOf = new Map<string, string[]>();
  if (pickRep) {
    for (let i = 0; i < counts.customers; i++) {
      const c = generateCustomer(custRng, freshId(custRng, ids.externalUserId));
      world.customers.set(c.external_userid, c);
      const owners = new Set([followUsers[pickRep()]!.userid]);
      if (custRng.chance(counts.sharedCustomerRatio)) {
        const extra = custRng.int(1, 3);
        for (let k = 0; k < extra * 3 && owners.size < extra + 1; k++) owners.add(followUsers[pickRep()]!.userid);
      }
      for (const userid of owners) {
        world.addRelation(relationFor(userid, c));
        let list = customersOf.get(userid);
        if (!list) customersOf.set(userid, (list = []));
        list.push(c.external_userid);
      }
    }
  }

  // Customer groups: owners skewed like customers, members mostly the owner's customers.
  const ownerPicker = followUsers.length ? weightedPicker(weights.map((w) => w + 0.2), groupRng) : undefined;
  const allCustomerIds = [...world.customers.keys()];
  for (let gi = 1; ownerPicker && gi <= counts.groups; gi++) {
    const owner = followUsers[ownerPicker()]!;
    const created = now - groupRng.int(1, 2 * 365) * DAY;
    const members: GroupMember[] = [{ userid: owner.userid, type: 1, join_time: created, join_scene: 1, group_nickname: '' }];
    const seen = new Set([owner.userid]);
    const joinTime = () => created + groupRng.int(0, Math.max(0, now - created));
    const staff = groupRng.sample(followUsers, groupRng.int(0, 4));
    for (const e of staff) {
      if (seen.has(e.userid)) continue;
      seen.add(e.userid);
      members.push({ userid: e.userid, type: 1, join_time: joinTime(), join_scene: 1, invitor: owner.userid, group_nickname: '' });
    }
    const size = Math.min(495, Math.floor(2 + Math.exp(groupRng.next() * 4.5)));
    const own = customersOf.get(owner.userid) ?? [];
    for (let k = 0; k < size; k++) {
      let id: string;
      const r = groupRng.next();
      if (r < 0.7 && own.length) id = groupRng.pick(own);
      else if (r < 0.85 && allCustomerIds.length) id = groupRng.pick(allCustomerIds);
      else {
        // Someone nobody in the corp has added: a group member but not a customer.
        const stranger = generateCustomer(groupRng, freshId(groupRng, ids.externalUserId));
        world.strangers.set(stranger.external_userid, stranger);
        id = stranger.external_userid;
      }
      if (seen.has(id)) continue;
      seen.add(id);
      const scene = groupRng.pick([1, 1, 2, 3] as const);
      const m: GroupMember = {
        userid: id, type: 2, join_time: joinTime(), join_scene: scene,
        group_nickname: groupRng.chance(0.15) ? names.nickname(groupRng) : '',
      };
      if (scene !== 3) m.invitor = groupRng.chance(0.8) ? owner.userid : (members.find((x) => x.type === 1 && x.userid !== owner.userid)?.userid ?? owner.userid);
      else if (groupRng.chance(0.15)) m.state = groupRng.pick(names.CHANNEL_STATES);
      members.push(m);
    }
    const staffIds = members.filter((m) => m.type === 1 && m.userid !== owner.userid).map((m) => m.userid);
    const g: Group = {
      seq: world.nextSeq(), chat_id: freshId(groupRng, ids.chatId), name: names.groupName(groupRng, gi), owner: owner.userid,
      create_time: created, notice: names.groupNotice(groupRng), members,
      admin_list: groupRng.sample(staffIds, groupRng.int(0, Math.min(2, staffIds.length))),
      member_version: ids.memberVersion(groupRng), status: 0, dismissed: false,
    };
    world.groups.set(g.chat_id, g);
  }
  return world;
}

/** Box–Muller standard normal from the seeded stream. */
function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
