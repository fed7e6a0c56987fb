import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection';
import { corpScope } from '../../db/scope';
import { errorMessage, notFound } from '../../lib/errors';
import { errcodeOf, type GroupWelcomeTemplate, type WeComClient } from '../../wecom/client';
import { wecomAttachments } from './attachments';
import { outcomeUnknown } from './failures';
import { groupWelcomeMirror, RETRY_AFTER_SECONDS, ROUTES_LEASE_OWNER, WECOM_LEASE_SECONDS } from './mirrorLease';
import { renderString } from './render';
import { templates } from './schema';

type TemplateRow = typeof templates.$inferSelect;

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

/** Takes the row's WeCom lease for `owner` if it owes a call and none is in flight; the claimed row, or undefined. */
async function claim(db: Db, corpId: string, id: number, owner: string): Promise<TemplateRow | undefined> {
  const [taken] = await groupWelcomeMirror.take(db, corpScope(corpId), { owner, leaseSeconds: WECOM_LEASE_SECONDS, limit: 1, where: sql`id = ${id}` });
  if (taken === undefined) return undefined;
  return (await db.select().from(templates).where(and(eq(templates.corpId, corpId), eq(templates.id, taken))))[0];
}

/**
 * Mirrors one group welcome template to WeCom: add (no template_id yet),
 * edit (content changed) or del (archived). The owed action is recorded on the
 * row (status + lease) before the call and its outcome after, the outcome only
 * while `owner` still holds the lease. An add whose
 * outcome is unknown cannot be looked up (WeCom has no list call for these),
 * so it ends `failed` with that said rather than risk a second copy unasked;
 * edits and deletes are idempotent and are simply sent again by recovery.
 */
export async function syncGroupWelcome(
  db: Db, client: WeComClient, corpId: string, id: number, now: Date, opts: { claimed?: boolean; owner?: string } = {},
): Promise<TemplateRow> {
  const owner = opts.owner ?? ROUTES_LEASE_OWNER;
  const scope = corpScope(corpId);
  const row = opts.claimed
    ? (await db.select().from(templates).where(and(eq(templates.corpId, corpId), eq(templates.id, id))))[0]
    : await claim(db, corpId, id, owner);
  if (!row) return current(db, corpId, id);
  const where = and(eq(templates.id, id), groupWelcomeMirror.holds(scope, owner));
  try {
    if (row.wecomStatus === 'deleting') {
      await client.groupWelcome.del(row.wecomTemplateId!);
      await db.update(templates).set({ wecomStatus: 'deleted', ...groupWelcomeMirror.freed(), wecomErrcode: null, wecomError: null }).where(where);
    } else {
      const content = await wecomContent(db, client, corpId, row, now);
      let templateId = row.wecomTemplateId;
      if (templateId) await client.groupWelcome.edit(templateId, content);
      else templateId = (await client.groupWelcome.add(content)).template_id;
      // An edit saved while this call was out leaves the version ahead: still owed.
      await db.update(templates).set({
        wecomTemplateId: templateId, wecomSyncedVersion: row.version, ...groupWelcomeMirror.freed(), wecomErrcode: null, wecomError: null,
        wecomStatus: sql`case when ${templates.archivedAt} is not null then 'deleting' when ${templates.version} > ${row.version} then 'editing' else 'synced' end`,
      }).where(where);
    }
  } catch (err) {
    const unknown = outcomeUnknown(err);
    const errcode = errcodeOf(err) ?? null;
    if (row.wecomStatus === 'adding') {
      await db.update(templates).set({
        wecomStatus: 'failed', ...groupWelcomeMirror.freed(), wecomErrcode: errcode,
        wecomError: unknown
          ? `outcome unknown (${errorMessage(err).slice(0, 200)}); WeCom cannot list group welcome templates, so sync again to add it (an earlier copy may remain in WeCom)`
          : errorMessage(err).slice(0, 500),
      }).where(where);
    } else if (unknown) {
      // Still owed: keep the lease a while, so the next try does not hammer WeCom.
      await groupWelcomeMirror.release(db, scope, id, owner, {
        availableAfterSeconds: RETRY_AFTER_SECONDS, set: sql`wecom_errcode = ${errcode}, wecom_error = ${errorMessage(err).slice(0, 500)}`,
      });
    } else {
      await db.update(templates).set({ wecomStatus: 'failed', ...groupWelcomeMirror.freed(), wecomErrcode: errcode, wecomError: errorMessage(err).slice(0, 500) }).where(where);
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
export async function retryGroupWelcome(db: Db, client: WeComClient, corpId: string, id: number, now: Date, owner = ROUTES_LEASE_OWNER): Promise<TemplateRow> {
  const t = await current(db, corpId, id);
  if (t.kind !== 'group_welcome') throw notFound(`group welcome template ${id}`);
  if (t.wecomStatus === 'failed') {
    await db.update(templates).set({
      wecomStatus: sql`case when ${templates.archivedAt} is not null then (case when ${templates.wecomTemplateId} is null then 'deleted' else 'deleting' end)
        when ${templates.wecomTemplateId} is null then 'adding' else 'editing' end`,
    }).where(and(eq(templates.corpId, corpId), eq(templates.id, id), eq(templates.wecomStatus, 'failed')));
  }
  return syncGroupWelcome(db, client, corpId, id, now, { owner });
}

/**
 * Recovery of mirrors left owed by a crash or an unclear failure, once their
 * lease has passed: edits and deletes are sent again; an add left in flight is
 * marked failed (outcome unknown). Returns the rows looked at.
 */
export async function recoverGroupWelcomes(db: Db, client: WeComClient, corpId: string, now: Date, owner: string, limit = 50): Promise<number> {
  const scope = corpScope(corpId);
  const ids = await groupWelcomeMirror.take(db, scope, { owner, leaseSeconds: WECOM_LEASE_SECONDS, limit });
  if (ids.length === 0) return 0;
  const rows = await db.select({ id: templates.id, wecomStatus: templates.wecomStatus }).from(templates)
    .where(and(eq(templates.corpId, corpId), inArray(templates.id, ids)));
  for (const r of rows.sort((a, b) => a.id - b.id)) {
    if (r.wecomStatus === 'adding') {
      await db.update(templates).set({
        wecomStatus: 'failed', ...groupWelcomeMirror.freed(),
        wecomError: 'outcome unknown (the add was interrupted); WeCom cannot list group welcome templates, so sync again to add it (an earlier copy may remain in WeCom)',
      }).where(and(eq(templates.id, r.id), eq(templates.wecomStatus, 'adding'), groupWelcomeMirror.holds(scope, owner)));
    } else {
      await syncGroupWelcome(db, client, corpId, r.id, now, { claimed: true, owner });
    }
  }
  return ids.length;
}
