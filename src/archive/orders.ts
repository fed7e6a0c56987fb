import { sql } from 'drizzle-orm';
import { jsonRows, textArray } from '../db/bulk';
import { rowsOf, type Executor } from '../db/connection';
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

export interface RejectedRow {
  /** Position in the input (0-based). */
  index: number;
  errors: string[];
}

export interface ImportSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const CURRENCY = /^[A-Z]{3}$/;
// A date, or a date-time with a zone (a zone-less time would be read in the server's zone).
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const ID_MAX = 128;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : undefined);

/** Checks one raw row; every problem is named (`field: reason`). */
export function validateOrderRow(raw: unknown): { ok: true; order: OrderInput } | { ok: false; errors: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: ['row: must be an object'] };
  const r = raw as Record<string, unknown>;
  const errors: string[] = [];
  const id = (name: 'externalOrderId' | 'externalUserId') => {
    const v = r[name];
    if (typeof v !== 'string' || v.trim() === '') errors.push(`${name}: required`);
    else if (v.trim().length > ID_MAX) errors.push(`${name}: longer than ${ID_MAX} characters`);
    return typeof v === 'string' ? v.trim() : '';
  };
  const externalOrderId = id('externalOrderId');
  const externalUserId = id('externalUserId');

  const amount = text(r.amount);
  if (amount === undefined || amount === '') errors.push('amount: required');
  else if (!AMOUNT.test(amount)) errors.push(`amount: ${JSON.stringify(amount)} is not a number ≥ 0 with at most 2 decimals`);

  const currency = r.currency === undefined || r.currency === null || r.currency === '' ? 'CNY' : text(r.currency)?.toUpperCase();
  if (!currency || !CURRENCY.test(currency)) errors.push(`currency: ${JSON.stringify(r.currency)} is not a 3-letter currency code`);

  const at = text(r.orderedAt);
  const orderedAt = at && ISO.test(at) ? new Date(at) : undefined;
  if (at === undefined || at === '') errors.push('orderedAt: required');
  else if (!orderedAt || Number.isNaN(orderedAt.getTime())) errors.push(`orderedAt: ${JSON.stringify(at)} is not an ISO-8601 date or date-time with a time zone`);

  const status = r.status === undefined || r.status === null || r.status === '' ? 'paid' : text(r.status);
  if (!ORDER_STATUSES.includes(status as OrderStatus)) errors.push(`status: ${JSON.stringify(r.status)} is not one of ${ORDER_STATUSES.join(', ')}`);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    order: {
      externalOrderId, externalUserId, amount: amount!, currency: currency!, orderedAt: orderedAt!, status: status as OrderStatus,
      ...(r.items !== undefined && r.items !== null ? { items: r.items } : {}),
    },
  };
}

/**
 * Imports orders from the company's systems: each row is validated, good rows
 * are stored even when others are bad. Idempotent by the external order id:
 * one set-based upsert that touches a stored order only if something changed.
 * The same order id twice in one call is a rejected row (the later one).
 */
export async function importOrders(ex: Executor, corpId: string, rows: readonly unknown[], source: 'api' | 'csv'): Promise<ImportSummary> {
  const rejected: RejectedRow[] = [];
  const good = new Map<string, OrderInput>();
  rows.forEach((raw, index) => {
    const v = validateOrderRow(raw);
    if (!v.ok) rejected.push({ index, errors: v.errors });
    else if (good.has(v.order.externalOrderId)) rejected.push({ index, errors: [`externalOrderId: ${JSON.stringify(v.order.externalOrderId)} appears more than once in this import`] });
    else good.set(v.order.externalOrderId, v.order);
  });
  if (good.size === 0) return { inserted: 0, updated: 0, unchanged: 0, rejected };

  const input = [...good.values()].map((o) => ({
    external_order_id: o.externalOrderId, external_user_id: o.externalUserId, amount: o.amount, currency: o.currency,
    ordered_at: o.orderedAt.toISOString(), status: o.status, items: o.items ?? null,
  }));
  return ex.transaction(async (tx) => {
    // An update may move an order to another customer: the one it leaves needs its facts refreshed too.
    const before = rowsOf<{ external_user_id: string }>(await tx.execute(sql`
      select distinct external_user_id from orders where corp_id = ${corpId} and external_order_id = any(${textArray([...good.keys()])})`));
    const counts = await upsertOrders(tx, corpId, input, source);
    if (counts.inserted + counts.updated > 0) {
      await refreshOrderFacts(tx, corpId, [...input.map((o) => o.external_user_id), ...before.map((r) => r.external_user_id)]);
    }
    return { ...counts, unchanged: good.size - counts.inserted - counts.updated, rejected };
  });
}

type OrderRecord = {
  external_order_id: string; external_user_id: string; amount: string; currency: string; ordered_at: string; status: string; items: unknown;
};

async function upsertOrders(ex: Executor, corpId: string, input: OrderRecord[], source: 'api' | 'csv'): Promise<{ inserted: number; updated: number }> {
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
      returning (xmax = 0) as fresh
    )
    select count(*) filter (where fresh)::int as inserted, count(*) filter (where not fresh)::int as updated from up`));
  return { inserted: Number(counts?.inserted ?? 0), updated: Number(counts?.updated ?? 0) };
}
