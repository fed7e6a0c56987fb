import { z } from 'zod';
import { AppError } from '../lib/errors';

/**
 * The segment rule language: JSON, validated here, compiled to one SQL query
 * by compile.ts. A node is either a group (`all` / `any` / `not`) or exactly
 * one condition. Errors name the path of the offending value
 * (`all[2].field.op: …`) so a console can point at it.
 */

export const MAX_DEPTH = 6;
export const MAX_CONDITIONS = 100;
/** Ids in one list (tags, owners, chats …). */
const MAX_LIST = 1000;

export const STAGES = ['new', 'growing', 'mature', 'dormant', 'churned'] as const;
export const TIERS = ['key', 'growth', 'regular', 'low', 'none'] as const;
export const FIELD_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'isSet', 'notSet', 'before', 'after'] as const;
export type FieldOp = (typeof FIELD_OPS)[number];

const id = z.string().min(1).max(128);
const ids = z.array(id).min(1).max(MAX_LIST);
const days = z.number().int().min(0).max(36_500);
const score = z.number().int().min(1).max(5);
const money = z.number().finite().min(0);
/** 'YYYY-MM-DD' that is a real calendar date. */
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'not a calendar date');
const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);

const atLeastOne = <T extends Record<string, unknown>>(o: T) => Object.values(o).some((v) => v !== undefined);
const range = <S extends z.ZodType>(n: S) =>
  z.strictObject({ gte: n.optional(), lte: n.optional(), eq: n.optional() }).refine(atLeastOne, 'give at least one of gte, lte, eq');

const tagCond = z.union([
  z.strictObject({ hasAny: ids }),
  z.strictObject({ hasAll: ids }),
  z.strictObject({ hasNone: ids }),
]);
const recency = z.union([
  z.strictObject({ olderThanDays: days }),
  z.strictObject({ withinDays: days }),
  z.strictObject({ never: z.literal(true) }),
]);

/** Field conditions: the value's schema depends on the operator. */
const fieldValue: Record<FieldOp, z.ZodType | null> = {
  eq: scalar,
  neq: scalar,
  gt: z.union([z.number().finite(), isoDate]),
  gte: z.union([z.number().finite(), isoDate]),
  lt: z.union([z.number().finite(), isoDate]),
  lte: z.union([z.number().finite(), isoDate]),
  contains: z.string().min(1).max(1000),
  in: z.array(z.union([z.string().max(1000), z.number().finite()])).min(1).max(MAX_LIST),
  isSet: null,
  notSet: null,
  before: isoDate,
  after: isoDate,
};

export type FieldCondition =
  | { key: string; op: 'eq' | 'neq'; value: string | number | boolean }
  | { key: string; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number | string }
  | { key: string; op: 'contains'; value: string }
  | { key: string; op: 'in'; value: Array<string | number> }
  | { key: string; op: 'isSet' | 'notSet' }
  | { key: string; op: 'before' | 'after'; value: string };

/** One schema per condition kind (the node's single key). */
const CONDITIONS = {
  tag: tagCond,
  stage: z.strictObject({ in: z.array(z.enum(STAGES)).min(1) }),
  tier: z.strictObject({ in: z.array(z.enum(TIERS)).min(1) }),
  score: z
    .strictObject({ r: range(score).optional(), f: range(score).optional(), m: range(score).optional() })
    .refine(atLeastOne, 'give at least one of r, f, m'),
  owner: z.strictObject({ in: ids }),
  department: z.strictObject({ in: z.array(z.number().int().min(1)).min(1).max(MAX_LIST), includeChildren: z.boolean().optional() }),
  channel: z.strictObject({ in: ids }),
  inGroup: z.union([z.strictObject({ chatIds: ids }), z.strictObject({ any: z.literal(true) })]),
  lastOrder: recency,
  lastInteraction: recency,
  added: z.union([z.strictObject({ withinDays: days }), z.strictObject({ olderThanDays: days })]),
  orderCount: z
    .strictObject({ gte: z.number().int().min(0).optional(), lte: z.number().int().min(0).optional() })
    .refine(atLeastOne, 'give at least one of gte, lte'),
  totalSpend: z.strictObject({ gte: money.optional(), lte: money.optional() }).refine(atLeastOne, 'give at least one of gte, lte'),
} as const;

type Conditions = { [K in keyof typeof CONDITIONS]: z.infer<(typeof CONDITIONS)[K]> };
export type ConditionKind = keyof Conditions | 'field';
export type Condition = { [K in keyof Conditions]: { [P in K]: Conditions[K] } }[keyof Conditions] | { field: FieldCondition };

export type RuleNode = { all: RuleNode[] } | { any: RuleNode[] } | { not: RuleNode } | Condition;
/** A parsed rule. The root may say that disconnected customers (no active relation) are included too. */
export type SegmentRule = RuleNode & { includeDisconnected?: boolean };

const FIELD_KEY = /^[a-z][a-z0-9_]*$/;

function fail(path: string, message: string): never {
  throw invalidRule(path, message);
}

const join = (path: string, seg: string | number) =>
  typeof seg === 'number' ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Runs a zod schema at `path`; the first issue becomes the error, its path appended. */
function check<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = deepest(r.error.issues, value);
  let p = path;
  for (const seg of issue.path) p = join(p, typeof seg === 'number' ? seg : String(seg));
  if (issue.code === 'unrecognized_keys' && issue.keys.length) return fail(join(p, issue.keys[0]!), 'unknown key');
  return fail(p, issue.message);
}

/**
 * For a union that failed, zod reports one issue holding each branch's
 * issues. The branch to blame is the one whose complaint is about a value
 * the input actually has (`never: false` → the `never` branch); when every
 * branch only misses its own key, the input used a key none of them knows.
 */
function deepest(issues: readonly z.core.$ZodIssue[], input: unknown): z.core.$ZodIssue {
  const first = issues[0]!;
  if (first.code !== 'invalid_union' || !first.errors.length) return first;
  const here = valueAt(input, first.path);
  for (const branch of first.errors) {
    const issue = branch.find((i) => i.code !== 'unrecognized_keys');
    if (issue && issue.path.length && valueAt(here, issue.path.slice(0, 1)) !== undefined) {
      const inner = deepest([issue], here);
      return { ...inner, path: [...first.path, ...inner.path] } as z.core.$ZodIssue;
    }
  }
  for (const branch of first.errors) {
    const unknown = branch.find((i) => i.code === 'unrecognized_keys');
    if (unknown) return { ...unknown, path: [...first.path, ...unknown.path] } as z.core.$ZodIssue;
  }
  return { ...first, message: 'matches none of the accepted forms' };
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = v;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

interface Budget {
  conditions: number;
}

function parseNode(v: unknown, path: string, depth: number, budget: Budget, root: boolean): RuleNode {
  if (!isPlainObject(v)) fail(path, 'expected an object: a group (all / any / not) or one condition');
  const keys = Object.keys(v).filter((k) => !(root && k === 'includeDisconnected'));
  if (keys.length !== 1) fail(path, `expected exactly one key, got ${keys.length ? keys.map((k) => JSON.stringify(k)).join(', ') : 'none'}`);
  const key = keys[0]!;
  const at = join(path, key);
  const body = v[key];
  if (key === 'all' || key === 'any') {
    if (depth >= MAX_DEPTH) fail(at, `groups nest at most ${MAX_DEPTH} deep`);
    if (!Array.isArray(body)) fail(at, 'expected an array of rules');
    const children = body.map((child, i) => parseNode(child, join(at, i), depth + 1, budget, false));
    return key === 'all' ? { all: children } : { any: children };
  }
  if (key === 'not') {
    if (depth >= MAX_DEPTH) fail(at, `groups nest at most ${MAX_DEPTH} deep`);
    return { not: parseNode(body, at, depth + 1, budget, false) };
  }
  budget.conditions += 1;
  if (budget.conditions > MAX_CONDITIONS) fail(path, `a rule has at most ${MAX_CONDITIONS} conditions`);
  if (key === 'field') return { field: parseField(body, at) };
  if (!Object.hasOwn(CONDITIONS, key)) fail(at, `unknown condition (expected all, any, not, field, ${Object.keys(CONDITIONS).join(', ')})`);
  const schema = CONDITIONS[key as keyof typeof CONDITIONS] as z.ZodType;
  return { [key]: check(schema, body, at) } as Condition;
}

function parseField(v: unknown, path: string): FieldCondition {
  if (!isPlainObject(v)) fail(path, 'expected an object { key, op, value }');
  for (const k of Object.keys(v)) if (k !== 'key' && k !== 'op' && k !== 'value') fail(join(path, k), 'unknown key');
  const key = check(z.string().regex(FIELD_KEY, 'expected a field key ([a-z][a-z0-9_]*)').max(64), v.key, join(path, 'key'));
  const op = check(z.enum(FIELD_OPS), v.op, join(path, 'op'));
  const valueSchema = fieldValue[op];
  if (valueSchema === null) {
    if (v.value !== undefined) fail(join(path, 'value'), `${op} takes no value`);
    return { key, op } as FieldCondition;
  }
  if (v.value === undefined) fail(join(path, 'value'), `${op} needs a value`);
  return { key, op, value: check(valueSchema, v.value, join(path, 'value')) } as FieldCondition;
}

/** The custom field keys a parsed rule names, each with the path of its `key` (as parseRule names paths). */
export function fieldKeysOf(rule: RuleNode): Array<{ key: string; path: string }> {
  const out: Array<{ key: string; path: string }> = [];
  const walk = (n: RuleNode, path: string) => {
    if ('all' in n) n.all.forEach((c, i) => walk(c, join(join(path, 'all'), i)));
    else if ('any' in n) n.any.forEach((c, i) => walk(c, join(join(path, 'any'), i)));
    else if ('not' in n) walk(n.not, join(path, 'not'));
    else if ('field' in n) out.push({ key: n.field.key, path: join(join(path, 'field'), 'key') });
  };
  walk(rule, '');
  return out;
}

/** An invalid_rule error at `path` (the rule's own checks use it; so do checks against the corp's data). */
export function invalidRule(path: string, message: string): AppError {
  return new AppError('invalid_rule', `${path || '(root)'}: ${message}`, { path: path || '' });
}

/** Validates a rule; throws AppError('invalid_rule') whose message starts with the bad path. */
export function parseRule(json: unknown): SegmentRule {
  const node = parseNode(json, '', 0, { conditions: 0 }, true);
  if (isPlainObject(json) && 'includeDisconnected' in json) {
    const inc = check(z.boolean(), json.includeDisconnected, 'includeDisconnected');
    return { ...node, includeDisconnected: inc } as SegmentRule;
  }
  return node;
}
