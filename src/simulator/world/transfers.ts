import type { DeliveryMode } from '../callbacks/dispatcher';
import { externalContactEvent } from '../callbacks/eventXml';
import type { SimCore } from '../core';
import { ActionError, type ActionResult } from './actions';
import type { Group, TransferRecord } from './state';

const DAY = 86400;
/** Takeover completes automatically 24 h after a successful call (§5.1, §5.2). */
export const TRANSFER_DELAY_SECONDS = DAY;
const NINETY_DAYS = 90 * DAY;

export type TransferKind = TransferRecord['kind'];

export interface CustomerOutcome {
  external_userid: string;
  errcode: number;
}

export interface FailedChat {
  chat_id: string;
  errcode: number;
  errmsg: string;
}

const GROUP_ERRMSG: Record<number, string> = {
  90500: 'the owner of this chat is not resigned',
  90501: 'this chat is not a customer group',
  90502: 'the owner of this chat has resigned',
  90504: 'the owner of this chat is unchanged',
  90507: 'this chat is in inheritance',
  90508: 'this chat has been inherited',
  40128: 'this chat was transferred too often',
  90506: 'the owner handed over too many chats today',
};

/**
 * Customer and group transfers (在职 / 离职继承, API-NOTES §4.7–4.9, §5.1–5.2).
 * A request only starts the process (status 2); `settle()` — run on every API
 * call and on advanceTime — completes what is due: the takeover gets the
 * customer (add_external_contact unless already friends), the on-job handover
 * loses it (del_external_contact, Source=DELETE_BY_TRANSFER).
 */
export class TransferDesk {
  /** Earliest due time (ms) of anything pending; settle() is a no-op before it. */
  private nextDueMs = Number.POSITIVE_INFINITY;

  constructor(private readonly core: SimCore) {}

  private get world() {
    return this.core.world;
  }

  private pendingFor(externalUserId: string): TransferRecord | undefined {
    return this.world.transfers.find((t) => t.external_userid === externalUserId && t.status === 2);
  }

  /** The on-job frequency rule as the errcode text has it: one per 90 days, two in all. */
  private tooFrequent(externalUserId: string, now: number): boolean {
    const done = this.world.transfers.filter((t) => t.kind === 'onjob' && t.external_userid === externalUserId && t.status === 1);
    return done.length >= 2 || done.some((t) => t.takeover_time > now - NINETY_DAYS);
  }

  requestCustomers(kind: TransferKind, handover: string, takeover: string, externalUserIds: readonly string[]): CustomerOutcome[] {
    const { world, core } = this;
    const now = core.nowSeconds();
    const out: CustomerOutcome[] = [];
    // One pass over the transfers per call, not one per customer.
    const pending = new Set(world.transfers.filter((t) => t.status === 2).map((t) => t.external_userid));
    let takeoverLoad = world.relationsOf(takeover).length
      + world.transfers.filter((t) => t.takeover_userid === takeover && t.status === 2).length;
    for (const id of externalUserIds) {
      let errcode = 0;
      if (!world.customers.has(id)) errcode = 40096;
      else if (handover === takeover) errcode = 40130;
      else if (!world.relation(handover, id)) errcode = 40131;
      else if (pending.has(id)) errcode = 40129;
      else if (kind === 'onjob' && this.tooFrequent(id, now)) errcode = 40128;
      else if (!world.relation(takeover, id) && takeoverLoad >= core.settings.customerLimitPerEmployee) errcode = 40099;
      if (errcode === 0) {
        world.transfers.push({
          kind, handover_userid: handover, takeover_userid: takeover, external_userid: id, status: 2,
          started_at: now, takeover_time: now + TRANSFER_DELAY_SECONDS,
        });
        this.nextDueMs = Math.min(this.nextDueMs, (now + TRANSFER_DELAY_SECONDS) * 1000);
        pending.add(id);
        takeoverLoad += 1;
      }
      out.push({ external_userid: id, errcode });
    }
    return out;
  }

  /** Latest record per customer for this pair and kind, oldest first. */
  results(kind: TransferKind, handover: string, takeover: string): TransferRecord[] {
    const latest = new Map<string, TransferRecord>();
    for (const t of this.world.transfers) {
      if (t.kind === kind && t.handover_userid === handover && t.takeover_userid === takeover) latest.set(t.external_userid, t);
    }
    return [...latest.values()];
  }

  /** Departed employees in departure order (the unassigned pool's order). */
  departed(): string[] {
    return [...this.world.employees.values()].filter((e) => e.leftAt !== undefined)
      .sort((a, b) => a.leftAt! - b.leftAt! || a.userid.localeCompare(b.userid))
      .map((e) => e.userid);
  }

  /** Customers of departed employees not (yet) being reassigned, ordered by departure then relation. */
  unassigned(): Array<{ handover_userid: string; external_userid: string; dimission_time: number; seq: number }> {
    const { world } = this;
    const departed = this.departed().map((u) => world.employees.get(u)!);
    const busy = new Set(world.transfers.filter((t) => t.kind === 'resigned' && (t.status === 1 || t.status === 2))
      .map((t) => `${t.handover_userid}|${t.external_userid}`));
    return departed.flatMap((e) => world.relationsOf(e.userid)
      .filter((r) => !busy.has(`${e.userid}|${r.external_userid}`))
      .map((r) => ({ handover_userid: e.userid, external_userid: r.external_userid, dimission_time: e.leftAt!, seq: r.seq })));
  }

  /** The customer declines the pending transfer: status 3 and transfer_fail (UserID = the takeover). */
  customerRefusesTransfer(input: { externalUserId: string; deliver?: DeliveryMode }): ActionResult {
    const t = this.pendingFor(input.externalUserId);
    if (!t) throw new ActionError(`no pending transfer for ${input.externalUserId}`);
    t.status = 3;
    t.takeover_time = 0;
    const event = externalContactEvent(this.core.eventHeader(), 'transfer_fail', {
      userId: t.takeover_userid, externalUserId: t.external_userid, failReason: 'customer_refused',
    });
    return { deliveries: [this.core.emit(event, input.deliver).id] };
  }

  // ── groups ─────────────────────────────────────────────────────────────

  private recentOnjobGroupTransfers(chatId: string, now: number): number {
    return this.world.groupTransfers.filter((r) => r.kind === 'onjob' && r.chat_id === chatId && r.at > now - NINETY_DAYS).length;
  }

  requestGroups(kind: TransferKind, chatIds: readonly string[], newOwner: string): FailedChat[] {
    const { world, core } = this;
    const now = core.nowSeconds();
    const failed: FailedChat[] = [];
    const fail = (chat_id: string, errcode: number) => failed.push({ chat_id, errcode, errmsg: GROUP_ERRMSG[errcode] ?? 'error' });
    const handedToday = new Map<string, number>();
    for (const r of world.groupTransfers) if (r.at > now - DAY) handedToday.set(r.old_owner, (handedToday.get(r.old_owner) ?? 0) + 1);
    for (const chatId of chatIds) {
      const g = world.liveGroup(chatId);
      if (!g) { fail(chatId, 90501); continue; }
      // 300 per old owner per day is documented; its errcode is not (90506 is our stand-in).
      if ((handedToday.get(g.owner) ?? 0) >= core.settings.groupTransfersPerOwnerPerDay) { fail(chatId, 90506); continue; }
      const countHanded = () => handedToday.set(g.owner, (handedToday.get(g.owner) ?? 0) + 1);
      if (kind === 'resigned') {
        if (g.status === 2) { fail(chatId, 90507); continue; }
        if (g.status === 3 && world.activeEmployee(g.owner)) { fail(chatId, 90508); continue; }
        if (world.activeEmployee(g.owner)) { fail(chatId, 90500); continue; }
        if (g.owner === newOwner) { fail(chatId, 90504); continue; }
        countHanded();
        g.status = 2;
        const due = now + core.settings.groupTransferSeconds;
        world.groupTransfers.push({ kind, chat_id: chatId, old_owner: g.owner, new_owner: newOwner, at: now, due, done: false });
        this.nextDueMs = Math.min(this.nextDueMs, due * 1000);
      } else {
        if (!world.activeEmployee(g.owner)) { fail(chatId, 90502); continue; }
        if (g.owner === newOwner) { fail(chatId, 90504); continue; }
        // Documented as "at most 2 times in 90 days"; the errcode for it is not documented (40128 is our stand-in).
        if (this.recentOnjobGroupTransfers(chatId, now) >= 2) { fail(chatId, 40128); continue; }
        countHanded();
        world.groupTransfers.push({ kind, chat_id: chatId, old_owner: g.owner, new_owner: newOwner, at: now, due: now, done: true });
        this.handOver(g, newOwner);
      }
    }
    return failed;
  }

  private handOver(g: Group, newOwner: string): void {
    const now = this.core.nowSeconds();
    if (!g.members.some((m) => m.userid === newOwner)) {
      g.members.push({ userid: newOwner, type: 1, join_time: now, join_scene: 1, group_nickname: '' });
    }
    g.owner = newOwner;
    g.admin_list = g.admin_list.filter((u) => u !== newOwner);
  }

  // ── time ───────────────────────────────────────────────────────────────

  /** After the world was replaced (a restore): the next due time from world.transfers and groupTransfers. */
  recomputeDue(): void {
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.world.transfers) if (t.status === 2) next = Math.min(next, t.takeover_time * 1000);
    for (const r of this.world.groupTransfers) if (!r.done) next = Math.min(next, r.due * 1000);
    this.nextDueMs = next;
  }

  /** Completes what is due; true when anything was (the world changed). */
  settle(): boolean {
    const nowMs = this.core.nowMs();
    if (nowMs < this.nextDueMs) return false;
    const { world } = this;
    let next = Number.POSITIVE_INFINITY;
    for (const t of world.transfers) {
      if (t.status !== 2) continue;
      if (t.takeover_time * 1000 > nowMs) { next = Math.min(next, t.takeover_time * 1000); continue; }
      this.complete(t);
    }
    for (const r of world.groupTransfers) {
      if (r.done) continue;
      if (r.due * 1000 > nowMs) { next = Math.min(next, r.due * 1000); continue; }
      r.done = true;
      const g = world.groups.get(r.chat_id);
      if (g && !g.dismissed) {
        this.handOver(g, r.new_owner);
        g.status = 3;
      }
    }
    this.nextDueMs = next;
    return true;
  }

  private complete(t: TransferRecord): void {
    const { world, core } = this;
    if (core.settings.transferRefusalRate > 0 && core.rng.chance(core.settings.transferRefusalRate)) {
      t.status = 3;
      t.takeover_time = 0;
      core.emit(externalContactEvent(core.eventHeader(), 'transfer_fail', {
        userId: t.takeover_userid, externalUserId: t.external_userid, failReason: 'customer_refused',
      }));
      return;
    }
    const handRel = world.relation(t.handover_userid, t.external_userid);
    const alreadyFriends = world.relation(t.takeover_userid, t.external_userid) !== undefined;
    if (!alreadyFriends && world.relationsOf(t.takeover_userid).length >= core.settings.customerLimitPerEmployee) {
      t.status = 4;
      core.emit(externalContactEvent(core.eventHeader(), 'transfer_fail', {
        userId: t.takeover_userid, externalUserId: t.external_userid, failReason: 'customer_limit_exceed',
      }));
      return;
    }
    t.status = 1;
    if (!alreadyFriends) {
      world.addRelation({
        userid: t.takeover_userid, external_userid: t.external_userid,
        remark: handRel?.remark ?? '', description: handRel?.description ?? '', createtime: t.takeover_time,
        tag_ids: [...(handRel?.tag_ids ?? [])], remark_corp_name: handRel?.remark_corp_name ?? '',
        remark_mobiles: [...(handRel?.remark_mobiles ?? [])], oper_userid: t.handover_userid, add_way: 202,
        ...(handRel?.state ? { state: handRel.state } : {}),
      });
      core.emit(externalContactEvent(core.eventHeader(), 'add_external_contact', { userId: t.takeover_userid, externalUserId: t.external_userid }));
    }
    if (handRel) {
      world.removeRelation(t.handover_userid, t.external_userid);
      // A departed handover is outside the visible range: only on-job handovers get the event.
      if (t.kind === 'onjob') {
        core.emit(externalContactEvent(core.eventHeader(), 'del_external_contact', {
          userId: t.handover_userid, externalUserId: t.external_userid, source: 'DELETE_BY_TRANSFER',
        }));
      }
    }
  }
}

