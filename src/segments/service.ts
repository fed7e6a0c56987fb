import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import { rowsOf, type Db, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { ledgerSql } from '../ledger';
import { conflict, notFound } from '../lib/errors';
import { compileRule, type CompileOptions } from './compile';
import { fieldKeysOf, invalidRule, parseRule, type SegmentRule } from './rules';
import { segmentMembers, segments } from './schema';

export type SegmentRow = typeof segments.$inferSelect;

/**
 * Scope rule for segments: a segment belongs to whoever saved it, in the scope they saved it in. A caller
 * sees (and, with 'segment.edit', changes) a segment when its creator is an employee of their scope, or when
 * the scope it was saved in lies wholly inside theirs (a token acting for departments, not for an employee);
 * the whole corp sees all of them; anything else is 404. Counts, samples and members are always computed
 * inside the caller's scope (a customer is in it when one of its employees has or had a relation with
 * them), so a manager's preview never counts another department's customers, whoever saved the rule.
 */
function visible(scope: Scope): SQL {
  const corp = eq(segments.corpId, scope.corpId);
  if (scope.userIds === null) return corp;
  const savedWithin = sql`(cardinality(${segments.scopeUserIds}) > 0 and ${segments.scopeUserIds} <@ ${textArray(scope.userIds)})`;
  return and(corp, sql`(${scope.employee(sql`${segments.createdBy}`)} or ${savedWithin})`)!;
}

export interface Preview {
  count: number;
  sample: Array<{ externalUserId: string; name: string }>;
}

/**
 * Parses a rule and checks it against the corp: every field condition must
 * name a live custom field. Without this a mistyped key silently matches no
 * one (or, under `not` / `neq` / `notSet`, everyone). Used for every rule a
 * caller hands in (preview, create, update); stored rules are only re-parsed,
 * so archiving a field later does not break a saved segment.
 */
export async function validateRule(ex: Executor, corpId: string, json: unknown): Promise<SegmentRule> {
  const rule = parseRule(json);
  const used = fieldKeysOf(rule);
  if (used.length === 0) return rule;
  const rows = rowsOf<{ key: string; archived: boolean }>(await ex.execute(sql`
    select key, bool_and(archived_at is not null) as archived from custom_fields
    where corp_id = ${corpId} and key = any(${textArray([...new Set(used.map((u) => u.key))])})
    group by key`));
  const fields = new Map(rows.map((r) => [r.key, r.archived]));
  for (const { key, path } of used) {
    const archived = fields.get(key);
    if (archived === undefined) throw invalidRule(path, `unknown custom field ${JSON.stringify(key)}`);
    if (archived) throw invalidRule(path, `custom field ${JSON.stringify(key)} is archived`);
  }
  return rule;
}

/** Count and a sample (first by external_user_id) of who a rule matches, in one query; the rule is validated first (400 invalid_rule). */
export async function previewSegment(
  db: Executor,
  scope: Scope,
  ruleJson: unknown,
  now: Date,
  sampleSize = 10,
  opts: CompileOptions = {},
): Promise<Preview> {
  const corpId = scope.corpId;
  const rule = await validateRule(db, corpId, ruleJson);
  const matched = compileRule(scope, rule, now, opts);
  // JIT compilation costs a few hundred ms and buys nothing for a count over indexed EXISTS probes.
  const res = await db.transaction(async (tx) => {
    await tx.execute(sql`set local jit = off`);
    return tx.execute(sql`
    with m as (${matched})
    select (select count(*) from m)::int as count,
      coalesce((
        select json_agg(json_build_object('externalUserId', x.external_user_id, 'name', x.name) order by x.external_user_id)
        from (
          select m.external_user_id, ec.name from m
          join ${ledgerSql.contacts(corpId)} ec on ec.external_user_id = m.external_user_id
          order by m.external_user_id limit ${sampleSize}::int
        ) x
      ), '[]'::json) as sample`);
  });
  const row = rowsOf<{ count: number; sample: Preview['sample'] }>(res)[0]!;
  return { count: row.count, sample: row.sample };
}

export interface SegmentInput {
  name: string;
  description?: string | null;
  rule: unknown;
}

/** Postgres unique violation, wherever the driver or Drizzle put it. */
function isUniqueViolation(err: unknown): boolean {
  for (let e: any = err; e; e = e.cause) if (e.code === '23505') return true;
  return false;
}

const nameTaken = (name: string) => conflict(`a segment named ${JSON.stringify(name)} already exists`);

/** Saves a segment; `createdBy` (the actor's id) decides who sees it afterwards (see `visible`). */
export async function createSegment(db: Executor, scope: Scope, input: SegmentInput, createdBy: string, now: Date): Promise<SegmentRow> {
  const corpId = scope.corpId;
  const rule = await validateRule(db, corpId, input.rule);
  const rows = await db
    .insert(segments)
    .values({
      corpId, name: input.name, description: input.description ?? null, rule, createdBy,
      scopeUserIds: scope.userIds === null ? null : [...scope.userIds], createdAt: now, updatedAt: now,
    })
    .onConflictDoNothing({ target: [segments.corpId, segments.name] })
    .returning();
  if (!rows[0]) throw nameTaken(input.name);
  return rows[0];
}

export async function listSegments(db: Executor, scope: Scope): Promise<SegmentRow[]> {
  return db.select().from(segments).where(visible(scope)).orderBy(asc(segments.name), asc(segments.id));
}

export async function getSegment(db: Executor, scope: Scope, id: number): Promise<SegmentRow | undefined> {
  const rows = await db.select().from(segments).where(and(visible(scope), eq(segments.id, id)));
  return rows[0];
}

export async function updateSegment(
  db: Executor,
  scope: Scope,
  id: number,
  patch: Partial<SegmentInput>,
  now: Date,
): Promise<SegmentRow> {
  const corpId = scope.corpId;
  const set: Partial<typeof segments.$inferInsert> = { updatedAt: now };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.rule !== undefined) set.rule = await validateRule(db, corpId, patch.rule);
  try {
    const rows = await db.update(segments).set(set).where(and(visible(scope), eq(segments.id, id))).returning();
    if (!rows[0]) throw notFound(`segment ${id}`);
    return rows[0];
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(patch.name ?? '');
    throw err;
  }
}

export async function deleteSegment(db: Db, scope: Scope, id: number): Promise<void> {
  const corpId = scope.corpId;
  await db.transaction(async (tx) => {
    const rows = await tx.delete(segments).where(and(visible(scope), eq(segments.id, id))).returning({ id: segments.id });
    if (!rows[0]) throw notFound(`segment ${id}`);
    await tx.delete(segmentMembers).where(and(eq(segmentMembers.corpId, corpId), eq(segmentMembers.segmentId, id)));
  });
}

/**
 * Replaces the segment's members with who its rule matches now, in one
 * transaction (the row lock keeps two materialisations of one segment in
 * line), and records the count and time. Members are who the rule matches
 * inside the materialising caller's scope.
 */
export async function materialiseSegment(db: Db, scope: Scope, id: number, now: Date): Promise<SegmentRow> {
  const corpId = scope.corpId;
  return db.transaction(async (tx) => {
    const [seg] = await tx
      .select()
      .from(segments)
      .where(and(visible(scope), eq(segments.id, id)))
      .for('update');
    if (!seg) throw notFound(`segment ${id}`);
    const matched = compileRule(scope, parseRule(seg.rule), now);
    await tx.delete(segmentMembers).where(and(eq(segmentMembers.corpId, corpId), eq(segmentMembers.segmentId, id)));
    const res = await tx.execute(sql`
      with ins as (
        insert into segment_members (corp_id, segment_id, external_user_id, materialised_at)
        select ${corpId}, ${id}::bigint, m.external_user_id, ${now.toISOString()}::timestamptz from (${matched}) m
        returning 1
      ) select count(*)::int as n from ins`);
    const memberCount = rowsOf<{ n: number }>(res)[0]!.n;
    const [updated] = await tx
      .update(segments)
      .set({ memberCount, materialisedAt: now })
      .where(and(eq(segments.corpId, corpId), eq(segments.id, id)))
      .returning();
    return updated!;
  });
}

export interface MemberPage {
  items: Array<{ externalUserId: string; name: string; materialisedAt: Date }>;
  nextCursor: string | null;
}

/** Materialised members in the scope, by external_user_id; `cursor` is the last id of the previous page. */
export async function membersOf(
  db: Executor,
  scope: Scope,
  id: number,
  page: { cursor?: string; limit: number },
): Promise<MemberPage> {
  const corpId = scope.corpId;
  const after = page.cursor ? sql`and sm.external_user_id > ${page.cursor}` : sql``;
  const res = await db.execute(sql`
    select sm.external_user_id, coalesce(ec.name, '') as name, sm.materialised_at
    from segment_members sm
    left join ${ledgerSql.contacts(corpId)} ec on ec.external_user_id = sm.external_user_id
    where sm.corp_id = ${corpId} and sm.segment_id = ${id}::bigint ${after}
      and ${ledgerSql.contactInScope(scope, sql.raw('sm.external_user_id'))}
    order by sm.external_user_id
    limit ${page.limit}::int`);
  const rows = rowsOf<{ external_user_id: string; name: string; materialised_at: string }>(res);
  return {
    items: rows.map((r) => ({ externalUserId: r.external_user_id, name: r.name, materialisedAt: new Date(r.materialised_at) })),
    nextCursor: rows.length === page.limit ? rows.at(-1)!.external_user_id : null,
  };
}
