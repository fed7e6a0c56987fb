import type { DeliveryMode } from '../callbacks/dispatcher';
import {
  type BuiltEvent, changeContactEvent, type ContactUserFields, externalChatEvent, externalContactEvent, externalTagEvent,
} from '../callbacks/eventXml';
import type { SimCore } from '../core';
import { SimInputError } from '../errors';
import * as names from '../names';
import { ids } from '../random';
import { generateCustomer } from './seed';
import type { Customer, Group, GroupMember, Relation, Tag } from './state';
import { addTagToGroup, deleteTag, deleteTagGroup, findLiveGroupByName, newTagGroup } from './tagOps';

/** A world action that cannot happen (unknown employee, not a member …): 400 on the control API. */
export class ActionError extends SimInputError {
  constructor(message: string) {
    super(message);
    this.name = 'ActionError';
  }
}

export interface DeliverOption {
  /** How this action's callbacks are delivered (default: the simulator's mode). */
  deliver?: DeliveryMode;
}

export interface ActionResult {
  /** Ids of the callback deliveries this action queued (see GET /__sim/callbacks). */
  deliveries: number[];
}

export interface CustomerAddsRepInput extends DeliverOption {
  userid: string;
  /** An existing customer/group member, a new id of your choosing, or absent for a newly generated customer. */
  externalUserId?: string;
  /** Contact-way state the customer came through (State in the event, `state` in follow_user). */
  state?: string;
  /** Issue a WelcomeCode (default true); never issued when the rep has a console welcome configured. */
  welcome?: boolean;
  /** add_way recorded on the relation (default 1, scanned a QR code). */
  addWay?: number;
  /** The customer added the rep through a skip-verify way: add_half_external_contact instead. */
  half?: boolean;
}

export interface CustomerAddsRepViaWayInput extends DeliverOption {
  /** The contact way's config_id. */
  configId: string;
  /** An existing customer/group member, a new id, or absent for a newly generated customer. */
  externalUserId?: string;
  /** Issue a WelcomeCode (default true); never issued when the rep has a console welcome configured. */
  welcome?: boolean;
  /** add_half_external_contact instead of add_external_contact (skip-verify add not yet confirmed by the rep). */
  half?: boolean;
}

export interface PairInput extends DeliverOption {
  userid: string;
  externalUserId: string;
}

export interface RepEditsCustomerInput extends PairInput {
  remark?: string;
  description?: string;
  remarkCompany?: string;
  remarkMobiles?: string[];
  addTags?: string[];
  removeTags?: string[];
}

export interface EmployeeUpdatedInput extends DeliverOption {
  userid: string;
  name?: string;
  position?: string;
  department?: number[];
  mainDepartment?: number;
  status?: 1 | 2 | 4;
  alias?: string;
}

export interface EmployeeJoinsInput extends DeliverOption {
  userid?: string;
  name?: string;
  department?: number[];
  customerContact?: boolean;
  consoleWelcome?: boolean;
}

export interface GroupCreatedInput extends DeliverOption {
  owner: string;
  /** Employees (type 1) and external users (type 2); unknown `wm…` ids become non-friend members. */
  memberIds?: string[];
  name?: string;
  notice?: string;
}

export interface GroupMembersAddedInput extends DeliverOption {
  chatId: string;
  memberIds: string[];
  /** Callback JoinScene: 0 invited by a member (default), 3 scanned the group QR code. */
  joinScene?: 0 | 3;
  /** With joinScene 0: joined through an invite link (join_scene 2) rather than directly (1). */
  viaLink?: boolean;
  /** The inviting employee (default: the owner); only for joinScene 0. */
  invitor?: string;
}

export interface GroupMembersRemovedInput extends DeliverOption {
  chatId: string;
  memberIds: string[];
  /** 0 left by themselves (default), 1 removed by the owner/admin. */
  quitScene?: 0 | 1;
}

export interface TagCreatedInput extends DeliverOption {
  /** Add into this group… */
  groupId?: string;
  /** …or into the group of this name (created when absent). */
  groupName?: string;
  names: string[];
  order?: number;
}

/**
 * Things people do in the WeCom client or admin console. Each changes the
 * world first, then queues the callback(s) exactly as WeCom would; delivery is
 * asynchronous (await `flushCallbacks()` to see it land).
 */
export class WorldActions {
  constructor(private readonly core: SimCore) {}

  private get world() {
    return this.core.world;
  }

  private emit(events: BuiltEvent[], opt: DeliverOption): number[] {
    return events.map((e) => this.core.emit(e, opt.deliver).id);
  }

  private employee(userid: string) {
    const e = this.world.activeEmployee(userid);
    if (!e) throw new ActionError(`no employee ${userid} in the corp`);
    return e;
  }

  private relation(userid: string, externalUserId: string): Relation {
    const r = this.world.relation(userid, externalUserId);
    if (!r) throw new ActionError(`${externalUserId} is not a customer of ${userid}`);
    return r;
  }

  private group(chatId: string): Group {
    const g = this.world.liveGroup(chatId);
    if (!g) throw new ActionError(`no group ${chatId}`);
    return g;
  }

  // ── customers ──────────────────────────────────────────────────────────

  customerAddsRep(input: CustomerAddsRepInput): ActionResult & { externalUserId: string; welcomeCode?: string } {
    const e = this.employee(input.userid);
    if (!e.customerContact) throw new ActionError(`${e.userid} does not have customer contact enabled`);
    const { world, core } = this;
    let customer: Customer | undefined;
    if (input.externalUserId) {
      customer = world.customers.get(input.externalUserId) ?? world.strangers.get(input.externalUserId);
      if (world.relation(e.userid, input.externalUserId)) throw new ActionError(`${input.externalUserId} is already a customer of ${e.userid}`);
      customer ??= generateCustomer(core.rng, input.externalUserId);
      world.strangers.delete(customer.external_userid);
    } else {
      let id = ids.externalUserId(core.rng);
      while (world.customers.has(id) || world.strangers.has(id)) id = ids.externalUserId(core.rng);
      customer = generateCustomer(core.rng, id);
    }
    world.customers.set(customer.external_userid, customer);
    const now = core.nowSeconds();
    world.addRelation({
      userid: e.userid, external_userid: customer.external_userid, remark: '', description: '', createtime: now,
      tag_ids: [], remark_corp_name: '', remark_mobiles: [], oper_userid: customer.external_userid,
      add_way: input.addWay ?? 1, ...(input.state ? { state: input.state } : {}),
    });
    let welcomeCode: string | undefined;
    if (input.welcome !== false && !e.consoleWelcome) {
      welcomeCode = ids.welcomeCode(core.rng);
      while (core.welcomeCodes.has(welcomeCode)) welcomeCode = ids.welcomeCode(core.rng);
      core.welcomeCodes.set(welcomeCode, {
        code: welcomeCode, userid: e.userid, externalUserId: customer.external_userid,
        expiresAt: core.nowMs() + core.settings.welcomeCodeTtlSeconds * 1000, used: false,
      });
    }
    const event = externalContactEvent(core.eventHeader(), input.half ? 'add_half_external_contact' : 'add_external_contact', {
      userId: e.userid, externalUserId: customer.external_userid, state: input.state, welcomeCode,
    });
    return { externalUserId: customer.external_userid, welcomeCode, deliveries: this.emit([event], input) };
  }

  /**
   * The customer scans a contact way's QR code (or taps its button): the way
   * hands them to its members in round robin (skipping members who already have
   * them), the relation carries the way's state, and add_external_contact has
   * <State> and a WelcomeCode — as customerAddsRep. Temporary ways work once and
   * until they expire; exclusive ways refuse a customer who already has one of their members.
   */
  customerAddsRepViaWay(input: CustomerAddsRepViaWayInput): ActionResult & { externalUserId: string; userid: string; state: string; welcomeCode?: string } {
    const { world, core } = this;
    const way = world.liveContactWay(input.configId);
    if (!way) throw new ActionError(`no contact way ${input.configId}`);
    const now = core.nowSeconds();
    if (way.is_temp && (way.adds.length > 0 || way.create_time + (way.expires_in ?? 7 * 86400) <= now)) {
      throw new ActionError(`temporary contact way ${way.config_id} is used up or expired`);
    }
    const members = world.contactWayMembers(way);
    if (members.length === 0) throw new ActionError(`contact way ${way.config_id} has no active member`);
    const known = input.externalUserId;
    if (known && way.is_exclusive && members.some((u) => world.relation(u, known))) {
      throw new ActionError(`${known} already has a member of exclusive way ${way.config_id}`);
    }
    let userid: string | undefined;
    for (let k = 0; k < members.length; k += 1) {
      const candidate = members[(way.nextMember + k) % members.length]!;
      if (!known || !world.relation(candidate, known)) {
        userid = candidate;
        way.nextMember = (way.nextMember + k + 1) % members.length;
        break;
      }
    }
    if (!userid) throw new ActionError(`${known} is already a customer of every member of ${way.config_id}`);
    const res = this.customerAddsRep({
      userid, ...(known ? { externalUserId: known } : {}), ...(way.state ? { state: way.state } : {}),
      ...(input.welcome !== undefined ? { welcome: input.welcome } : {}), ...(input.half !== undefined ? { half: input.half } : {}),
      ...(input.deliver ? { deliver: input.deliver } : {}), addWay: 1,
    });
    way.adds.push({ userid, external_userid: res.externalUserId, at: now });
    return { ...res, userid, state: way.state };
  }

  repDeletesCustomer(input: PairInput): ActionResult {
    this.relation(input.userid, input.externalUserId);
    this.world.removeRelation(input.userid, input.externalUserId);
    return {
      deliveries: this.emit([externalContactEvent(this.core.eventHeader(), 'del_external_contact', {
        userId: input.userid, externalUserId: input.externalUserId,
      })], input),
    };
  }

  /** The customer deleted the rep. The relation is removed here too (the pair can no longer talk). */
  customerDeletesRep(input: PairInput): ActionResult {
    this.relation(input.userid, input.externalUserId);
    this.world.removeRelation(input.userid, input.externalUserId);
    return {
      deliveries: this.emit([externalContactEvent(this.core.eventHeader(), 'del_follow_user', {
        userId: input.userid, externalUserId: input.externalUserId,
      })], input),
    };
  }

  /** Remark/description/company/corp-tag edits fire edit_external_contact; a mobiles-only edit fires nothing (§2.2). */
  repEditsCustomer(input: RepEditsCustomerInput): ActionResult {
    const r = this.relation(input.userid, input.externalUserId);
    for (const id of [...(input.addTags ?? []), ...(input.removeTags ?? [])]) {
      if (!this.world.liveTag(id)) throw new ActionError(`no corp tag ${id}`);
    }
    let notify = false;
    if (input.remark !== undefined) { r.remark = input.remark; notify = true; }
    if (input.description !== undefined) { r.description = input.description; notify = true; }
    if (input.remarkCompany !== undefined) { r.remark_corp_name = input.remarkCompany; notify = true; }
    if (input.remarkMobiles !== undefined) r.remark_mobiles = [...input.remarkMobiles];
    if (input.addTags?.length || input.removeTags?.length) {
      const next = new Set(r.tag_ids);
      for (const id of input.addTags ?? []) next.add(id);
      for (const id of input.removeTags ?? []) next.delete(id);
      r.tag_ids = [...next];
      notify = true;
    }
    if (!notify) return { deliveries: [] };
    return {
      deliveries: this.emit([externalContactEvent(this.core.eventHeader(), 'edit_external_contact', {
        userId: r.userid, externalUserId: r.external_userid,
      })], input),
    };
  }

  // ── employees ──────────────────────────────────────────────────────────

  /**
   * The admin deletes the member (离职): change_contact delete_user. Afterwards
   * user/get answers 60111 (the member no longer exists; this simulator does not
   * use status 5), get_follow_user_list omits them, their customers appear in
   * get_unassigned_list and their groups show status 1.
   */
  employeeLeaves(input: { userid: string } & DeliverOption): ActionResult {
    const e = this.employee(input.userid);
    e.leftAt = this.core.nowSeconds();
    for (const g of this.world.groups.values()) if (g.owner === e.userid && !g.dismissed && g.status === 0) g.status = 1;
    return { deliveries: this.emit([changeContactEvent(this.core.eventHeader(), 'delete_user', e.userid)], input) };
  }

  employeeUpdated(input: EmployeeUpdatedInput): ActionResult {
    const e = this.employee(input.userid);
    const changed: ContactUserFields = {};
    if (input.name !== undefined && input.name !== e.name) { e.name = input.name; changed.name = input.name; }
    if (input.position !== undefined && input.position !== e.position) { e.position = input.position; changed.position = input.position; }
    if (input.alias !== undefined && input.alias !== e.alias) { e.alias = input.alias; changed.alias = input.alias; }
    if (input.status !== undefined && input.status !== e.status) { e.status = input.status; changed.status = input.status; }
    if (input.department !== undefined) {
      for (const d of input.department) if (!this.world.departments.has(d)) throw new ActionError(`no department ${d}`);
      e.department = [...input.department];
      e.is_leader_in_dept = e.department.map((d) => (this.world.departments.get(d)?.department_leader.includes(e.userid) ? 1 : 0));
      e.order = e.department.map(() => 0);
      changed.department = e.department;
      changed.isLeaderInDept = e.is_leader_in_dept;
      if (!e.department.includes(e.main_department)) {
        e.main_department = e.department[0] ?? 1;
        changed.mainDepartment = e.main_department;
      }
    }
    if (input.mainDepartment !== undefined && input.mainDepartment !== e.main_department) {
      if (!e.department.includes(input.mainDepartment)) throw new ActionError('mainDepartment must be one of the departments');
      e.main_department = input.mainDepartment;
      changed.mainDepartment = input.mainDepartment;
    }
    if (Object.keys(changed).length === 0) return { deliveries: [] };
    return { deliveries: this.emit([changeContactEvent(this.core.eventHeader(), 'update_user', e.userid, changed)], input) };
  }

  employeeJoins(input: EmployeeJoinsInput = {}): ActionResult & { userid: string } {
    const { world, core } = this;
    let userid = input.userid;
    if (!userid) {
      let n = world.employees.size + 1;
      while (world.employees.has(`rep${String(n).padStart(4, '0')}`)) n += 1;
      userid = `rep${String(n).padStart(4, '0')}`;
    }
    if (world.employees.has(userid)) throw new ActionError(`userid ${userid} is taken`);
    const department = input.department ?? [1];
    for (const d of department) if (!world.departments.has(d)) throw new ActionError(`no department ${d}`);
    const e = {
      userid, name: input.name ?? names.personName(core.rng), department, main_department: department[0]!,
      is_leader_in_dept: department.map(() => 0), order: department.map(() => 0), position: names.repPosition(core.rng),
      alias: '', direct_leader: [], status: 1 as const, customerContact: input.customerContact ?? true, consoleWelcome: input.consoleWelcome ?? false,
    };
    world.employees.set(userid, e);
    const event = changeContactEvent(core.eventHeader(), 'create_user', userid, {
      name: e.name, department: e.department, mainDepartment: e.main_department, isLeaderInDept: e.is_leader_in_dept,
      position: e.position, status: e.status,
    });
    return { userid, deliveries: this.emit([event], input) };
  }

  // ── customer groups ────────────────────────────────────────────────────

  private memberFor(id: string, joinTime: number, scene: 1 | 2 | 3, invitor?: string): GroupMember {
    const { world, core } = this;
    if (world.employees.has(id)) {
      if (!world.activeEmployee(id)) throw new ActionError(`employee ${id} has left`);
      return { userid: id, type: 1, join_time: joinTime, join_scene: scene, ...(invitor ? { invitor } : {}), group_nickname: '' };
    }
    if (!world.customers.has(id) && !world.strangers.has(id)) {
      if (!id.startsWith('wm') && !id.startsWith('wo')) throw new ActionError(`unknown member ${id}`);
      world.strangers.set(id, generateCustomer(core.rng, id));
    }
    return { userid: id, type: 2, join_time: joinTime, join_scene: scene, ...(invitor ? { invitor } : {}), group_nickname: '' };
  }

  groupCreated(input: GroupCreatedInput): ActionResult & { chatId: string } {
    const owner = this.employee(input.owner);
    const { world, core } = this;
    const now = core.nowSeconds();
    let chatId = ids.chatId(core.rng);
    while (world.groups.has(chatId)) chatId = ids.chatId(core.rng);
    const members: GroupMember[] = [{ userid: owner.userid, type: 1, join_time: now, join_scene: 1, group_nickname: '' }];
    for (const id of new Set(input.memberIds ?? [])) {
      if (id === owner.userid) continue;
      members.push(this.memberFor(id, now, 1, owner.userid));
    }
    const g: Group = {
      seq: world.nextSeq(), chat_id: chatId, name: input.name ?? '', owner: owner.userid, create_time: now,
      notice: input.notice ?? '', members, admin_list: [], member_version: ids.memberVersion(core.rng), status: 0, dismissed: false,
    };
    world.groups.set(chatId, g);
    return { chatId, deliveries: this.emit([externalChatEvent(core.eventHeader(), 'create', { chatId })], input) };
  }

  groupMembersAdded(input: GroupMembersAddedInput): ActionResult & { memberVersion: string } {
    const g = this.group(input.chatId);
    const ids_ = [...new Set(input.memberIds)];
    if (ids_.length === 0) throw new ActionError('memberIds is empty');
    for (const id of ids_) if (g.members.some((m) => m.userid === id)) throw new ActionError(`${id} is already a member`);
    const joinScene = input.joinScene ?? 0;
    const invitor = joinScene === 0 ? (input.invitor ?? g.owner) : undefined;
    if (invitor) this.employee(invitor);
    const now = this.core.nowSeconds();
    const scene: 1 | 2 | 3 = joinScene === 3 ? 3 : input.viaLink ? 2 : 1;
    const added = ids_.map((id) => this.memberFor(id, now, scene, invitor));
    g.members.push(...added);
    return this.memberChange(g, input, { updateDetail: 'add_member', joinScene, memChangeList: ids_ });
  }

  groupMembersRemoved(input: GroupMembersRemovedInput): ActionResult & { memberVersion: string } {
    const g = this.group(input.chatId);
    const ids_ = [...new Set(input.memberIds)];
    if (ids_.length === 0) throw new ActionError('memberIds is empty');
    for (const id of ids_) {
      if (id === g.owner) throw new ActionError('the owner cannot leave; change the owner or dismiss the group');
      if (!g.members.some((m) => m.userid === id)) throw new ActionError(`${id} is not a member`);
    }
    const gone = new Set(ids_);
    g.members = g.members.filter((m) => !gone.has(m.userid));
    g.admin_list = g.admin_list.filter((u) => !gone.has(u));
    return this.memberChange(g, input, { updateDetail: 'del_member', quitScene: input.quitScene ?? 0, memChangeList: ids_ });
  }

  private memberChange(g: Group, opt: DeliverOption, f: { updateDetail: 'add_member' | 'del_member'; joinScene?: number; quitScene?: number; memChangeList: string[] }) {
    const lastMemVer = g.member_version;
    g.member_version = ids.memberVersion(this.core.rng);
    const event = externalChatEvent(this.core.eventHeader(), 'update', { chatId: g.chat_id, ...f, lastMemVer, curMemVer: g.member_version });
    return { memberVersion: g.member_version, deliveries: this.emit([event], opt) };
  }

  groupRenamed(input: { chatId: string; name: string } & DeliverOption): ActionResult {
    const g = this.group(input.chatId);
    g.name = input.name;
    return { deliveries: this.emit([externalChatEvent(this.core.eventHeader(), 'update', { chatId: g.chat_id, updateDetail: 'change_name' })], input) };
  }

  groupNoticeChanged(input: { chatId: string; notice: string } & DeliverOption): ActionResult {
    const g = this.group(input.chatId);
    g.notice = input.notice;
    return { deliveries: this.emit([externalChatEvent(this.core.eventHeader(), 'update', { chatId: g.chat_id, updateDetail: 'change_notice' })], input) };
  }

  /** The owner hands the group to another employee member (the new owner must already be in the group). */
  groupOwnerChanged(input: { chatId: string; newOwner: string } & DeliverOption): ActionResult {
    const g = this.group(input.chatId);
    this.employee(input.newOwner);
    if (!g.members.some((m) => m.userid === input.newOwner && m.type === 1)) throw new ActionError(`${input.newOwner} is not an employee member of the group`);
    g.owner = input.newOwner;
    g.admin_list = g.admin_list.filter((u) => u !== input.newOwner);
    if (g.status === 1) g.status = 0;
    return { deliveries: this.emit([externalChatEvent(this.core.eventHeader(), 'update', { chatId: g.chat_id, updateDetail: 'change_owner' })], input) };
  }

  groupDismissed(input: { chatId: string } & DeliverOption): ActionResult {
    const g = this.group(input.chatId);
    g.dismissed = true;
    return { deliveries: this.emit([externalChatEvent(this.core.eventHeader(), 'dismiss', { chatId: g.chat_id })], input) };
  }

  // ── corp tags (console edits: these DO emit change_external_tag) ──────

  tagCreated(input: TagCreatedInput): ActionResult & { groupId: string; tagIds: string[] } {
    const { world, core } = this;
    if (!input.names?.length) throw new ActionError('names is empty: groups cannot be empty');
    const now = core.nowSeconds();
    let group = input.groupId ? world.tagGroups.get(input.groupId) : input.groupName ? findLiveGroupByName(world, input.groupName) : undefined;
    if (input.groupId && (!group || group.deleted)) throw new ActionError(`no tag group ${input.groupId}`);
    if (!group && !input.groupName) throw new ActionError('groupId or groupName is required');
    const events: BuiltEvent[] = [];
    const newGroup = !group;
    group ??= newTagGroup(world, core.rng, input.groupName!, input.order ?? 0, now, 'console');
    const tags: Tag[] = [];
    for (const name of new Set(input.names)) {
      const { tag, created } = addTagToGroup(world, core.rng, group, name, input.order ?? 0, now, 'console');
      tags.push(tag);
      if (created && !newGroup) events.push(externalTagEvent(core.eventHeader(), 'create', { id: tag.id, tagType: 'tag' }));
    }
    if (newGroup) events.push(externalTagEvent(core.eventHeader(), 'create', { id: group.group_id, tagType: 'tag_group' }));
    return { groupId: group.group_id, tagIds: tags.map((t) => t.id), deliveries: this.emit(events, input) };
  }

  tagUpdated(input: { id: string; name?: string; order?: number } & DeliverOption): ActionResult {
    const { world, core } = this;
    const group = world.tagGroups.get(input.id);
    let tagType: 'tag' | 'tag_group';
    if (group && !group.deleted) {
      if (input.name !== undefined) group.group_name = input.name;
      if (input.order !== undefined) group.order = input.order;
      tagType = 'tag_group';
    } else {
      const hit = world.liveTag(input.id);
      if (!hit) throw new ActionError(`no tag or tag group ${input.id}`);
      if (input.name !== undefined) hit.tag.name = input.name;
      if (input.order !== undefined) hit.tag.order = input.order;
      tagType = 'tag';
    }
    return { deliveries: this.emit([externalTagEvent(core.eventHeader(), 'update', { id: input.id, tagType })], input) };
  }

  /** Deleting a group deletes its tags without per-tag events; deleting a group's last tag deletes the group too. */
  tagDeleted(input: { id: string } & DeliverOption): ActionResult {
    const { world, core } = this;
    const events: BuiltEvent[] = [];
    if (deleteTagGroup(world, input.id)) {
      events.push(externalTagEvent(core.eventHeader(), 'delete', { id: input.id, tagType: 'tag_group' }));
    } else {
      const res = deleteTag(world, input.id);
      if (!res) throw new ActionError(`no tag or tag group ${input.id}`);
      events.push(externalTagEvent(core.eventHeader(), 'delete', { id: input.id, tagType: 'tag' }));
      if (res.groupDeleted) events.push(externalTagEvent(core.eventHeader(), 'delete', { id: res.group.group_id, tagType: 'tag_group' }));
    }
    return { deliveries: this.emit(events, input) };
  }

  /** Re-numbers `order` within one group (or all groups and the groups themselves when groupId is absent). */
  tagShuffled(input: { groupId?: string } & DeliverOption = {}): ActionResult {
    const { world, core } = this;
    const groups = input.groupId ? [world.tagGroups.get(input.groupId)] : world.liveTagGroups();
    if (groups.some((g) => !g || g.deleted)) throw new ActionError(`no tag group ${input.groupId}`);
    for (const g of groups) {
      const live = core.rng.shuffle(g!.tags.filter((t) => !t.deleted));
      live.forEach((t, i) => { t.order = (live.length - i) * 10; });
    }
    if (!input.groupId) {
      const all = core.rng.shuffle(world.liveTagGroups());
      all.forEach((g, i) => { g.order = (all.length - i) * 10; });
    }
    return { deliveries: this.emit([externalTagEvent(core.eventHeader(), 'shuffle', { id: input.groupId })], input) };
  }
}

/** The action names exposed as POST /__sim/world/<name> and as Simulator methods. */
export const WORLD_ACTIONS = [
  'customerAddsRep', 'customerAddsRepViaWay', 'repDeletesCustomer', 'customerDeletesRep', 'repEditsCustomer',
  'employeeLeaves', 'employeeUpdated', 'employeeJoins',
  'groupCreated', 'groupMembersAdded', 'groupMembersRemoved', 'groupRenamed', 'groupOwnerChanged', 'groupNoticeChanged', 'groupDismissed',
  'tagCreated', 'tagUpdated', 'tagDeleted', 'tagShuffled',
  'customerRefusesTransfer',
  'repCreatesMassMessage',
] as const;
export type WorldActionName = (typeof WORLD_ACTIONS)[number];
