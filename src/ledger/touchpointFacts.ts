import { sql } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import { rowsOf, type Executor } from '../db/connection';

/** What the ledger knows that touchpoints (templates, channels, welcome) need; touchpoints never read ledger tables themselves. */

export interface TemplateFacts {
  /** The ledger has this customer (any relation state). */
  customerKnown: boolean;
  customerName: string | null;
  corpName: string | null;
  /** The rep's remark on the customer (with no rep: the latest non-empty remark any rep gave). */
  remark: string | null;
  repName: string | null;
  repPosition: string | null;
}

/** Names for rendering a template for one customer and rep. */
export async function templateFacts(ex: Executor, corpId: string, ids: { externalUserId?: string; userId?: string }): Promise<TemplateFacts> {
  const out: TemplateFacts = { customerKnown: false, customerName: null, corpName: null, remark: null, repName: null, repPosition: null };
  if (ids.externalUserId) {
    const pair = ids.userId ? sql`and r.user_id = ${ids.userId}` : sql`and coalesce(r.remark, '') <> ''`;
    const [c] = rowsOf<{ name: string; corp_name: string | null; remark: string | null }>(await ex.execute(sql`
      select c.name, c.corp_name,
             (select r.remark from relations r where r.corp_id = c.corp_id and r.external_user_id = c.external_user_id ${pair}
              order by r.updated_at desc limit 1) as remark
      from external_contacts c where c.corp_id = ${corpId} and c.external_user_id = ${ids.externalUserId}`));
    if (c) Object.assign(out, { customerKnown: true, customerName: c.name || null, corpName: c.corp_name || null, remark: c.remark || null });
  }
  if (ids.userId) {
    const [e] = rowsOf<{ name: string; position: string | null }>(await ex.execute(sql`
      select name, position from employees where corp_id = ${corpId} and user_id = ${ids.userId}`));
    if (e) Object.assign(out, { repName: e.name || null, repPosition: e.position || null });
  }
  return out;
}

/** The ids among these that are live corp tags. */
export async function liveTagIds(ex: Executor, corpId: string, tagIds: string[]): Promise<Set<string>> {
  if (tagIds.length === 0) return new Set();
  const rows = rowsOf<{ tag_id: string }>(await ex.execute(sql`
    select tag_id from tags where corp_id = ${corpId} and deleted_at is null and tag_id = any(${textArray([...new Set(tagIds)])})`));
  return new Set(rows.map((r) => r.tag_id));
}

/** Relations that came through one contact-way `state`, by what became of them. */
export interface StateRelationStats {
  adds: number;
  active: number;
  removedByCustomer: number;
  removedByRep: number;
  /** Gone from WeCom, side unknown (found by reconciliation). */
  removedOther: number;
  /** Moved to another rep by a handover (the customer stayed with the corp). */
  transferred: number;
  awaitingHandover: number;
  /** Added at least `days` days before `now`… */
  addedBeforeWindow: number;
  /** …and of those, still active (or awaiting handover). */
  stillActiveAfterWindow: number;
}

/** Per-state counts over the relations whose follow state is one of `states`. */
export async function relationStatsByState(ex: Executor, corpId: string, states: string[], now: Date, days = 30): Promise<Map<string, StateRelationStats>> {
  const out = new Map<string, StateRelationStats>();
  if (states.length === 0) return out;
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const rows = rowsOf<Record<string, string | number>>(await ex.execute(sql`
    select state,
           count(*)::int as adds,
           count(*) filter (where status = 'active')::int as active,
           count(*) filter (where status = 'removed_by_customer')::int as removed_by_customer,
           count(*) filter (where status = 'removed_by_rep')::int as removed_by_rep,
           count(*) filter (where status = 'removed')::int as removed_other,
           count(*) filter (where status = 'transferred')::int as transferred,
           count(*) filter (where status = 'awaiting_handover')::int as awaiting_handover,
           count(*) filter (where added_at <= ${cutoff}::timestamptz)::int as added_before,
           count(*) filter (where added_at <= ${cutoff}::timestamptz and status in ('active', 'awaiting_handover'))::int as still_active
    from relations
    where corp_id = ${corpId} and state = any(${textArray(states)})
    group by state`));
  for (const r of rows) {
    out.set(String(r.state), {
      adds: Number(r.adds), active: Number(r.active), removedByCustomer: Number(r.removed_by_customer), removedByRep: Number(r.removed_by_rep),
      removedOther: Number(r.removed_other), transferred: Number(r.transferred), awaitingHandover: Number(r.awaiting_handover),
      addedBeforeWindow: Number(r.added_before), stillActiveAfterWindow: Number(r.still_active),
    });
  }
  return out;
}
