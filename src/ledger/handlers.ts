import { and, eq } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import type { HandlerContext, HandlerRegistry } from '../events';
import { appTexts, type Locale } from '../notify';
import type { WeComEvent } from '../wecom/callback/events';
import type { CorpTagGroup, CustomerDetail, Department, GroupChat, User, WeComClient } from '../wecom/client';
import { employees, externalContacts } from './schema';
import { raiseAlert } from './writes/alerts';
import { applyDepartments, applyEmployee, markDeparted } from './writes/directory';
import { applyGroupDetail, endGroup } from './writes/groups';
import { applyRelations, endRelation, upsertContacts, type Cause } from './writes/relations';
import { applyTagLibrary } from './writes/tags';
import { contactFactsOf, relationFactsOf } from './writes/fromWecom';
import { readOrNothing } from './wecomReads';

const causeOf = (ctx: HandlerContext): Cause => ({ cause: 'callback', eventId: ctx.eventId, at: ctx.now });

async function nameOf(ex: Executor, corpId: string, table: 'employee' | 'contact', id: string): Promise<string> {
  if (table === 'employee') {
    const [r] = await ex.select({ name: employees.name }).from(employees).where(and(eq(employees.corpId, corpId), eq(employees.userId, id)));
    return r?.name || id;
  }
  const [r] = await ex.select({ name: externalContacts.name }).from(externalContacts).where(and(eq(externalContacts.corpId, corpId), eq(externalContacts.externalUserId, id)));
  return r?.name || '';
}

/**
 * The ledger's reactions to WeCom callbacks. WeCom reads happen in `prepare`
 * (outside the transaction); a read WeCom refuses degrades to what the event
 * itself says. Every handler is idempotent: a replay changes nothing twice.
 */
export function registerLedgerHandlers(registry: HandlerRegistry, client: WeComClient, locale: Locale): void {
  // A customer appeared, changed or half-added: read the pair's detail, record it.
  const relationSeen = {
    async prepare(e: WeComEvent): Promise<CustomerDetail | undefined> {
      if (e.kind !== 'external_contact') return undefined;
      return readOrNothing(() => client.customers.get(e.externalUserId));
    },
    async apply(tx: Executor, e: WeComEvent, detail: CustomerDetail | undefined, ctx: HandlerContext) {
      if (e.kind !== 'external_contact') return;
      const follow = detail?.follow_user.find((f) => f.userid === e.userId);
      if (detail) await upsertContacts(tx, ctx.corpId, [contactFactsOf(detail.external_contact)]);
      // The pair is only recorded if WeCom still has it (or we could not check).
      if (detail && !follow) return;
      const facts = follow
        ? relationFactsOf(e.externalUserId, follow)
        : { userId: e.userId, externalUserId: e.externalUserId, ...(e.state ? { state: e.state } : {}) };
      await applyRelations(tx, ctx.corpId, [facts], causeOf(ctx));
    },
  };
  for (const change of ['add_external_contact', 'add_half_external_contact', 'edit_external_contact']) {
    registry.on(`change_external_contact:${change}`, relationSeen);
  }

  registry.on('change_external_contact:del_external_contact', {
    async apply(tx, e, _p, ctx) {
      if (e.kind !== 'external_contact') return;
      if (e.source === 'DELETE_BY_TRANSFER') {
        await endRelation(tx, ctx.corpId, e.userId, e.externalUserId, 'transferred', causeOf(ctx), { source: e.source });
        return;
      }
      const { changed } = await endRelation(tx, ctx.corpId, e.userId, e.externalUserId, 'removed_by_rep', causeOf(ctx));
      if (!changed) return;
      const [rep, customer] = [await nameOf(tx, ctx.corpId, 'employee', e.userId), await nameOf(tx, ctx.corpId, 'contact', e.externalUserId)];
      await raiseAlert(tx, ctx.corpId, {
        kind: 'rep_deleted_customer', userId: e.userId, externalUserId: e.externalUserId, sourceKey: `event:${ctx.eventId}`,
        message: appTexts(locale).repDeletedCustomer({ rep, customer }),
      });
    },
  });

  registry.on('change_external_contact:del_follow_user', {
    async apply(tx, e, _p, ctx) {
      if (e.kind !== 'external_contact') return;
      const { changed } = await endRelation(tx, ctx.corpId, e.userId, e.externalUserId, 'removed_by_customer', causeOf(ctx));
      if (changed) {
        await raiseAlert(tx, ctx.corpId, { kind: 'customer_deleted_rep', userId: e.userId, externalUserId: e.externalUserId, sourceKey: `event:${ctx.eventId}` });
      }
    },
  });

  // Groups: re-read the whole group rather than trust the callback's member list.
  const groupChanged = {
    async prepare(e: WeComEvent): Promise<GroupChat | undefined> {
      if (e.kind !== 'external_chat') return undefined;
      return readOrNothing(() => client.groupChats.get(e.chatId));
    },
    async apply(tx: Executor, e: WeComEvent, detail: GroupChat | undefined, ctx: HandlerContext) {
      if (e.kind !== 'external_chat' || !detail) return;
      await applyGroupDetail(tx, ctx.corpId, detail, causeOf(ctx), { quitScene: e.quitScene });
    },
  };
  registry.on('change_external_chat:create', groupChanged);
  registry.on('change_external_chat:update', groupChanged);
  registry.on('change_external_chat:dismiss', {
    async apply(tx, e, _p, ctx) {
      if (e.kind === 'external_chat') await endGroup(tx, ctx.corpId, e.chatId, 'dismissed', causeOf(ctx));
    },
  });

  // Tags: the library is small; re-reading it whole also catches a group deleted with its tags.
  const tagsChanged = {
    prepare: (): Promise<CorpTagGroup[] | undefined> => readOrNothing(() => client.tags.list()),
    async apply(tx: Executor, _e: WeComEvent, library: CorpTagGroup[] | undefined, ctx: { corpId: string }) {
      if (library) await applyTagLibrary(tx, ctx.corpId, library, true);
    },
  };
  for (const change of ['create', 'update', 'delete', 'shuffle']) registry.on(`change_external_tag:${change}`, tagsChanged);

  // Employees.
  const employeeChanged = {
    async prepare(e: WeComEvent): Promise<User | undefined> {
      if (e.kind !== 'contact' || !e.userId) return undefined;
      const userId = e.newUserId ?? e.userId;
      return readOrNothing(() => client.directory.getUser(userId));
    },
    async apply(tx: Executor, e: WeComEvent, user: User | undefined, ctx: HandlerContext) {
      if (e.kind !== 'contact' || !e.userId) return;
      if (user?.status === 5) {
        await departed(tx, ctx, user.userid, locale);
        return;
      }
      await applyEmployee(tx, ctx.corpId, user ?? {
        userid: e.newUserId ?? e.userId,
        ...(e.name !== undefined ? { name: e.name } : {}),
        ...(e.departments ? { department: e.departments, is_leader_in_dept: e.isLeaderInDept } : {}),
        ...(e.mainDepartment !== undefined ? { main_department: e.mainDepartment } : {}),
        ...(e.position !== undefined ? { position: e.position } : {}),
        ...(e.status !== undefined ? { status: e.status } : {}),
      }, ctx.now);
    },
  };
  registry.on('change_contact:create_user', employeeChanged);
  registry.on('change_contact:update_user', employeeChanged);
  registry.on('change_contact:delete_user', {
    async apply(tx, e, _p, ctx) {
      if (e.kind === 'contact' && e.userId) await departed(tx, ctx, e.userId, locale);
    },
  });

  const departmentsChanged = {
    prepare: (): Promise<Department[] | undefined> => readOrNothing(() => client.directory.listDepartments()),
    async apply(tx: Executor, _e: WeComEvent, list: Department[] | undefined, ctx: { corpId: string }) {
      if (list) await applyDepartments(tx, ctx.corpId, list, true);
    },
  };
  for (const change of ['create_party', 'update_party', 'delete_party']) registry.on(`change_contact:${change}`, departmentsChanged);
}

async function departed(tx: Executor, ctx: HandlerContext, userId: string, locale: Locale): Promise<void> {
  const { corpId, eventId } = ctx;
  const d = await markDeparted(tx, corpId, userId, causeOf(ctx));
  if (!d.changed) return;
  const name = await nameOf(tx, corpId, 'employee', userId);
  await raiseAlert(tx, corpId, {
    kind: 'employee_departed', userId, sourceKey: `departed:${userId}:${eventId}`,
    detail: { relations: d.relationsFlagged, groups: d.groupsFlagged },
    message: appTexts(locale).employeeDeparted({ name, customers: d.relationsFlagged, groups: d.groupsFlagged }),
  });
}
