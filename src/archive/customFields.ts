import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { jsonRows } from '../db/bulk';
import type { Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { AppError, conflict, notFound } from '../lib/errors';
import { compileUserPattern, UserPatternError } from '../lib/userPattern';
import { assertCustomer } from './customers';
import { customFields, customFieldValues } from './schema';

export const FIELD_TYPES = ['text', 'number', 'date', 'select', 'multi_select'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export type FieldRow = typeof customFields.$inferSelect;

export interface FieldValidation {
  min?: number;
  max?: number;
  maxLength?: number;
  pattern?: string;
}

export interface FieldDefinition {
  key: string;
  label: string;
  type: FieldType;
  options?: string[];
  required?: boolean;
  validation?: FieldValidation;
}

const KEY = /^[a-z][a-z0-9_]*$/;
/** Longest text value any text field takes: bounds storage and the pattern check alike. */
export const TEXT_VALUE_MAX = 10_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const invalid = (message: string, details?: unknown) => new AppError('validation_failed', message, details);

/** A definition must make sense for its type before it is stored. */
function checkDefinition(d: FieldDefinition): void {
  const where = `field "${d.key}"`;
  if (!KEY.test(d.key)) throw invalid(`${where}: the key must match [a-z][a-z0-9_]*`);
  const v = d.validation ?? {};
  const allowed: Record<FieldType, Array<keyof FieldValidation>> = {
    text: ['maxLength', 'pattern'], number: ['min', 'max'], date: [], select: [], multi_select: [],
  };
  const extra = Object.keys(v).filter((k) => !allowed[d.type].includes(k as keyof FieldValidation));
  if (extra.length > 0) throw invalid(`${where}: ${extra.join(', ')} does not apply to a ${d.type} field`);
  if (v.min !== undefined && v.max !== undefined && v.min > v.max) throw invalid(`${where}: min is greater than max`);
  if (v.pattern !== undefined) {
    try {
      compileUserPattern(v.pattern);
    } catch (err) {
      if (!(err instanceof UserPatternError)) throw err;
      // RE2 syntax: no look-arounds or back-references (they cannot run in linear time).
      throw invalid(`${where}: pattern is not a valid RE2 regular expression (${err.message})`);
    }
  }
  const options = d.options ?? [];
  if (d.type === 'select' || d.type === 'multi_select') {
    if (options.length === 0) throw invalid(`${where}: a ${d.type} field needs options`);
    if (new Set(options).size !== options.length) throw invalid(`${where}: options repeat`);
  } else if (options.length > 0) {
    throw invalid(`${where}: options apply only to select and multi_select fields`);
  }
}

/** Field definitions are the corp's (a setting: the route asks settings.edit); the scope names the corp. */
export async function defineField(ex: Executor, scope: Scope, d: FieldDefinition): Promise<FieldRow> {
  const corpId = scope.corpId;
  checkDefinition(d);
  const [row] = await ex
    .insert(customFields)
    .values({ corpId, key: d.key, label: d.label, type: d.type, options: d.options ?? [], required: d.required ?? false, validation: { ...d.validation } })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict(`a field with key "${d.key}" already exists`);
  return row;
}

/** The corp's field definitions: everyone in the corp may read them. */
export async function listFields(ex: Executor, scope: Scope, opts: { includeArchived?: boolean } = {}): Promise<FieldRow[]> {
  const conds = [eq(customFields.corpId, scope.corpId)];
  if (!opts.includeArchived) conds.push(isNull(customFields.archivedAt));
  return ex.select().from(customFields).where(and(...conds)).orderBy(asc(customFields.id));
}

/** Archived fields keep their values but can no longer be set; the key stays taken. */
export async function archiveField(ex: Executor, scope: Scope, id: number, now: Date): Promise<FieldRow> {
  const corpId = scope.corpId;
  const [row] = await ex
    .update(customFields)
    .set({ archivedAt: sql`coalesce(${customFields.archivedAt}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(customFields.corpId, corpId), eq(customFields.id, id)))
    .returning();
  if (!row) throw notFound(`field ${id}`);
  return row;
}

/** Checks one value against its field; returns the problem, or undefined. */
export function fieldValueError(f: Pick<FieldRow, 'type' | 'options' | 'validation'>, value: unknown): string | undefined {
  const v = f.validation as FieldValidation;
  switch (f.type) {
    case 'text': {
      if (typeof value !== 'string') return 'must be text';
      const length = [...value].length;
      if (length > (v.maxLength ?? TEXT_VALUE_MAX)) return `must be at most ${v.maxLength ?? TEXT_VALUE_MAX} characters`;
      if (v.pattern !== undefined) {
        let matches: boolean;
        try {
          matches = compileUserPattern(v.pattern).test(value);
        } catch (err) {
          if (!(err instanceof UserPatternError)) throw err;
          // Saved before patterns ran in RE2: refuse values rather than run it in a backtracking engine.
          return 'cannot be checked: the field\'s pattern uses syntax RE2 does not support; an admin must update the field';
        }
        if (!matches) return `must match the pattern ${v.pattern}`;
      }
      return undefined;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (v.min !== undefined && value < v.min) return `must be at least ${v.min}`;
      if (v.max !== undefined && value > v.max) return `must be at most ${v.max}`;
      return undefined;
    }
    case 'date': {
      const m = typeof value === 'string' ? DATE.exec(value) : null;
      if (!m) return 'must be a date YYYY-MM-DD';
      const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!));
      if (d.toISOString().slice(0, 10) !== value) return `${String(value)} is not a calendar date`;
      return undefined;
    }
    case 'select':
      if (typeof value !== 'string' || !f.options.includes(value)) return `must be one of ${f.options.join(', ')}`;
      return undefined;
    case 'multi_select': {
      if (!Array.isArray(value) || value.some((x) => typeof x !== 'string')) return 'must be a list of options';
      const bad = value.filter((x) => !f.options.includes(x as string));
      if (bad.length > 0) return `${bad.join(', ')} not among the options ${f.options.join(', ')}`;
      if (new Set(value).size !== value.length) return 'repeats an option';
      return undefined;
    }
  }
}

export interface FieldValue {
  fieldId: number;
  key: string;
  label: string;
  type: FieldType;
  value: unknown;
  updatedBy: string | null;
  updatedAt: Date;
}

/** A customer's values of live (not archived) fields, in field order; not_found for a customer out of scope. */
export async function fieldValuesOf(ex: Executor, scope: Scope, externalUserId: string): Promise<FieldValue[]> {
  const corpId = scope.corpId;
  await assertCustomer(ex, scope, externalUserId);
  return ex
    .select({
      fieldId: customFields.id, key: customFields.key, label: customFields.label, type: customFields.type,
      value: customFieldValues.value, updatedBy: customFieldValues.updatedBy, updatedAt: customFieldValues.updatedAt,
    })
    .from(customFieldValues)
    .innerJoin(customFields, and(eq(customFields.corpId, corpId), eq(customFields.id, customFieldValues.fieldId)))
    .where(and(eq(customFieldValues.corpId, corpId), eq(customFieldValues.externalUserId, externalUserId), isNull(customFields.archivedAt)))
    .orderBy(asc(customFields.id));
}

/**
 * Sets (value) or clears (null) a customer's values by field key, all or
 * nothing: every problem is reported, each naming its field. A required field
 * may not end up without a value. Runs in the caller's transaction; not_found
 * for a customer out of scope.
 */
export async function setFieldValues(
  ex: Executor,
  scope: Scope,
  externalUserId: string,
  values: Record<string, unknown>,
  updatedBy: string,
): Promise<FieldValue[]> {
  const corpId = scope.corpId;
  await assertCustomer(ex, scope, externalUserId);
  const fields = await listFields(ex, scope, { includeArchived: true });
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const current = new Set(
    (await ex.select({ fieldId: customFieldValues.fieldId }).from(customFieldValues)
      .where(and(eq(customFieldValues.corpId, corpId), eq(customFieldValues.externalUserId, externalUserId)))).map((r) => r.fieldId),
  );
  const errors: Array<{ field: string; message: string }> = [];
  const set: Array<{ field_id: number; value: unknown }> = [];
  const clear: number[] = [];
  for (const [key, value] of Object.entries(values)) {
    const f = byKey.get(key);
    if (!f) errors.push({ field: key, message: 'no such field' });
    else if (f.archivedAt) errors.push({ field: key, message: 'the field is archived' });
    else if (value === null) clear.push(f.id);
    else {
      const problem = fieldValueError(f, value);
      if (problem) errors.push({ field: key, message: problem });
      else set.push({ field_id: f.id, value });
    }
  }
  for (const f of fields) {
    if (!f.required || f.archivedAt || errors.some((e) => e.field === f.key)) continue;
    const has = set.some((s) => s.field_id === f.id) || (current.has(f.id) && !clear.includes(f.id));
    if (!has) errors.push({ field: f.key, message: 'is required' });
  }
  if (errors.length > 0) throw invalid(errors.map((e) => `field "${e.field}": ${e.message}`).join('; '), errors);

  if (clear.length > 0) {
    await ex.execute(sql`delete from custom_field_values where corp_id = ${corpId} and external_user_id = ${externalUserId}
      and field_id = any(${sql.param(clear)}::bigint[])`);
  }
  if (set.length > 0) {
    await ex.execute(sql`
      insert into custom_field_values (corp_id, external_user_id, field_id, value, updated_by)
      select ${corpId}, ${externalUserId}, x.field_id, x.value, ${updatedBy}
      from jsonb_to_recordset(${jsonRows(set)}) as x(field_id bigint, value jsonb)
      on conflict (corp_id, external_user_id, field_id) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()
      where custom_field_values.value is distinct from excluded.value`);
  }
  return fieldValuesOf(ex, scope, externalUserId);
}
