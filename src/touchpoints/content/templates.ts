import { and, asc, desc, eq, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../../db/connection';
import { notFound } from '../../lib/errors';
import type { WeComClient } from '../../wecom/client';
import { validateAttachments } from './attachments';
import { invalid } from './failures';
import { syncGroupWelcome } from './groupWelcome';
import { groupWelcomeMirror, ROUTES_LEASE_OWNER, WECOM_LEASE_SECONDS } from './mirrorLease';
import {
  GROUP_WELCOME_TEXT_MAX_BYTES, TEXT_MAX_BYTES, isCustomerVariable, isKnownVariable, templateVariables, type TemplateAttachment,
} from './render';
import { templates, type TemplateKind } from './schema';

export type TemplateRow = typeof templates.$inferSelect;

export interface ContentDeps {
  db: Db;
  client: WeComClient;
  corpId: string;
}

export interface TemplateInput {
  name: string;
  category?: string;
  kind: TemplateKind;
  text?: string;
  attachments?: TemplateAttachment[];
}

export type TemplatePatch = Partial<Omit<TemplateInput, 'kind'>>;

/** Group welcomes are sent by WeCom itself: the only per-person value is the joiner's nickname. */
export const GROUP_WELCOME_VARIABLES = ['customer.name'] as const;

/** Checks a template's content as WeCom would take it, for its kind; errors name the field. */
export async function validateTemplateContent(ex: Executor, corpId: string, kind: TemplateKind, text: string, attachments: readonly TemplateAttachment[]): Promise<void> {
  const maxBytes = kind === 'group_welcome' ? GROUP_WELCOME_TEXT_MAX_BYTES : TEXT_MAX_BYTES;
  if (Buffer.byteLength(text) > maxBytes) throw invalid('text', `must be at most ${maxBytes} bytes, got ${Buffer.byteLength(text)}`);
  for (const v of templateVariables({ text, attachments })) {
    if (!isKnownVariable(v)) throw invalid('text', `unknown variable {{${v}}} (known: customer.name, customer.remark, customer.corpName, rep.name, rep.position, field.<key>)`);
    if (kind === 'group' && isCustomerVariable(v)) throw invalid('text', `{{${v}}} has no value in a post to groups`);
    if (kind === 'group_welcome' && !(GROUP_WELCOME_VARIABLES as readonly string[]).includes(v)) {
      throw invalid('text', `a group welcome can only use {{customer.name}} (the joiner's nickname), not {{${v}}}`);
    }
  }
  await validateAttachments(ex, corpId, attachments, kind === 'group_welcome' ? 1 : undefined);
  if (text.trim() === '' && attachments.length === 0) throw invalid('text', 'text and attachments cannot both be empty');
}

/** Any template of the corp, archived ones too (`archivedAt` set): callers decide whether those may still be used. */
export async function getTemplate(ex: Executor, corpId: string, id: number): Promise<TemplateRow | undefined> {
  const [row] = await ex.select().from(templates).where(and(eq(templates.corpId, corpId), eq(templates.id, id)));
  return row;
}

/** A live (not archived) template, else not_found. */
export async function liveTemplate(ex: Executor, corpId: string, id: number): Promise<TemplateRow> {
  const t = await getTemplate(ex, corpId, id);
  if (!t || t.archivedAt) throw notFound(`template ${id}`);
  return t;
}

export interface TemplateFilter {
  kind?: TemplateKind;
  category?: string;
  /** Matches the name (case-insensitive substring). */
  q?: string;
  includeArchived?: boolean;
  /** Id cursor: only templates older than this. */
  before?: number;
  limit: number;
}

export async function listTemplates(ex: Executor, corpId: string, f: TemplateFilter): Promise<TemplateRow[]> {
  const conds: SQL[] = [eq(templates.corpId, corpId)];
  if (!f.includeArchived) conds.push(isNull(templates.archivedAt));
  if (f.kind) conds.push(eq(templates.kind, f.kind));
  if (f.category !== undefined) conds.push(eq(templates.category, f.category));
  if (f.q) conds.push(sql`strpos(lower(${templates.name}), lower(${f.q})) > 0`);
  if (f.before) conds.push(lt(templates.id, f.before));
  return ex.select().from(templates).where(and(...conds)).orderBy(desc(templates.id)).limit(f.limit);
}

/** Categories in use by live templates, with counts per kind. */
export async function listCategories(ex: Executor, corpId: string): Promise<Array<{ category: string; kind: TemplateKind; count: number }>> {
  const rows = rowsOf<{ category: string; kind: TemplateKind; n: number }>(await ex.execute(sql`
    select category, kind, count(*)::int as n from templates where corp_id = ${corpId} and archived_at is null
    group by category, kind order by category, kind`));
  return rows.map((r) => ({ category: r.category, kind: r.kind, count: Number(r.n) }));
}

/**
 * Saves a template. A group welcome is then added to WeCom (recorded as
 * `adding` with a lease in the same insert, before the call).
 */
export async function createTemplate(d: ContentDeps, input: TemplateInput, actor: string, now: Date): Promise<TemplateRow> {
  const text = input.text ?? '';
  const attachments = input.attachments ?? [];
  await validateTemplateContent(d.db, d.corpId, input.kind, text, attachments);
  const mirrored = input.kind === 'group_welcome';
  const [row] = await d.db
    .insert(templates)
    .values({
      corpId: d.corpId, name: input.name, category: input.category ?? '', kind: input.kind, text, attachments, createdBy: actor,
      wecomStatus: mirrored ? 'adding' : 'none', ...(mirrored ? groupWelcomeMirror.taken(ROUTES_LEASE_OWNER, WECOM_LEASE_SECONDS) : {}),
    })
    .returning();
  if (!mirrored) return row!;
  return syncGroupWelcome(d.db, d.client, d.corpId, row!.id, now, { claimed: true });
}

/** Changes name, category, text or attachments; a changed group welcome is edited in WeCom too. */
export async function updateTemplate(d: ContentDeps, id: number, patch: TemplatePatch, now: Date): Promise<TemplateRow> {
  const current = await liveTemplate(d.db, d.corpId, id);
  const text = patch.text ?? current.text;
  const attachments = patch.attachments ?? current.attachments;
  const contentChanged = patch.text !== undefined || patch.attachments !== undefined;
  if (contentChanged) await validateTemplateContent(d.db, d.corpId, current.kind, text, attachments);
  const mirrored = current.kind === 'group_welcome' && contentChanged;
  const [row] = await d.db
    .update(templates)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      ...(contentChanged ? { text, attachments, version: sql`${templates.version} + 1` } : {}),
      // A template never added (failed) is added on the next sync; one that is, is edited.
      ...(mirrored ? {
        wecomStatus: sql`case when ${templates.wecomTemplateId} is null then 'adding' else 'editing' end`,
        ...groupWelcomeMirror.taken(ROUTES_LEASE_OWNER, WECOM_LEASE_SECONDS),
      } : {}),
      updatedAt: now,
    })
    .where(and(eq(templates.corpId, d.corpId), eq(templates.id, id), isNull(templates.archivedAt)))
    .returning();
  if (!row) throw notFound(`template ${id}`);
  return mirrored ? syncGroupWelcome(d.db, d.client, d.corpId, id, now, { claimed: true }) : row;
}

/** Archives a template (kept for what names it); a group welcome is deleted from WeCom. */
export async function archiveTemplate(d: ContentDeps, id: number, now: Date): Promise<TemplateRow> {
  const current = await liveTemplate(d.db, d.corpId, id);
  const mirrored = current.kind === 'group_welcome' && current.wecomTemplateId !== null;
  const [row] = await d.db
    .update(templates)
    .set({
      archivedAt: now, updatedAt: now,
      ...(current.kind === 'group_welcome' ? { wecomStatus: mirrored ? 'deleting' : 'deleted' } : {}),
      ...(mirrored ? groupWelcomeMirror.taken(ROUTES_LEASE_OWNER, WECOM_LEASE_SECONDS) : {}),
    })
    .where(and(eq(templates.corpId, d.corpId), eq(templates.id, id), isNull(templates.archivedAt)))
    .returning();
  if (!row) throw notFound(`template ${id}`);
  return mirrored ? syncGroupWelcome(d.db, d.client, d.corpId, id, now, { claimed: true }) : row;
}

/** Group welcome templates with their WeCom mirror state, oldest first. */
export function listGroupWelcomeTemplates(ex: Executor, corpId: string): Promise<TemplateRow[]> {
  return ex.select().from(templates)
    .where(and(eq(templates.corpId, corpId), eq(templates.kind, 'group_welcome'), isNull(templates.archivedAt)))
    .orderBy(asc(templates.id));
}
