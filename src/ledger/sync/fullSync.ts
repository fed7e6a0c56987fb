import { and, eq, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/logger';
import type { GroupChat, User, WeComClient } from '../../wecom/client';
import { customerGroups, employees, relations, syncJobs } from '../schema';
import { applyDepartments, applyEmployee, applyFollowUsers, markDeparted } from '../writes/directory';
import { applyGroupDetail, endGroup } from '../writes/groups';
import { applyRelations, endRelation, upsertContacts, type Cause } from '../writes/relations';
import { applyTagLibrary } from '../writes/tags';
import { contactFactsOf, relationFactsOf } from '../writes/fromWecom';
import { permissionWarning, readOrNothing, type PermissionWarning } from '../wecomReads';

export const PHASES = ['employees', 'follow_users', 'contacts', 'group_list', 'groups', 'tags', 'reconcile', 'finished'] as const;
export type Phase = (typeof PHASES)[number];

/** WeCom's page and list maxima (API-NOTES §4.4, §4.9, §4.16). */
const USERS_PER_BATCH = 100;
const RELATIONS_PER_PAGE = 100;
const OWNERS_PER_GROUP_LIST = 100;
const GROUPS_PER_LIST_PAGE = 1000;
/** Employee and group detail reads saved per transaction. */
const DETAIL_CHUNK = 25;

/** Where a phase stopped; saved with every page so a killed sync resumes there. */
interface Position {
  userIds?: string[];
  next?: number;
  cursor?: string;
  /** Follow users whose customers could not be read (no reconciliation for them). */
  unreadUsers?: string[];
  chatIds?: string[];
  /** Whether the employee list and group list were read completely (reconciliation needs it). */
  employeesComplete?: boolean;
  groupsComplete?: boolean;
}

type Counts = Record<string, number>;

export class LeaseLost extends Error {
  constructor() {
    super('sync job lease lost');
  }
}

/** Thrown at a saved step when the runner is asked to stop: the job resumes from there later. */
export class SyncPaused extends Error {
  constructor() {
    super('sync paused at a saved step');
  }
}

export interface FullSyncDeps {
  db: Db;
  /** The corp whose job this is: a job id from another corp is not found. */
  scope: Scope;
  /** The service's clock: what the sync's ledger writes stamp (departures, ended relations). */
  clock: Clock;
  client: WeComClient;
  log: Logger;
  /** The claimer's id; every save checks the lease still belongs to it. */
  owner: string;
  leaseSeconds: number;
  /** Checked after each saved step: true pauses the sync there (shutdown). */
  shouldStop?(): boolean;
  /** Called after each saved step (progress bars). */
  onProgress?(job: { phase: Phase; done: number; total: number; counts: Counts }): void;
}

/**
 * Runs (or resumes) one full sync: directory → follow users → customers by
 * batch/get_by_user → groups → tags → reconciliation. Each page is applied
 * and its progress saved in one transaction, so a crash loses at most the
 * page in flight and a restart continues from the saved position.
 */
export async function runFullSync(d: FullSyncDeps, jobId: number): Promise<void> {
  const { db, client } = d;
  const corpId = d.scope.corpId;
  const thisJob = and(eq(syncJobs.corpId, corpId), eq(syncJobs.id, jobId));
  let [job] = await db.select().from(syncJobs).where(thisJob);
  if (!job) throw new Error(`sync job ${jobId} not found`);
  // Read per write: a sync runs for minutes, and each change is stamped when it is applied.
  const cause = (): Cause => ({ cause: 'sync', syncJobId: job!.id, at: d.clock.now() });
  if (!job.startedAt) {
    await db.update(syncJobs).set({ startedAt: new Date() }).where(thisJob);
    [job] = await db.select().from(syncJobs).where(thisJob);
  }
  const startedAt = job!.startedAt!;
  let phase = job!.phase as Phase;
  let pos = (job!.position ?? {}) as Position;
  const counts: Counts = { ...(job!.counts as Counts) };
  const warnings: PermissionWarning[] = [...(job!.warnings as PermissionWarning[])];
  let done = job!.progressDone;
  let total = job!.progressTotal;
  const add = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);

  /** Applies `work` and saves the new position in one transaction, under our lease. */
  const step = async (next: { phase?: Phase; pos: Position; done?: number; total?: number }, work?: (tx: Executor) => Promise<void>) => {
    await db.transaction(async (tx) => {
      if (work) await work(tx);
      const saved = await tx
        .update(syncJobs)
        .set({
          phase: next.phase ?? phase, position: next.pos, counts, warnings,
          progressDone: next.done ?? done, progressTotal: next.total ?? total,
          lockedUntil: sql`now() + make_interval(secs => ${d.leaseSeconds})`,
        })
        .where(and(thisJob, eq(syncJobs.lockedBy, d.owner)))
        .returning({ id: syncJobs.id });
      if (saved.length === 0) throw new LeaseLost();
    });
    phase = next.phase ?? phase;
    pos = next.pos;
    done = next.done ?? done;
    total = next.total ?? total;
    d.onProgress?.({ phase, done, total, counts });
    if (phase !== 'finished' && d.shouldStop?.()) throw new SyncPaused();
  };

  /** A permission errcode is recorded and the read skipped; anything else propagates (the job retries). */
  const tolerate = async <T>(where: Phase, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      const w = permissionWarning(where, err);
      if (!w) throw err;
      if (!warnings.some((x) => x.api === w.api && x.errcode === w.errcode && x.phase === w.phase)) warnings.push(w);
      d.log.warn({ phase: where, api: w.api, errcode: w.errcode }, 'WeCom refused a read; carrying on without it');
      return undefined;
    }
  };

  while (phase !== 'finished') {
    switch (phase) {
      case 'employees': {
        if (!pos.userIds) {
          const depts = await tolerate('employees', () => client.directory.listDepartments());
          const ids = new Set<string>();
          let complete = true;
          try {
            for await (const page of client.directory.iterateUserIds()) for (const r of page.items) ids.add(r.userid);
          } catch (err) {
            if (!permissionWarning('employees', err)) throw err;
            await tolerate('employees', () => Promise.reject(err));
            complete = false;
          }
          const userIds = [...ids].sort();
          await step({ pos: { userIds, next: 0, employeesComplete: complete } }, async (tx) => {
            if (depts) await applyDepartments(tx, corpId, depts, true);
            add('departments', depts?.length ?? 0);
          });
        }
        const userIds = pos.userIds!;
        while ((pos.next ?? 0) < userIds.length) {
          const from = pos.next ?? 0;
          const chunk = userIds.slice(from, from + DETAIL_CHUNK);
          const users: Array<Pick<User, 'userid'> & Partial<User>> = [];
          for (const id of chunk) {
            const u = await tolerate('employees', () => readOrNothing(() => client.directory.getUser(id)));
            users.push(u ?? { userid: id });
          }
          await step({ pos: { ...pos, next: from + chunk.length } }, async (tx) => {
            for (const u of users) {
              if (u.status === 5) await markDeparted(tx, corpId, u.userid, cause());
              else await applyEmployee(tx, corpId, u, d.clock.now());
            }
            add('employees', users.length);
          });
        }
        // Employees WeCom no longer lists have left: their customers await handover.
        await step({ phase: 'follow_users', pos: {} }, async (tx) => {
          if (!pos.employeesComplete) return;
          const gone = await tx
            .select({ userId: employees.userId })
            .from(employees)
            .where(and(eq(employees.corpId, corpId), ne(employees.status, 'departed'), lt(employees.firstSeenAt, startedAt)));
          const listed = new Set(userIds);
          for (const e of gone) {
            if (listed.has(e.userId)) continue;
            await markDeparted(tx, corpId, e.userId, cause());
            add('employeesDeparted');
          }
        });
        break;
      }

      case 'follow_users': {
        const follow = await tolerate('follow_users', () => client.customers.listFollowUsers());
        const userIds = [...new Set(follow ?? [])].sort();
        await step({ phase: 'contacts', pos: { userIds, next: 0, cursor: '', unreadUsers: [] }, done: 0, total: userIds.length }, async (tx) => {
          if (follow) await applyFollowUsers(tx, corpId, userIds);
          add('followUsers', userIds.length);
        });
        break;
      }

      case 'contacts': {
        const userIds = pos.userIds ?? [];
        const from = pos.next ?? 0;
        if (from >= userIds.length) {
          await step({ phase: 'group_list', pos: { unreadUsers: pos.unreadUsers } });
          break;
        }
        const batch = userIds.slice(from, from + USERS_PER_BATCH);
        const page = await tolerate('contacts', () =>
          client.customers.batchGetByUser({ userid_list: batch, cursor: pos.cursor ?? '', limit: RELATIONS_PER_PAGE }),
        );
        if (!page) {
          // The whole batch is unreadable: skip it, and keep it out of reconciliation.
          await step({ pos: { ...pos, next: from + batch.length, cursor: '', unreadUsers: [...(pos.unreadUsers ?? []), ...batch] }, done: from + batch.length });
          break;
        }
        const last = page.nextCursor === '';
        await step(
          {
            pos: {
              ...pos,
              next: last ? from + batch.length : from,
              cursor: last ? '' : page.nextCursor,
              unreadUsers: [...(pos.unreadUsers ?? []), ...page.unlicensedUserids],
            },
            done: last ? from + batch.length : done,
          },
          async (tx) => {
            await upsertContacts(tx, corpId, page.items.map((r) => contactFactsOf(r.external_contact)));
            const c = await applyRelations(tx, corpId, page.items.map((r) => relationFactsOf(r.external_contact.external_userid, r.follow_info)), cause());
            add('relations', page.items.length);
            add('relationsAdded', c.added);
            add('relationsRestored', c.restored);
            add('relationsEdited', c.edited);
          },
        );
        break;
      }

      case 'group_list': {
        // Every employee we know, departed ones included: their groups await handover too.
        const owners = (await db.select({ userId: employees.userId }).from(employees).where(eq(employees.corpId, corpId))).map((e) => e.userId).sort();
        const chatIds = new Set<string>();
        let complete = true;
        for (let i = 0; i < owners.length; i += OWNERS_PER_GROUP_LIST) {
          const userIdList = owners.slice(i, i + OWNERS_PER_GROUP_LIST);
          const read = await tolerate('groups', async () => {
            for await (const p of client.groupChats.iterate({ owner_filter: { userid_list: userIdList }, limit: GROUPS_PER_LIST_PAGE })) {
              for (const g of p.items) chatIds.add(g.chat_id);
            }
            return true;
          });
          if (!read) complete = false;
        }
        const list = [...chatIds].sort();
        await step({ phase: 'groups', pos: { chatIds: list, next: 0, unreadUsers: pos.unreadUsers, groupsComplete: complete }, done: 0, total: list.length });
        break;
      }

      case 'groups': {
        const chatIds = pos.chatIds ?? [];
        const from = pos.next ?? 0;
        if (from >= chatIds.length) {
          await step({ phase: 'tags', pos: { unreadUsers: pos.unreadUsers, groupsComplete: pos.groupsComplete } });
          break;
        }
        const chunk = chatIds.slice(from, from + DETAIL_CHUNK);
        const details: GroupChat[] = [];
        for (const chatId of chunk) {
          const g = await tolerate('groups', () => readOrNothing(() => client.groupChats.get(chatId)));
          if (g) details.push(g);
        }
        await step({ pos: { ...pos, next: from + chunk.length }, done: from + chunk.length }, async (tx) => {
          for (const g of details) {
            const c = await applyGroupDetail(tx, corpId, g, cause());
            add('groups');
            add('groupMembers', g.member_list.length);
            if (c.created) add('groupsAdded');
          }
        });
        break;
      }

      case 'tags': {
        const library = await tolerate('tags', () => client.tags.list());
        await step({ phase: 'reconcile', pos: { unreadUsers: pos.unreadUsers, groupsComplete: pos.groupsComplete } }, async (tx) => {
          if (!library) return;
          const c = await applyTagLibrary(tx, corpId, library, true);
          add('tagGroups', c.groups);
          add('tags', c.tags);
        });
        break;
      }

      case 'reconcile': {
        await step({ phase: 'finished', pos: {} }, (tx) => reconcile(tx, corpId, job!.id, startedAt, pos, add, d.clock.now()));
        break;
      }
    }
  }
}

/**
 * What the ledger has and WeCom no longer has is ended with a history row —
 * never deleted. Only what this sync could read is judged, and nothing that
 * changed after the sync started (a callback may have added it since).
 */
async function reconcile(tx: Executor, corpId: string, jobId: number, startedAt: Date, pos: Position, add: (k: string, n?: number) => void, now: Date) {
  const cause: Cause = { cause: 'sync', syncJobId: jobId, at: now };
  const readUsers = await tx
    .select({ userId: employees.userId })
    .from(employees)
    .where(and(eq(employees.corpId, corpId), eq(employees.hasCustomerContact, true), ne(employees.status, 'departed')));
  const unread = new Set(pos.unreadUsers ?? []);
  const judged = readUsers.map((u) => u.userId).filter((u) => !unread.has(u));
  if (judged.length) {
    const missing = await tx
      .select({ userId: relations.userId, externalUserId: relations.externalUserId })
      .from(relations)
      .where(and(
        eq(relations.corpId, corpId), eq(relations.status, 'active'), inArray(relations.userId, judged),
        or(isNull(relations.lastSeenSyncId), ne(relations.lastSeenSyncId, jobId)),
        lt(relations.statusChangedAt, startedAt),
      ));
    for (const r of missing) {
      await endRelation(tx, corpId, r.userId, r.externalUserId, 'removed', cause, { reason: 'missing_from_wecom' });
      add('relationsRemoved');
    }
  }
  if (pos.groupsComplete) {
    const gone = await tx
      .select({ chatId: customerGroups.chatId })
      .from(customerGroups)
      .where(and(
        eq(customerGroups.corpId, corpId), inArray(customerGroups.status, ['active', 'owner_departed']),
        or(isNull(customerGroups.lastSeenSyncId), ne(customerGroups.lastSeenSyncId, jobId)),
        lt(customerGroups.updatedAt, startedAt),
      ));
    for (const g of gone) {
      await endGroup(tx, corpId, g.chatId, 'dismissed', cause);
      add('groupsRemoved');
    }
  }
}

