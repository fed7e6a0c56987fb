import { and, eq, sql } from 'drizzle-orm';
import { addFollowUp, assertCustomer } from '../../archive';
import { rowsOf, type Db, type Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { ledgerSql } from '../../ledger';
import { conflict, notFound } from '../../lib/errors';
import { renderTemplate, type Rendered } from './render';
import { renderVarsFor } from './renderVars';
import { templateUses } from './schema';
import { liveTemplate, type TemplateRow } from './templates';

/**
 * Scope rule for rendering: templates are the company's (any caller reads them), but the customer rendered for
 * must be in the caller's scope and the rep (if named) one of its employees — else 404, as for an unknown one.
 */
async function assertRecipientInScope(ex: Executor, scope: Scope, to: { externalUserId: string; userId?: string }): Promise<void> {
  if (scope.userIds === null) return;
  if (to.userId !== undefined && !scope.coversEmployee(to.userId)) throw notFound(`employee ${to.userId}`);
  const [r] = rowsOf<{ ok: boolean }>(await ex.execute(sql`select ${ledgerSql.contactInScope(scope, sql`${to.externalUserId}::text`)} as ok`));
  if (!r?.ok) throw notFound(`customer ${to.externalUserId}`);
}

/** The template rendered for a customer (and rep) in the scope: what they would receive. Unknown or outside customer → not_found. */
export async function previewTemplate(ex: Executor, scope: Scope, id: number, to: { externalUserId: string; userId?: string }): Promise<Rendered & { template: TemplateRow }> {
  const corpId = scope.corpId;
  const template = await liveTemplate(ex, corpId, id);
  await assertRecipientInScope(ex, scope, to);
  await assertCustomer(ex, scope, to.externalUserId);
  const vars = await renderVarsFor(ex, corpId, to);
  return { template, ...renderTemplate(template, vars) };
}

export interface UseInput {
  externalUserId: string;
  userId: string;
  /** Record that the rep sent it: a follow-up (channel wecom_chat) with the rendered text. */
  recordFollowUp: boolean;
  /** Idempotency key: the same key answers the first use and records nothing more. */
  clientKey?: string;
}

export interface UseResult extends Rendered {
  template: TemplateRow;
  followUpId: number | null;
  /** This call repeated an earlier one with the same key. */
  replayed: boolean;
}

class KeyTaken extends Error {}

/**
 * A rep's quick reply: the template rendered for the customer, and — when
 * asked — a follow-up recording that the rep used it (template id noted).
 * With a client key the use happens once: a repeat (or a concurrent twin,
 * which waits on the key's unique index) answers the first use's follow-up
 * and text; the same key for another template, customer or rep is a conflict.
 */
export async function useTemplate(db: Db, scope: Scope, id: number, input: UseInput, now: Date): Promise<UseResult> {
  const corpId = scope.corpId;
  const template = await liveTemplate(db, corpId, id);
  await assertRecipientInScope(db, scope, input);
  const earlier = input.clientKey ? await byKey(db, corpId, input.clientKey) : undefined;
  if (earlier) return replay(db, corpId, template, input, earlier);
  await assertCustomer(db, scope, input.externalUserId);
  const rendered = renderTemplate(template, await renderVarsFor(db, corpId, input));
  if (!input.recordFollowUp) return { template, ...rendered, followUpId: null, replayed: false };
  try {
    const followUpId = await db.transaction(async (tx) => {
      const f = await addFollowUp(tx, scope, {
        externalUserId: input.externalUserId, userId: input.userId, channel: 'wecom_chat', content: rendered.text || `[${template.name}]`, templateId: id, at: now,
      });
      const inserted = await tx
        .insert(templateUses)
        .values({ corpId, clientKey: input.clientKey ?? null, templateId: id, userId: input.userId, externalUserId: input.externalUserId, followUpId: f.id, text: rendered.text })
        .onConflictDoNothing()
        .returning({ id: templateUses.id });
      if (inserted.length === 0) throw new KeyTaken(); // a twin with the same key committed first: undo ours
      return f.id;
    });
    return { template, ...rendered, followUpId, replayed: false };
  } catch (err) {
    if (!(err instanceof KeyTaken)) throw err;
    return replay(db, corpId, template, input, (await byKey(db, corpId, input.clientKey!))!);
  }
}

type UseRow = typeof templateUses.$inferSelect;

async function byKey(ex: Executor, corpId: string, key: string): Promise<UseRow | undefined> {
  const [row] = await ex.select().from(templateUses).where(and(eq(templateUses.corpId, corpId), eq(templateUses.clientKey, key)));
  return row;
}

async function replay(ex: Executor, corpId: string, template: TemplateRow, input: UseInput, earlier: UseRow): Promise<UseResult> {
  if (earlier.templateId !== template.id || earlier.externalUserId !== input.externalUserId || earlier.userId !== input.userId) {
    throw conflict(`clientKey ${input.clientKey} was already used for another template, customer or rep`);
  }
  const rendered = renderTemplate(template, await renderVarsFor(ex, corpId, input));
  return { template, ...rendered, text: earlier.text, followUpId: earlier.followUpId, replayed: true };
}
