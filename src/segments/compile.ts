import { sql, type SQL } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import { corpScope, type Scope } from '../db/scope';
import { ledgerSql } from '../ledger';
import type { Condition, FieldCondition, RuleNode, SegmentRule } from './rules';

export interface CompileOptions {
  /** Also match disconnected customers — no live relation any more (the archive keeps them). */
  includeDisconnected?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * Compiles a parsed rule into ONE select of `external_user_id` from the
 * ledger's customers (alias `c`). Every user value is a bound parameter;
 * the only identifiers spliced in come from the fixed maps below. Each
 * condition is an EXISTS / NOT EXISTS correlated on (corp_id,
 * external_user_id), which the per-customer indexes answer directly.
 */
export function compileRule(scopeOrCorp: Scope | string, rule: SegmentRule, now: Date, opts: CompileOptions = {}): SQL {
  // A corp id (the archive's auto-tags, a worker) is the whole corp.
  const scope = typeof scopeOrCorp === 'string' ? corpScope(scopeOrCorp) : scopeOrCorp;
  const corpId = scope.corpId;
  const ctx: Ctx = { corp: corpId, now };
  // Only customers in the scope (`true` for the whole corp, which the planner drops).
  const inScope = ledgerSql.contactInScope(scope, sql.raw('c.external_user_id'));
  const where = scope.userIds === null ? node(rule, ctx) : sql`(${node(rule, ctx)}) and ${inScope}`;
  // Connected = a live relation (active, or awaiting handover).
  return ledgerSql.customersWhere(corpId, where, { connectedOnly: !(opts.includeDisconnected || rule.includeDisconnected) });
}

interface Ctx {
  corp: string;
  now: Date;
}

function node(n: RuleNode, ctx: Ctx): SQL {
  if ('all' in n) return n.all.length ? sql`(${sql.join(allOf(n.all, ctx), sql` and `)})` : sql`true`;
  if ('any' in n) return n.any.length ? sql`(${sql.join(n.any.map((c) => node(c, ctx)), sql` or `)})` : sql`false`;
  if ('not' in n) return sql`(not ${node(n.not, ctx)})`;
  return condition(n, ctx);
}

/**
 * The parts of an `all`. Conditions that each ask for a customer_scores row
 * with some property become ONE EXISTS over that row — equivalent, since a
 * customer has at most one such row — so the planner joins the table once.
 */
function allOf(children: RuleNode[], ctx: Ctx): SQL[] {
  const onScores = children.map((c) => scoresRowPredicate(c, ctx));
  const merged = onScores.filter((p): p is SQL => p !== undefined);
  if (merged.length < 2) return children.map((c) => node(c, ctx));
  const rest = children.filter((_, i) => onScores[i] === undefined).map((c) => node(c, ctx));
  return [sql`exists (select 1 from ${scoresOf(ctx)} and ${sql.join(merged, sql` and `)})`, ...rest];
}

/** P when the condition means exactly "the customer's scores row satisfies P" (alias s); otherwise undefined. */
function scoresRowPredicate(n: RuleNode, ctx: Ctx): SQL | undefined {
  if ('tier' in n) return n.tier.in.includes('none') ? undefined : sql`s.tier = any(${textArray(n.tier.in)})`;
  if ('score' in n) {
    const preds: SQL[] = [];
    for (const k of ['r', 'f', 'm'] as const) {
      const r = n.score[k];
      if (!r) continue;
      const col = SCORE_COLUMN[k];
      if (r.gte !== undefined) preds.push(sql`${col} >= ${r.gte}::int`);
      if (r.lte !== undefined) preds.push(sql`${col} <= ${r.lte}::int`);
      if (r.eq !== undefined) preds.push(sql`${col} = ${r.eq}::int`);
    }
    return sql.join(preds, sql` and `);
  }
  if ('lastOrder' in n) {
    const r = n.lastOrder;
    if ('withinDays' in r) return sql`s.last_order_at >= ${cutoff(ctx, r.withinDays)}`;
    if ('olderThanDays' in r) return sql`s.last_order_at < ${cutoff(ctx, r.olderThanDays)}`;
    return undefined;
  }
  if ('orderCount' in n && !zeroMatches(n.orderCount)) return between(sql.raw('s.frequency'), n.orderCount.gte, n.orderCount.lte, 'bigint');
  if ('totalSpend' in n && !zeroMatches(n.totalSpend)) return between(sql.raw('s.monetary'), n.totalSpend.gte, n.totalSpend.lte, 'numeric');
  return undefined;
}

/** Whether a range admits 0 (a customer with no paid order). */
const zeroMatches = (r: { gte?: number; lte?: number }) => (r.gte === undefined || r.gte <= 0) && (r.lte === undefined || r.lte >= 0);

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const cutoff = (ctx: Ctx, days: number) => ts(new Date(ctx.now.getTime() - days * DAY_MS));
const intArray = (values: readonly number[]) => sql`${textArray(values.map(String))}::int[]`;

/** The candidate customer, as every condition correlates on it. */
const CUSTOMER = sql.raw('c.external_user_id');
/** Whether the customer has a relation satisfying every predicate. */
const hasRelation = (ctx: Ctx, ...where: SQL[]) => ledgerSql.hasRelation(ctx.corp, CUSTOMER, ...where);
const rel = ledgerSql.relation;
const interactionsOf = (ctx: Ctx) => sql`interactions i where i.corp_id = ${ctx.corp} and i.external_user_id = c.external_user_id`;
const scoresOf = (ctx: Ctx) => sql`customer_scores s where s.corp_id = ${ctx.corp} and s.external_user_id = c.external_user_id`;

/** Whitelisted score columns. */
const SCORE_COLUMN = { r: sql.raw('s.r'), f: sql.raw('s.f'), m: sql.raw('s.m') } as const;

function condition(n: Condition, ctx: Ctx): SQL {
  if ('tag' in n) {
    const t = n.tag;
    const tagged = (tags: string[]) => hasRelation(ctx, rel.active, rel.taggedAny(ctx.corp, tags));
    if ('hasAny' in t) return tagged(t.hasAny);
    if ('hasNone' in t) return sql`not ${tagged(t.hasNone)}`;
    // hasAll: one EXISTS per distinct tag (a tag may sit on different relations of the customer).
    return sql`(${sql.join([...new Set(t.hasAll)].map((tag) => tagged([tag])), sql` and `)})`;
  }
  if ('stage' in n) {
    return sql`exists (select 1 from customer_stages st where st.corp_id = ${ctx.corp} and st.external_user_id = c.external_user_id and st.stage = any(${textArray(n.stage.in)}))`;
  }
  const onScores = scoresRowPredicate(n, ctx);
  if (onScores) return sql`exists (select 1 from ${scoresOf(ctx)} and ${onScores})`;
  if ('score' in n) throw new Error('score conditions always compile through scoresRowPredicate');
  if ('tier' in n) {
    // No scores row means no orders were ever scored: that is tier 'none'.
    return sql`(exists (select 1 from ${scoresOf(ctx)} and s.tier = any(${textArray(n.tier.in)})) or not exists (select 1 from ${scoresOf(ctx)}))`;
  }
  if ('owner' in n) {
    return hasRelation(ctx, rel.active, rel.ownedBy(n.owner.in));
  }
  if ('department' in n) {
    const depts = n.department.includeChildren
      ? ledgerSql.departmentsWithChildren(ctx.corp, intArray(n.department.in))
      : intArray(n.department.in);
    return hasRelation(ctx, rel.active, rel.repInDepartments(ctx.corp, depts));
  }
  if ('channel' in n) {
    // The channel a customer came through, on any of their relations (also ended ones).
    return hasRelation(ctx, rel.cameThrough(n.channel.in));
  }
  if ('inGroup' in n) {
    const g = n.inGroup;
    return ledgerSql.inLiveGroup(ctx.corp, CUSTOMER, 'chatIds' in g ? g.chatIds : undefined);
  }
  // What scoresRowPredicate did not take: no paid order ever, or a range that admits 0 (no facts row = 0).
  if ('lastOrder' in n) return sql`not exists (select 1 from ${scoresOf(ctx)} and s.last_order_at is not null)`;
  if ('lastInteraction' in n) return recency(n.lastInteraction, interactionsOf(ctx), sql.raw('i.at'), ctx);
  if ('added' in n) {
    // "Added" is the first relation: within N days means no relation was added before the cutoff.
    const a = n.added;
    if ('withinDays' in a) {
      const c = cutoff(ctx, a.withinDays);
      return sql`(${hasRelation(ctx, rel.addedSince(c))} and not ${hasRelation(ctx, rel.addedBefore(c))})`;
    }
    return hasRelation(ctx, rel.addedBefore(cutoff(ctx, a.olderThanDays)));
  }
  if ('orderCount' in n) return orWithoutFacts(between(sql.raw('s.frequency'), n.orderCount.gte, n.orderCount.lte, 'bigint'), ctx);
  if ('totalSpend' in n) return orWithoutFacts(between(sql.raw('s.monetary'), n.totalSpend.gte, n.totalSpend.lte, 'numeric'), ctx);
  return field(n.field, ctx);
}

function between(expr: SQL, gte: number | undefined, lte: number | undefined, type: 'bigint' | 'numeric'): SQL {
  const cast = sql.raw(type);
  const preds: SQL[] = [];
  if (gte !== undefined) preds.push(sql`${expr} >= ${String(gte)}::${cast}`);
  if (lte !== undefined) preds.push(sql`${expr} <= ${String(lte)}::${cast}`);
  return sql`(${sql.join(preds, sql` and `)})`;
}

/*
 * Order conditions read the live order facts in customer_scores (kept current
 * by every order import): one row per customer, which the planner can hash
 * join, instead of aggregating orders per candidate. No row = no paid order.
 */
const orWithoutFacts = (pred: SQL, ctx: Ctx) =>
  sql`(exists (select 1 from ${scoresOf(ctx)} and ${pred}) or not exists (select 1 from ${scoresOf(ctx)}))`;

function recency(
  r: { olderThanDays: number } | { withinDays: number } | { never: true },
  from: SQL,
  at: SQL,
  ctx: Ctx,
): SQL {
  if ('never' in r) return sql`not exists (select 1 from ${from})`;
  if ('withinDays' in r) return sql`exists (select 1 from ${from} and ${at} >= ${cutoff(ctx, r.withinDays)})`;
  // Older than N days: there is one, and none since the cutoff.
  const c = cutoff(ctx, r.olderThanDays);
  return sql`(exists (select 1 from ${from}) and not exists (select 1 from ${from} and ${at} >= ${c}))`;
}

/** A value that reads as a number, or null. */
function asNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}
const asDate = (v: unknown): string | null => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
const asText = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/**
 * Custom fields, typed by their definition (f.type): numbers compare as
 * numbers, dates as dates ('YYYY-MM-DD' compares in date order as text, and
 * never fails to cast), multi_select values are arrays. Every cast sits
 * behind a CASE on the JSON type so a malformed stored value is a non-match,
 * never a query error.
 */
function field(fc: FieldCondition, ctx: Ctx): SQL {
  const from = sql`custom_field_values v join custom_fields f on f.corp_id = v.corp_id and f.id = v.field_id
    where v.corp_id = ${ctx.corp} and v.external_user_id = c.external_user_id and f.key = ${fc.key} and f.archived_at is null`;
  const has = (pred: SQL) => sql`exists (select 1 from ${from} and ${pred})`;
  const text = sql`(v.value #>> '{}')`;
  const isNum = sql`jsonb_typeof(v.value) = 'number'`;
  const isStr = sql`jsonb_typeof(v.value) = 'string'`;
  const isArr = sql`jsonb_typeof(v.value) = 'array'`;
  const num = sql`(v.value)::numeric`;
  const date = sql`left(${text}, 10)`;

  const compare = (op: SQL, value: unknown): SQL => {
    const n = asNumber(value);
    const d = asDate(value);
    const byNum = n === null ? sql`false` : sql`case when ${isNum} then ${num} ${op} ${String(n)}::numeric else false end`;
    const byDate = d === null ? sql`false` : sql`case when ${isStr} and ${text} ~ '^\\d{4}-\\d{2}-\\d{2}' then ${date} ${op} ${d} else false end`;
    return sql`case f.type when 'number' then ${byNum} when 'date' then ${byDate} else false end`;
  };

  const equals = (value: unknown): SQL => {
    const n = asNumber(value);
    const byNum = n === null ? sql`false` : sql`case when ${isNum} then ${num} = ${String(n)}::numeric else false end`;
    const s = asText(value);
    return sql`case f.type
      when 'number' then ${byNum}
      when 'multi_select' then case when ${isArr} then v.value @> jsonb_build_array(${s}::text) else false end
      when 'date' then case when ${isStr} then ${date} = ${s} else false end
      else case when ${isArr} then false else ${text} = ${s} end end`;
  };

  switch (fc.op) {
    case 'eq':
      return has(equals(fc.value));
    case 'neq':
      // Not equal includes customers with no value for the field.
      return sql`not ${has(equals(fc.value))}`;
    case 'gt':
    case 'after':
      return has(compare(sql.raw('>'), fc.value));
    case 'gte':
      return has(compare(sql.raw('>='), fc.value));
    case 'lt':
    case 'before':
      return has(compare(sql.raw('<'), fc.value));
    case 'lte':
      return has(compare(sql.raw('<='), fc.value));
    case 'contains':
      // multi_select: the array holds the value; text: a case-insensitive substring (strpos, so % and _ are plain characters).
      return has(sql`case when ${isArr} then v.value @> jsonb_build_array(${fc.value}::text)
        when ${isStr} then strpos(lower(${text}), lower(${fc.value}::text)) > 0 else false end`);
    case 'in': {
      const texts = fc.value.map(asText);
      const nums = fc.value.map(asNumber).filter((x): x is number => x !== null).map(String);
      const byNum = nums.length ? sql`case when ${isNum} then ${num} = any(${textArray(nums)}::numeric[]) else false end` : sql`false`;
      return has(sql`case f.type
        when 'number' then ${byNum}
        when 'multi_select' then case when ${isArr} then v.value ?| ${textArray(texts)} else false end
        when 'date' then case when ${isStr} then ${date} = any(${textArray(texts)}) else false end
        else case when ${isArr} then false else ${text} = any(${textArray(texts)}) end end`);
    }
    case 'isSet':
      return has(setValue);
    case 'notSet':
      return sql`not ${has(setValue)}`;
  }
}

/** A value counts as set unless it is JSON null, an empty string or an empty array. */
const setValue = sql`v.value <> 'null'::jsonb and v.value <> '""'::jsonb and v.value <> '[]'::jsonb`;
