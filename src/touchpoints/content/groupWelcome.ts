import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../../db/connection';
import { errorMessage, notFound } from '../../lib/errors';
import { errcodeOf, type GroupWelcomeTemplate, type WeComClient } from '../../wecom/client';
import { wecomAttachments } from './attachments';
import { outcomeUnknown } from './failures';
import { renderString } from './render';
import { templates } from './schema';

type TemplateRow = typeof templates.$inferSelect;

/** How long a WeCom call in flight owns its row (well above the client's timeout and retries). */
export const WECOM_LEASE_MS = 120_000;
/** After an unclear failure, how long until recovery tries the idempotent call again. */
const RETRY_AFTER_MS = 30_000;
/** WeCom's placeholder for the joining member's nickname. */
const NICKNAME = '%NICKNAME%';

/** A group welcome template as WeCom takes it: {{customer.name}} becomes the joiner's nickname; one attachment at most. */
async function wecomContent(ex: Executor, client: WeComClient, corpId: string, t: TemplateRow, now: Date): Promise<GroupWelcomeTemplate> {
  const text = renderString(t.text, { customer: { name: NICKNAME } }, new Set());
  const [a] = await wecomAttachments(ex, client, corpId, t.attachments, now);
  const out: GroupWelcomeTemplate = text.trim() ? { text: { content: text } } : {};
  if (!a) return out;
  switch (a.msgtype) {
    case 'image': return { ...out, image: a.image };
    case 'link': return { ...out, link: a.link };
    case 'miniprogram': return { ...out, miniprogram: a.miniprogram };
    case 'video': return { ...out, video: a.video };
    case 'file': return { ...out, file: a.file };
  }
}

/** Takes the row's WeCom lease if no call is in flight; the claimed row, or undefined. */
async function claim(db: Db, corpId: string, id: number, now: Date): Promise<TemplateRow | undefined> {
  const [row] = await db
    .update(templates)
    .set({ wecomLockedUntil: new Date(now.getTime() + WECOM_LEASE_MS) })
    .where(and(
      eq(templates.corpId, corpId), eq(templates.id, id), sql`${templates.wecomStatus} in ('adding', 'editing', 'deleting')`,
      sql`(${templates.wecomLockedUntil} is null or ${templates.wecomLockedUntil} < ${now.toISOString()}::timestamptz)`,
    ))
    .returning();
  return row;
}

/**
 * Mirrors one group welcome template to WeCom: add (no template_id yet),
 * edit (content changed) or del (archived). The owed action is recorded on the
 * row (status + lease) before the call and its outcome after. An add whose
 * outcome is unknown cannot be looked up (WeCom has no list call for these),
 * so it ends `failed` with that said rather than risk a second copy unasked;
 * edits and deletes are idempotent and are simply sent again by recovery.
 */
export async function syncGroupWelcome(db: Db, client: WeComClient, corpId: string, id: number, now: Date, opts: { claimed?: boolean } = {}): Promise<TemplateRow> {
  const row = opts.claimed
    ? (await db.select().from(templates).where(and(eq(templates.corpId, corpId), eq(templates.id, id))))[0]
    : await claim(db, corpId, id, now);
  if (!row) return current(db, corpId, id);
  const where = and(eq(templates.corpId, corpId), eq(templates.id, id));
  try {
    if (row.wecomStatus === 'deleting') {
      await client.groupWelcome.del(row.wecomTemplateId!);
      await db.update(templates).set({ wecomStatus: 'deleted', wecomLockedUntil: null, wecomErrcode: null, wecomError: null }).where(where);
    } else {
      const content = await wecomContent(db, client, corpId, row, now);
      let templateId = row.wecomTemplateId;
      if (templateId) await client.groupWelcome.edit(templateId, content);
      else templateId = (await client.groupWelcome.add(content)).template_id;
      // An edit saved while this call was out leaves the version ahead: still owed.
      await db.update(templates).set({
        wecomTemplateId: templateId, wecomSyncedVersion: row.version, wecomLockedUntil: null, wecomErrcode: null, wecomError: null,
        wecomStatus: sql`case when ${templates.archivedAt} is not null then 'deleting' when ${templates.version} > ${row.version} then 'editing' else 'synced' end`,
      }).where(where);
    }
  } catch (err) {
    const unknown = outcomeUnknown(err);
    const errcode = errcodeOf(err) ?? null;
    if (row.wecomStatus === 'adding') {
      await db.update(templates).set({
        wecomStatus: 'failed', wecomLockedUntil: null, wecomErrcode: errcode,
        wecomError: unknown
          ? `outcome unknown (${errorMessage(err).slice(0, 200)}); WeCom cannot list group welcome templates, so sync again to add it (an earlier copy may remain in WeCom)`
          : errorMessage(err).slice(0, 500),
      }).where(where);
    } else if (unknown) {
      await db.update(templates).set({ wecomLockedUntil: new Date(now.getTime() + RETRY_AFTER_MS), wecomErrcode: errcode, wecomError: errorMessage(err).slice(0, 500) }).where(where);
    } else {
      await db.update(templates).set({ wecomStatus: 'failed', wecomLockedUntil: null, wecomErrcode: errcode, wecomError: errorMessage(err).slice(0, 500) }).where(where);
    }
  }
  return current(db, corpId, id);
}

async function current(ex: Executor, corpId: string, id: number): Promise<TemplateRow> {
  const [row] = await ex.select().from(templates).where(and(eq(templates.corpId, corpId), eq(templates.id, id)));
  if (!row) throw notFound(`template ${id}`);
  return row;
}

/** Tries a failed (or owed) group welcome mirror again: add, edit or delete as the row's state says. */
export async function retryGroupWelcome(db: Db, client: WeComClient, corpId: string, id: number, now: Date): Promise<TemplateRow> {
  const t = await current(db, corpId, id);
  if (t.kind !== 'group_welcome') throw notFound(`group welcome template ${id}`);
  if (t.wecomStatus === 'failed') {
    await db.update(templates).set({
      wecomStatus: sql`case when ${templates.archivedAt} is not null then (case when ${templates.wecomTemplateId} is null then 'deleted' else 'deleting' end)
        when ${templates.wecomTemplateId} is null then 'adding' else 'editing' end`,
    }).where(and(eq(templates.corpId, corpId), eq(templates.id, id), eq(templates.wecomStatus, 'failed')));
  }
  return syncGroupWelcome(db, client, corpId, id, now);
}

/**
 * Recovery of mirrors left owed by a crash or an unclear failure: edits and
 * deletes are sent again; an add left in flight past its lease is marked
 * failed (outcome unknown). Returns the rows looked at.
 */
export async function recoverGroupWelcomes(db: Db, client: WeComClient, corpId: string, now: Date): Promise<number> {
  const stale = rowsOf<{ id: string; wecom_status: string }>(await db.execute(sql`
    select id, wecom_status from templates
    where corp_id = ${corpId} and wecom_status in ('adding', 'editing', 'deleting')
      and (wecom_locked_until is null or wecom_locked_until < ${now.toISOString()}::timestamptz)
    order by id limit 50`));
  for (const s of stale) {
    const id = Number(s.id);
    if (s.wecom_status === 'adding') {
      await db.update(templates).set({
        wecomStatus: 'failed', wecomLockedUntil: null,
        wecomError: 'outcome unknown (the add was interrupted); WeCom cannot list group welcome templates, so sync again to add it (an earlier copy may remain in WeCom)',
      }).where(and(eq(templates.corpId, corpId), eq(templates.id, id), eq(templates.wecomStatus, 'adding'),
        sql`(${templates.wecomLockedUntil} is null or ${templates.wecomLockedUntil} < ${now.toISOString()}::timestamptz)`));
    } else {
      await syncGroupWelcome(db, client, corpId, id, now);
    }
  }
  return stale.length;
}
