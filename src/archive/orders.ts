import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { jsonRows, textArray } from '../db/bulk';
import { rowsOf, type Executor } from '../db/connection';
import { isWholeCorp, type Scope } from '../db/scope';
import { knownContacts, ledgerSql } from '../ledger';
import { refreshOrderFacts } from './orderFacts';

export const ORDER_STATUSES = ['paid', 'refunded', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** A valid order, ready to store. */
export interface OrderInput {
  externalOrderId: string;
  externalUserId: string;
  /** Decimal text, ≥ 0, at most 2 decimals. */
  amount: string;
  currency: string;
  orderedAt: Date;
  status: OrderStatus;
  items?: unknown;
}

/** Why a row was rejected: it is not a valid order, its id came twice in one import, or its customer is not in the ledger. */
export type RejectCode = 'invalid_order' | 'duplicate_order' | 'unknown_customer';

export interface RejectedRow {
  /** Position in the input (0-based). */
  index: number;
  code: RejectCode;
  errors: string[];
}

export interface ImportSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}

export interface ImportOptions {
  /**
   * Keep orders whose customer the ledger does not know (yet) instead of
   * rejecting them: they match the customer by external userid once it
   * appears, and count in its scores from the next recompute. Only for the
   * whole corp: a narrower scope records orders only for its own customers
   * (keeping an "unknown" one would write for customers it cannot see).
   */
  allowUnknown?: boolean;
}

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;
// A date, or a date-time with a zone (a zone-less time would be read in the server's zone).
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const ID_MAX = 128;

const quoted = (v: unknown) => JSON.stringify(v) ?? String(v);
const required = (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : undefined);
const notAmount = (iss: { input?: unknown }) => required(iss) ?? `${quoted(iss.input)} is not a number ≥ 0 with at most 2 decimals`;
const notDate = (iss: { input?: unknown }) => required(iss) ?? `${quoted(iss.input)} is not an ISO-8601 date or date-time with a time zone`;
/** A parseable instant whose calendar date exists (Date would read 2024-02-31 as 2 March). */
const isRealDate = (v: string) => {
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return !Number.isNaN(new Date(v).getTime()) && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
};
const orderId = (what: string) =>
  z.string({ error: 'required' }).min(1, { error: 'required', abort: true }).max(ID_MAX, `longer than ${ID_MAX} characters`).describe(what);

/**
 * One order as the company's systems send it: an element of POST /api/orders,
 * a row of the CSV import. This schema is the check (validateOrderRow) and the
 * OpenAPI document's item schema. Before it, strings are trimmed, a number
 * amount becomes its decimal text, and an empty currency or status takes its
 * default (normalizeOrderRow).
 */
export const OrderRow = z.object({
  externalOrderId: orderId('Your order id; the import is idempotent by it.'),
  externalUserId: orderId("The customer's WeCom external_userid."),
  amount: z
    .union([z.string().regex(AMOUNT, { error: notAmount }), z.number().nonnegative({ error: notAmount })], { error: notAmount })
    .describe('Decimal text (or a JSON number) ≥ 0 with at most 2 decimals.'),
  currency: z
    .string({ error: (iss) => `${quoted(iss.input)} is not a 3-letter currency code` })
    .regex(CURRENCY, { error: (iss) => `${quoted(iss.input)} is not a 3-letter currency code` })
    .default('CNY')
    .describe('ISO 4217 code, upper case.'),
  orderedAt: z
    .string({ error: notDate })
    .min(1, { error: 'required', abort: true })
    .regex(ISO, { error: notDate, abort: true })
    .refine(isRealDate, { error: notDate })
    .describe('ISO-8601 date, or date-time with a time zone.'),
  status: z
    .enum(ORDER_STATUSES, { error: (iss) => `${quoted(iss.input)} is not one of ${ORDER_STATUSES.join(', ')}` })
    .default('paid')
    .describe('Only paid orders count for scores.'),
  items: z.unknown().optional().describe('Line items, stored as given (JSON).'),
});

/** The lenient part of reading a row: strings trimmed, blank or null fields absent (so defaults apply), number amounts as text. */
function normalizeOrderRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    const t = typeof v === 'string' ? v.trim() : v;
    if (t !== null && t !== '') out[k] = t;
  }
  if (typeof out.amount === 'number' && Number.isFinite(out.amount)) out.amount = String(out.amount);
  if (typeof out.currency === 'string') out.currency = out.currency.toUpperCase();
  return out;
}

/** Checks one raw row; every problem is named (`field: reason`). */
export function validateOrderRow(raw: unknown): { ok: true; order: OrderInput } | { ok: false; errors: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: ['row: must be an object'] };
  const parsed = OrderRow.safeParse(normalizeOrderRow(raw as Record<string, unknown>));
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`) };
  const o = parsed.data;
  return {
    ok: true,
    order: {
      externalOrderId: o.externalOrderId, externalUserId: o.externalUserId, amount: String(o.amount), currency: o.currency,
      orderedAt: new Date(o.orderedAt), status: o.status, ...(o.items !== undefined ? { items: o.items } : {}),
    },
  };
}

/**
 * Imports orders from the company's systems: each row is validated, good rows
 * are stored even when others are bad. Idempotent by the external order id:
 * one set-based upsert that touches a stored order only if something changed.
 * The same order id twice in one call is a rejected row (the later one), and
 * so is an order for a customer the ledger does not know, unless
 * `allowUnknown` (a typo in a customer id would otherwise vanish silently).
 * In a narrower scope than the corp, a customer out of scope is rejected
 * exactly like an unknown one (no existence oracle), and an existing order of
 * a customer out of scope is left as it is (counted unchanged).
 */
export async function importOrders(
  ex: Executor, scope: Scope, rows: readonly unknown[], source: 'api' | 'csv', opts: ImportOptions = {},
): Promise<ImportSummary> {
  const corpId = scope.corpId;
  const rejected: RejectedRow[] = [];
  const good = new Map<string, { index: number; order: OrderInput }>();
  rows.forEach((raw, index) => {
    const v = validateOrderRow(raw);
    if (!v.ok) rejected.push({ index, code: 'invalid_order', errors: v.errors });
    else if (good.has(v.order.externalOrderId)) {
      rejected.push({ index, code: 'duplicate_order', errors: [`externalOrderId: ${JSON.stringify(v.order.externalOrderId)} appears more than once in this import`] });
    } else good.set(v.order.externalOrderId, { index, order: v.order });
  });
  const summary = (counts: { inserted: number; updated: number; unchanged: number }): ImportSummary =>
    ({ ...counts, rejected: rejected.sort((a, b) => a.index - b.index) });
  if (good.size === 0) return summary({ inserted: 0, updated: 0, unchanged: 0 });

  return ex.transaction(async (tx) => {
    if (!opts.allowUnknown || !isWholeCorp(scope)) {
      const ids = [...new Set([...good.values()].map((g) => g.order.externalUserId))];
      const known = await knownContacts(tx, scope, ids);
      for (const [id, g] of good) {
        if (known.has(g.order.externalUserId)) continue;
        rejected.push({
          index: g.index, code: 'unknown_customer',
          errors: [`externalUserId: no customer ${JSON.stringify(g.order.externalUserId)} in the ledger (sync first, or import with allowUnknown to keep it)`],
        });
        good.delete(id);
      }
      if (good.size === 0) return summary({ inserted: 0, updated: 0, unchanged: 0 });
    }
    const input = [...good.values()].map(({ order: o }) => ({
      external_order_id: o.externalOrderId, external_user_id: o.externalUserId, amount: o.amount, currency: o.currency,
      ordered_at: o.orderedAt.toISOString(), status: o.status, items: o.items ?? null,
    }));
    // An update may move an order to another customer: the one it leaves needs its facts refreshed too.
    const before = rowsOf<{ external_user_id: string }>(await tx.execute(sql`
      select distinct external_user_id from orders where corp_id = ${corpId} and external_order_id = any(${textArray([...good.keys()])})`));
    const counts = await upsertOrders(tx, scope, input, source);
    if (counts.inserted + counts.updated > 0) {
      await refreshOrderFacts(tx, corpId, [...input.map((o) => o.external_user_id), ...before.map((r) => r.external_user_id)]);
    }
    return summary({ ...counts, unchanged: good.size - counts.inserted - counts.updated });
  });
}

type OrderRecord = {
  external_order_id: string; external_user_id: string; amount: string; currency: string; ordered_at: string; status: string; items: unknown;
};

async function upsertOrders(ex: Executor, scope: Scope, input: OrderRecord[], source: 'api' | 'csv'): Promise<{ inserted: number; updated: number }> {
  const corpId = scope.corpId;
  // xmax = 0 tells a fresh insert from an update; rows whose WHERE failed are not returned (unchanged).
  const [counts] = rowsOf<{ inserted: number; updated: number }>(await ex.execute(sql`
    with up as (
      insert into orders as o (corp_id, external_order_id, external_user_id, amount, currency, ordered_at, status, items, source)
      select ${corpId}, x.external_order_id, x.external_user_id, x.amount, x.currency, x.ordered_at, x.status, x.items, ${source}
      from jsonb_to_recordset(${jsonRows(input)}) as x(
        external_order_id text, external_user_id text, amount numeric, currency text, ordered_at timestamptz, status text, items jsonb)
      on conflict (corp_id, external_order_id) do update set
        external_user_id = excluded.external_user_id, amount = excluded.amount, currency = excluded.currency,
        ordered_at = excluded.ordered_at, status = excluded.status, items = coalesce(excluded.items, o.items),
        source = excluded.source, updated_at = now()
      where (o.external_user_id, o.amount, o.currency, o.ordered_at, o.status, o.items)
        is distinct from (excluded.external_user_id, excluded.amount, excluded.currency, excluded.ordered_at, excluded.status, coalesce(excluded.items, o.items))
        and ${ledgerSql.contactInScope(scope, sql.raw('o.external_user_id'))}
      returning (xmax = 0) as fresh
    )
    select count(*) filter (where fresh)::int as inserted, count(*) filter (where not fresh)::int as updated from up`));
  return { inserted: Number(counts?.inserted ?? 0), updated: Number(counts?.updated ?? 0) };
}
