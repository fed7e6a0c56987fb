import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import { rowsOf, type Db, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { contactNames, employeeStates, ledgerSql } from '../ledger';
import { AppError } from '../lib/errors';
import { appTexts, enqueueAppMessage, type Locale } from '../notify';
import { assertAuthorInScope, assertCustomer } from './customers';
import { followUps } from './schema';

export const FOLLOW_UP_CHANNELS = ['wecom_chat', 'phone', 'visit', 'email', 'other'] as const;
export type FollowUpChannel = (typeof FOLLOW_UP_CHANNELS)[number];
export type FollowUpRow = typeof followUps.$inferSelect;

export interface FollowUpInput {
  externalUserId: string;
  /** The rep who followed up. */
  userId: string;
  at?: Date;
  channel: FollowUpChannel;
  content: string;
  /** With a date the note becomes a reminder to its rep when due. */
  nextFollowUpAt?: Date | null;
  /** The template the rep used, when the note records one (touchpoints). */
  templateId?: number | null;
}

/**
 * A follow-up's author is an employee the ledger knows and who has not left:
 * the note is theirs on the timeline and its reminder is sent to them. A
 * departed employee can neither follow up nor be reminded (their customers
 * are being handed over), so even a backdated note is refused; a disabled
 * account is still an employee and may be named.
 */
async function assertAuthor(ex: Executor, corpId: string, userId: string): Promise<void> {
  const employee = (await employeeStates(ex, corpId, [userId])).get(userId);
  if (!employee) throw new AppError('unknown_employee', `userId: ${userId} is not an employee of this corp`, { userId });
  if (employee.status === 'departed') {
    throw new AppError('employee_departed', `userId: ${userId} has left the company and cannot author a new follow-up`, { userId });
  }
}

/**
 * Records a follow-up; 404 for a customer the ledger does not know or that is
 * out of scope, 404 for an author out of scope (a rep writes only as
 * themself), 400 unknown_employee / employee_departed for its author.
 */
export async function addFollowUp(ex: Executor, scope: Scope, f: FollowUpInput): Promise<FollowUpRow> {
  const corpId = scope.corpId;
  await assertCustomer(ex, scope, f.externalUserId);
  assertAuthorInScope(scope, f.userId);
  await assertAuthor(ex, corpId, f.userId);
  const [row] = await ex
    .insert(followUps)
    .values({
      corpId, externalUserId: f.externalUserId, userId: f.userId, channel: f.channel, content: f.content,
      nextFollowUpAt: f.nextFollowUpAt ?? null, templateId: f.templateId ?? null, ...(f.at ? { at: f.at } : {}),
    })
    .returning();
  return row!;
}

/** A customer's follow-ups, newest first (keyset on id); none for a customer out of scope. */
export async function listFollowUps(ex: Executor, scope: Scope, externalUserId: string, q: { before?: number; limit: number }): Promise<FollowUpRow[]> {
  const conds = [
    eq(followUps.corpId, scope.corpId), eq(followUps.externalUserId, externalUserId), ledgerSql.contactInScope(scope, sql`${followUps.externalUserId}`),
  ];
  if (q.before !== undefined) conds.push(lt(followUps.id, q.before));
  return ex.select().from(followUps).where(and(...conds)).orderBy(desc(followUps.id)).limit(q.limit);
}

/** Due notes claimed per run; the rest wait for the next run. */
export const REMIND_BATCH = 5000;
const MAX_LISTED = 30;

/**
 * For due follow-ups not yet reminded: ONE app message per rep listing their
 * due customers. Exactly once: the notes are claimed FOR UPDATE SKIP LOCKED
 * (a second instance skips them) and marked reminded in the transaction that
 * enqueues the message, so they commit together.
 */
export async function remindDueFollowUps(db: Db, corpId: string, now: Date, locale: Locale): Promise<{ reps: number; notes: number }> {
  return db.transaction(async (tx) => {
    const due = rowsOf<{ id: string; user_id: string; external_user_id: string; next_follow_up_at: string }>(await tx.execute(sql`
      select id, user_id, external_user_id, next_follow_up_at from follow_ups
      where corp_id = ${corpId} and reminded_at is null and next_follow_up_at is not null and next_follow_up_at <= ${now.toISOString()}::timestamptz
      order by next_follow_up_at, id
      limit ${REMIND_BATCH}
      for update skip locked`));
    if (due.length === 0) return { reps: 0, notes: 0 };
    const names = await contactNames(tx, corpId, due.map((d) => d.external_user_id));
    const byRep = new Map<string, typeof due>();
    for (const d of due) byRep.set(d.user_id, [...(byRep.get(d.user_id) ?? []), d]);
    for (const [userId, notes] of byRep) {
      const customers = [...new Set(notes.map((n) => n.external_user_id))];
      const listed = customers.slice(0, MAX_LISTED).map((c) => names.get(c) ?? c);
      const ids = notes.map((n) => Number(n.id));
      await enqueueAppMessage(tx, corpId, {
        toUserIds: [userId],
        purpose: 'follow_up_reminder',
        // Each note is reminded once, so its smallest id names this message for good.
        sourceKey: `follow_up_due:${userId}:${Math.min(...ids)}`,
        content: appTexts(locale).followUpsDue({ customers: customers.length, listed }),
        detail: { followUpIds: ids, externalUserIds: customers },
      });
    }
    await tx.execute(sql`
      update follow_ups set reminded_at = ${now.toISOString()}::timestamptz
      where corp_id = ${corpId} and id = any(${textArray(due.map((d) => String(d.id)))}::bigint[])`);
    return { reps: byRep.size, notes: due.length };
  });
}
