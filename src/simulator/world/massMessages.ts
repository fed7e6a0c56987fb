import type { MassReceiveRule, SimCore } from '../core';
import type { Rng } from '../random';
import { ActionError, type ActionResult, type DeliverOption } from './actions';

export type { MassReceiveRule };
export type MassChatType = 'single' | 'group';
export const MASS_RECEIVE_RULES: readonly MassReceiveRule[] = ['month_days', 'week7', 'day1'];

/** Recipient statuses of get_groupmsg_send_result. */
export const RECIPIENT_STATUS = { notSent: 0, sent: 1, notFriend: 2, overQuota: 3 } as const;

/**
 * What a sender does with a task: `pending` until the confirmation delay passes
 * (then drawn: `sent` or `ignored`), `declined` by a control action, `sent`
 * once confirmed.
 */
export type SenderDecision = 'pending' | 'sent' | 'ignored' | 'declined';

/** One sending employee's part of a mass message: a task in their client's 群发助手. */
export interface SenderPart {
  userid: string;
  /** get_groupmsg_task status: 0 not sent, 2 sent. */
  status: 0 | 2;
  /** Unix seconds the sender confirmed (status 2 only); also every sent recipient's send_time. */
  sendTime?: number;
  decision: SenderDecision;
  /** external_userid (single) or chat_id (group), in request order. */
  recipients: string[];
  /** Per recipient, aligned with `recipients`: 0 not sent, 1 sent, 2 not a friend, 3 over the receive quota. */
  statuses: Uint8Array;
}

export interface MassTask {
  msgid: string;
  chatType: MassChatType;
  /** Unix seconds. */
  createTime: number;
  /** 0 created by the corp (API), 1 by an employee in the client. */
  createType: 0 | 1;
  /** Employee-created tasks only (API-created tasks have no creator). */
  creator?: string;
  text?: { content: string };
  attachments: Array<Record<string, unknown>>;
  allowSelect: boolean;
  senders: SenderPart[];
  senderIndex: Map<string, number>;
  /** Unix seconds when undecided senders decide (createTime + massConfirmDelaySeconds at creation). */
  confirmDue: number;
  /** The confirmation draw has been made. */
  drawn: boolean;
  cancelled: boolean;
  /** Unix seconds of remind_groupmsg_send calls. */
  reminders: number[];
  failList: string[];
}

export interface MassPlan {
  chatType: MassChatType;
  /** sender → recipients, in the order the task lists them. */
  parts: Map<string, string[]>;
  failList: string[];
}

export interface MassTaskInput {
  text?: { content: string };
  attachments: Array<Record<string, unknown>>;
  allowSelect: boolean;
  creator?: string;
}

export interface RepCreatesMassMessageInput extends DeliverOption {
  userid: string;
  chatType?: MassChatType;
  /** Single: the rep's customers to send to (default: all of them). */
  externalUserIds?: string[];
  /** Group: the rep's groups to send to (default: all they own). */
  chatIds?: string[];
  text?: string;
}

/** Per-recipient view for tests. */
export interface MassTaskDetails {
  msgid: string;
  chat_type: MassChatType;
  create_time: number;
  create_type: 0 | 1;
  creator?: string;
  confirm_due: number;
  cancelled: boolean;
  fail_list: string[];
  senders: Array<{
    userid: string;
    status: 0 | 2;
    send_time?: number;
    decision: SenderDecision;
    counts: Record<0 | 1 | 2 | 3, number>;
    recipients?: Array<{ id: string; status: number }>;
  }>;
}

/** A task as plain JSON (statuses as a number array, no sender index): the saved form. */
export interface SavedMassTask extends Omit<MassTask, 'senders' | 'senderIndex'> {
  senders: Array<Omit<SenderPart, 'statuses'> & { statuses: number[] }>;
}

/** The desk's durable state (see Simulator.saveTo). Undrawn tasks are the pending ones; the next due time is recomputed. */
export interface SavedMassDesk {
  tasks: SavedMassTask[];
  receipts: Array<[id: string, days: number | number[]]>;
  templateCalls: Array<[userid: string, calls: number]>;
}

const SHANGHAI_OFFSET_S = 8 * 3600;
/**
 * Quota periods are natural days, weeks (Monday first) and months in
 * Asia/Shanghai (UTC+8, no DST): WeCom is a China-time product.
 */
export const shanghaiDay = (unixSeconds: number): number => Math.floor((unixSeconds + SHANGHAI_OFFSET_S) / 86400);
const monthOf = (day: number) => {
  const d = new Date(day * 86_400_000);
  return { key: d.getUTCFullYear() * 12 + d.getUTCMonth(), days: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate() };
};
// 1970-01-01 (day 0) was a Thursday: +3 makes weeks start on Monday.
const weekOf = (day: number) => Math.floor((day + 3) / 7);

/**
 * Mass messages (企业群发, API-NOTES §4.10, §5.3). add_msg_template only
 * creates a task per sender; nothing is sent until the sender confirms in the
 * client. Confirmation is simulated lazily (like the 24 h transfer window):
 * when the simulated clock passes createTime + massConfirmDelaySeconds, each
 * undecided sender confirms with probability massConfirmRate (a seeded draw in
 * task order), and each of their recipients becomes 1 sent, 2 not a friend
 * (the relation ended, the group is gone or changed owner) or 3 over the
 * receive quota. Control actions can confirm or decline a sender at once.
 *
 * State is O(recipients): per sender an id array and a byte per status;
 * receipts per recipient as Shanghai day numbers (one number while there is one).
 */
export class MassMessageDesk {
  readonly tasks: MassTask[] = [];
  private readonly byId = new Map<string, MassTask>();
  /** Recipient id → day numbers (Shanghai) of the mass messages it received. */
  private readonly receipts = new Map<string, number | number[]>();
  /** Sender → add_msg_template calls that gave them a part. */
  private readonly templateCalls = new Map<string, number>();
  /** Tasks whose confirmation draw has not been made yet. */
  private pending: MassTask[] = [];
  private nextDueMs = Number.POSITIVE_INFINITY;

  constructor(private readonly core: SimCore, private readonly rng: Rng) {}

  private get world() {
    return this.core.world;
  }

  get(msgid: string): MassTask | undefined {
    return this.byId.get(msgid);
  }

  // ── creating tasks ─────────────────────────────────────────────────────

  /**
   * Stand-in for "the employee who last interacted" (not observable here): the
   * customer's most recently added relation with an active, customer-contact employee.
   */
  lastFollower(externalUserId: string): string | undefined {
    const followers = this.world.followersOf(externalUserId);
    for (let i = followers.length - 1; i >= 0; i -= 1) {
      const u = followers[i]!.userid;
      if (this.world.activeEmployee(u)?.customerContact) return u;
    }
    return undefined;
  }

  /** Who gets what: single tasks by sender or by last follower, group tasks by owner; the rest is fail_list. */
  plan(req: { chatType: MassChatType; sender?: string; externalUserIds: string[]; chatIds: string[]; tagFilter?: string[][] }): MassPlan {
    const { world } = this;
    const parts = new Map<string, string[]>();
    const failList: string[] = [];
    const push = (sender: string, id: string) => {
      let list = parts.get(sender);
      if (!list) parts.set(sender, (list = []));
      list.push(id);
    };
    if (req.chatType === 'group') {
      const sender = req.sender!;
      if (req.chatIds.length > 0) {
        for (const id of new Set(req.chatIds)) {
          const g = world.liveGroup(id);
          if (g && g.owner === sender) push(sender, id);
          else failList.push(id);
        }
      } else {
        const owned = [...world.groups.values()].filter((g) => !g.dismissed && g.owner === sender).sort((a, b) => a.seq - b.seq);
        for (const g of owned) push(sender, g.chat_id);
      }
      return { chatType: 'group', parts, failList };
    }
    if (req.externalUserIds.length > 0) {
      // tag_filter is ignored when ids are given.
      for (const id of new Set(req.externalUserIds)) {
        const sender = req.sender !== undefined ? (world.relation(req.sender, id) ? req.sender : undefined) : this.lastFollower(id);
        if (sender) push(sender, id);
        else failList.push(id);
      }
    } else if (req.sender !== undefined) {
      const groups = req.tagFilter;
      for (const r of world.relationsOf(req.sender)) {
        // OR within a group, AND across groups.
        if (groups && !groups.every((g) => g.some((t) => r.tag_ids.includes(t)))) continue;
        push(req.sender, r.external_userid);
      }
    }
    return { chatType: 'single', parts, failList };
  }

  private newMsgid(): string {
    let id = `msg${this.rng.chars(25)}`;
    while (this.byId.has(id)) id = `msg${this.rng.chars(25)}`;
    return id;
  }

  create(plan: MassPlan, input: MassTaskInput): MassTask {
    const now = this.core.nowSeconds();
    const senders: SenderPart[] = [];
    const senderIndex = new Map<string, number>();
    for (const [userid, recipients] of plan.parts) {
      senderIndex.set(userid, senders.length);
      senders.push({ userid, status: 0, decision: 'pending', recipients, statuses: new Uint8Array(recipients.length) });
      if (!input.creator) this.templateCalls.set(userid, (this.templateCalls.get(userid) ?? 0) + 1);
    }
    const task: MassTask = {
      msgid: this.newMsgid(), chatType: plan.chatType, createTime: now, createType: input.creator ? 1 : 0,
      ...(input.creator ? { creator: input.creator } : {}),
      ...(input.text ? { text: { content: input.text.content } } : {}),
      attachments: structuredClone(input.attachments), allowSelect: input.allowSelect,
      senders, senderIndex, confirmDue: now + Math.max(0, Math.floor(this.core.settings.massConfirmDelaySeconds)),
      drawn: false, cancelled: false, reminders: [], failList: plan.failList,
    };
    this.tasks.push(task);
    this.byId.set(task.msgid, task);
    if (!input.creator) {
      this.pending.push(task);
      this.nextDueMs = Math.min(this.nextDueMs, task.confirmDue * 1000);
    }
    return task;
  }

  // ── confirmation ───────────────────────────────────────────────────────

  /** Make the confirmation draws that are due (in due order, so quotas count in time order). */
  settle(): boolean {
    const nowMs = this.core.nowMs();
    if (nowMs < this.nextDueMs) return false;
    const due = this.pending.filter((t) => t.confirmDue * 1000 <= nowMs).sort((a, b) => a.confirmDue - b.confirmDue);
    this.pending = this.pending.filter((t) => t.confirmDue * 1000 > nowMs);
    this.nextDueMs = this.pending.reduce((m, t) => Math.min(m, t.confirmDue * 1000), Number.POSITIVE_INFINITY);
    for (const task of due) this.draw(task);
    return due.length > 0;
  }

  private draw(task: MassTask): void {
    task.drawn = true;
    if (task.cancelled) return;
    const rate = this.core.settings.massConfirmRate;
    for (const part of task.senders) {
      if (part.decision !== 'pending') continue;
      // One draw per undecided sender, whatever happens next: the stream stays aligned for a seed.
      const confirms = this.rng.chance(rate);
      if (confirms && this.world.activeEmployee(part.userid)) this.send(task, part, task.confirmDue);
      else part.decision = 'ignored';
    }
  }

  /** The sender presses "send": every recipient gets its final status at `at`. */
  private send(task: MassTask, part: SenderPart, at: number): void {
    part.status = 2;
    part.sendTime = at;
    part.decision = 'sent';
    const { world } = this;
    const day = shanghaiDay(at);
    const rule = this.core.settings.massReceiveRule;
    const { recipients, statuses } = part;
    for (let i = 0; i < recipients.length; i += 1) {
      if (statuses[i] !== 0) continue;
      const id = recipients[i]!;
      let friend: boolean;
      if (task.chatType === 'single') friend = world.relation(part.userid, id) !== undefined;
      else {
        const g = world.liveGroup(id);
        friend = g !== undefined && g.owner === part.userid;
      }
      if (!friend) statuses[i] = RECIPIENT_STATUS.notFriend;
      else if (this.overQuota(id, day, rule)) statuses[i] = RECIPIENT_STATUS.overQuota;
      else {
        statuses[i] = RECIPIENT_STATUS.sent;
        this.recordReceipt(id, day);
      }
    }
  }

  private overQuota(id: string, day: number, rule: MassReceiveRule): boolean {
    const r = this.receipts.get(id);
    if (r === undefined) return false;
    const days = typeof r === 'number' ? [r] : r;
    if (rule === 'day1') return days.includes(day);
    if (rule === 'week7') {
      const w = weekOf(day);
      let n = 0;
      for (const d of days) if (weekOf(d) === w) n += 1;
      return n >= 7;
    }
    const m = this.monthOf(day);
    let n = 0;
    for (const d of days) if (this.monthOf(d).key === m.key) n += 1;
    return n >= m.days;
  }

  /** Month of a Shanghai day number, memoised (a confirmation checks up to a million recipients). */
  private readonly months = new Map<number, { key: number; days: number }>();
  private monthOf(day: number): { key: number; days: number } {
    let m = this.months.get(day);
    if (!m) this.months.set(day, (m = monthOf(day)));
    return m;
  }

  private recordReceipt(id: string, day: number): void {
    const r = this.receipts.get(id);
    if (r === undefined) this.receipts.set(id, day);
    else if (typeof r === 'number') this.receipts.set(id, [r, day]);
    else r.push(day);
  }

  /** Control action: these senders (default: all undecided or declined) confirm now. Ignored once cancelled. */
  confirmNow(msgid: string, userid?: string): string[] {
    const task = this.require(msgid);
    if (task.cancelled) return [];
    const now = this.core.nowSeconds();
    const parts = userid === undefined ? task.senders : [this.requirePart(task, userid)];
    const confirmed: string[] = [];
    for (const part of parts) {
      if (part.status === 2 || !this.world.activeEmployee(part.userid)) continue;
      this.send(task, part, now);
      confirmed.push(part.userid);
    }
    return confirmed;
  }

  /** Control action: the sender will not send this task (stays status 0). */
  decline(msgid: string, userid: string): boolean {
    const part = this.requirePart(this.require(msgid), userid);
    if (part.status === 2) return false;
    part.decision = 'declined';
    return true;
  }

  /** cancel_groupmsg_send: senders who have not sent never will; their recipients stay 0. */
  cancel(task: MassTask): void {
    task.cancelled = true;
  }

  private require(msgid: string): MassTask {
    const t = this.byId.get(msgid);
    if (!t) throw new ActionError(`no mass message ${msgid}`);
    return t;
  }

  private requirePart(task: MassTask, userid: string): SenderPart {
    const i = task.senderIndex.get(userid);
    if (i === undefined) throw new ActionError(`${userid} is not a sender of ${task.msgid}`);
    return task.senders[i]!;
  }

  // ── world action: a rep sends a mass message from the client ───────────

  /** The rep creates and sends a personal mass message (create_type 1, creator set) at once; it counts against quotas. */
  repCreatesMassMessage(input: RepCreatesMassMessageInput): ActionResult & { msgid: string; failList: string[] } {
    const e = this.world.activeEmployee(input.userid);
    if (!e || !e.customerContact) throw new ActionError(`${input.userid} is not an active customer-contact employee`);
    const chatType = input.chatType ?? 'single';
    const plan = this.plan({
      chatType, sender: input.userid, externalUserIds: input.externalUserIds ?? [], chatIds: input.chatIds ?? [],
    });
    if (plan.parts.size === 0) throw new ActionError(`${input.userid} has no recipient for this mass message`);
    const task = this.create(plan, {
      text: { content: input.text ?? 'A message from your advisor' }, attachments: [], allowSelect: false, creator: input.userid,
    });
    task.drawn = true;
    this.send(task, task.senders[0]!, task.createTime);
    return { msgid: task.msgid, failList: plan.failList, deliveries: [] };
  }

  // ── persistence ────────────────────────────────────────────────────────

  /** Plain data for a save (shares nothing mutable with the desk except strings). */
  exportState(): SavedMassDesk {
    return {
      tasks: this.tasks.map(({ senderIndex: _index, senders, ...t }) => ({
        ...t, senders: senders.map((p) => ({ ...p, statuses: Array.from(p.statuses) })),
      })),
      receipts: [...this.receipts],
      templateCalls: [...this.templateCalls],
    };
  }

  /** Replaces the desk's state with a saved one (a fresh desk only); undrawn tasks become pending again. */
  importState(saved: SavedMassDesk): void {
    if (this.tasks.length > 0) throw new Error('importState needs an empty mass-message desk');
    for (const t of saved.tasks) {
      const senderIndex = new Map<string, number>();
      const senders: SenderPart[] = t.senders.map((p, i) => {
        senderIndex.set(p.userid, i);
        if (p.statuses.length !== p.recipients.length) throw new Error(`mass message ${t.msgid}: statuses and recipients differ in length`);
        return { ...p, statuses: Uint8Array.from(p.statuses) };
      });
      const task: MassTask = { ...t, senders, senderIndex };
      if (this.byId.has(task.msgid)) throw new Error(`mass message ${task.msgid} appears twice`);
      this.tasks.push(task);
      this.byId.set(task.msgid, task);
      if (!task.drawn) this.pending.push(task);
    }
    for (const [id, days] of saved.receipts) this.receipts.set(id, Array.isArray(days) ? [...days] : days);
    for (const [userid, n] of saved.templateCalls) this.templateCalls.set(userid, n);
    this.nextDueMs = this.pending.reduce((m, t) => Math.min(m, t.confirmDue * 1000), Number.POSITIVE_INFINITY);
  }

  // ── introspection ──────────────────────────────────────────────────────

  /** Mass messages this external_userid / chat_id has received (status 1). */
  receivedCount(id: string): number {
    const r = this.receipts.get(id);
    return r === undefined ? 0 : typeof r === 'number' ? 1 : r.length;
  }

  /** Every recipient that received at least `min` mass messages, with its count. */
  receivedCounts(min = 1): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, r] of this.receipts) {
      const n = typeof r === 'number' ? 1 : r.length;
      if (n >= min) out[id] = n;
    }
    return out;
  }

  /** add_msg_template calls per sender that got a part in them. */
  templateCallsBySender(): Record<string, number> {
    return Object.fromEntries(this.templateCalls);
  }

  details(msgid: string, opts: { userid?: string; recipients?: boolean } = {}): MassTaskDetails | undefined {
    const t = this.byId.get(msgid);
    if (!t) return undefined;
    const parts = opts.userid === undefined ? t.senders : t.senders.filter((p) => p.userid === opts.userid);
    return {
      msgid: t.msgid, chat_type: t.chatType, create_time: t.createTime, create_type: t.createType,
      ...(t.creator ? { creator: t.creator } : {}), confirm_due: t.confirmDue, cancelled: t.cancelled, fail_list: [...t.failList],
      senders: parts.map((p) => {
        const counts: Record<0 | 1 | 2 | 3, number> = { 0: 0, 1: 0, 2: 0, 3: 0 };
        for (const s of p.statuses) counts[s as 0 | 1 | 2 | 3] += 1;
        return {
          userid: p.userid, status: p.status, ...(p.sendTime !== undefined ? { send_time: p.sendTime } : {}), decision: p.decision, counts,
          ...(opts.recipients !== false ? { recipients: p.recipients.map((id, i) => ({ id, status: p.statuses[i]! })) } : {}),
        };
      }),
    };
  }

  /** Every task without per-recipient lists (GET /__sim/mass-messages). */
  summaries(): MassTaskDetails[] {
    return this.tasks.map((t) => this.details(t.msgid, { recipients: false })!);
  }
}
