import { sql } from 'drizzle-orm';
import { jsonRows } from '../db/bulk';
import type { Executor } from '../db/connection';
import type { HandlerContext, HandlerRegistry } from '../events';
import type { WeComEvent } from '../wecom/callback/events';

export type InteractionKind = 'message' | 'group_join' | 'group_leave' | 'relation_added' | 'relation_removed';

interface InteractionFact {
  externalUserId: string;
  userId: string | null;
  kind: InteractionKind;
  detail: Record<string, unknown>;
}

/** External (customer) userids start with wm / wo; employees' userids do not. */
const isCustomerId = (id: string | undefined): id is string => !!id && /^w[mo][A-Za-z0-9_-]{6,}$/.test(id);

/** What one event says about customers' interactions (pure). */
export function interactionsOf(event: WeComEvent): InteractionFact[] {
  switch (event.kind) {
    case 'external_contact': {
      const c = event.changeType;
      if (c === 'add_external_contact') {
        return [{ externalUserId: event.externalUserId, userId: event.userId, kind: 'relation_added', detail: { change: c, ...(event.state ? { state: event.state } : {}) } }];
      }
      if (c === 'del_external_contact' || c === 'del_follow_user') {
        return [{ externalUserId: event.externalUserId, userId: event.userId, kind: 'relation_removed', detail: { change: c, ...(event.source ? { source: event.source } : {}) } }];
      }
      return [];
    }
    case 'external_chat': {
      // Only when the callback itself names the members that changed.
      if (event.changeType !== 'update') return [];
      const kind = event.updateDetail === 'add_member' ? 'group_join' : event.updateDetail === 'del_member' ? 'group_leave' : undefined;
      if (!kind) return [];
      return [...new Set(event.memChangeList.filter(isCustomerId))].map((id) => ({
        externalUserId: id, userId: null, kind,
        detail: { chatId: event.chatId, ...(kind === 'group_join' ? { joinScene: event.joinScene } : { quitScene: event.quitScene }) },
      }));
    }
    case 'message':
      // A plain message counts only if its sender is a customer.
      return isCustomerId(event.fromUserName)
        ? [{ externalUserId: event.fromUserName, userId: null, kind: 'message', detail: { msgType: event.msgType, ...(event.msgId ? { msgId: event.msgId } : {}) } }]
        : [];
    default:
      return [];
  }
}

/**
 * Records the interactions an event names, once per (event, customer, kind):
 * a replayed event adds nothing. Runs in the event's transaction.
 */
export async function recordInteractionsFor(tx: Executor, event: WeComEvent, ctx: Pick<HandlerContext, 'corpId' | 'eventId'>): Promise<number> {
  const facts = interactionsOf(event);
  if (facts.length === 0) return 0;
  const at = new Date(event.createTime * 1000).toISOString();
  const rows = facts.map((f) => ({ external_user_id: f.externalUserId, user_id: f.userId, kind: f.kind, detail: f.detail }));
  const res = await tx.execute(sql`
    insert into interactions (corp_id, external_user_id, user_id, kind, at, source_event_id, detail)
    select ${ctx.corpId}, x.external_user_id, x.user_id, x.kind, ${at}::timestamptz, ${ctx.eventId}, x.detail
    from jsonb_to_recordset(${jsonRows(rows)}) as x(external_user_id text, user_id text, kind text, detail jsonb)
    on conflict (corp_id, source_event_id, external_user_id, kind) do nothing`);
  return (res as { rowCount?: number; affectedRows?: number }).rowCount ?? (res as { affectedRows?: number }).affectedRows ?? 0;
}

export const INTERACTION_KEYS = [
  'change_external_contact:add_external_contact',
  'change_external_contact:del_external_contact',
  'change_external_contact:del_follow_user',
  'change_external_chat:update',
  'message:text',
] as const;

/** The archive's event handlers (the registry runs several per key, after the ledger's). */
export function registerArchiveHandlers(registry: HandlerRegistry): void {
  const handler = {
    async apply(tx: Executor, event: WeComEvent, _p: unknown, ctx: HandlerContext) {
      await recordInteractionsFor(tx, event, ctx);
    },
  };
  for (const key of INTERACTION_KEYS) registry.on(key, handler);
}
