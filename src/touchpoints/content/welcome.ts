import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { queueTagChange } from '../../archive';
import { rowsOf, type Db } from '../../db/connection';
import type { Scope } from '../../db/scope';
import type { EventHandler, HandlerContext, HandlerRegistry } from '../../events';
import { systemClock, type Clock } from '../../lib/clock';
import { errorMessage } from '../../lib/errors';
import type { ExternalContactEvent } from '../../wecom/callback/events';
import { errcodeOf, type Attachment, type WeComClient } from '../../wecom/client';
import { wecomAttachments } from './attachments';
import { channelByState, type ChannelRow } from './channels';
import { outcomeUnknown } from './failures';
import { getMedia, wecomMediaId } from './media';
import { CUSTOMER_VARIABLES, renderTemplate, templateVariables, type RenderVars } from './render';
import { renderVarsFor } from './renderVars';
import { welcomeSends, type CustomerLookup, type WelcomeSendStatus } from './schema';
import { getWelcomeSettings } from './settings';
import { getTemplate, type TemplateRow } from './templates';

/** A WelcomeCode is valid 20 s (§4.11). */
export const WELCOME_CODE_TTL_MS = 20_000;
/** An event older than this is not sent at all (its code expired long ago; the margin covers clock skew). */
const STALE_EVENT_MS = 60_000;
/** Tries of one send while the code may still be valid, for failures that may not have reached WeCom. */
const SEND_TRIES = 3;
const RETRY_WITHIN_MS = 15_000;
/** WeCom: the code was already used (by us, or by another app) / the pair already chatted. */
const ALREADY_USED = 41051;
/** The longest the customer read (externalcontact/get) may take: the add event carries no profile. */
export const PROFILE_BUDGET_MS = 3_000;
/** Of the code's 20 s, what the read must leave for attachments and the send (with its tries). */
const SEND_RESERVE_MS = 8_000;

export interface WelcomeDeps {
  db: Db;
  client: WeComClient;
  /** Code expiry, stale events, the times recorded (the simulator's clock in demo mode); default the system's. */
  clock?: Clock;
  /** Cap on the customer read (default PROFILE_BUDGET_MS). */
  profileBudgetMs?: number;
}

const TIMED_OUT = Symbol('timed out');

/** `p`, or TIMED_OUT after `ms`. A late outcome of `p` is dropped: the caller has moved on. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(resolve, ms, TIMED_OUT); });
  p.catch(() => undefined);
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type CustomerKey = keyof NonNullable<RenderVars['customer']>;
const customerKey = (path: string) => path.slice('customer.'.length) as CustomerKey;

interface WelcomeVars {
  vars: RenderVars;
  lookup: CustomerLookup;
  lookupError?: string;
}

/**
 * The variables for one add: rep and known customers from the ledger. A new
 * customer is not in the ledger yet (its own handler reads them after us),
 * so when the template asks for customer variables the ledger lacks, they are
 * read from WeCom within a budget that leaves the send its share of the
 * code's 20 s. A failed or late read leaves them to their fallbacks.
 */
async function welcomeVars(d: WelcomeDeps, corpId: string, e: ExternalContactEvent, template: TemplateRow, clock: Clock): Promise<WelcomeVars> {
  const now = () => clock.now();
  const vars = await renderVarsFor(d.db, corpId, { externalUserId: e.externalUserId, userId: e.userId });
  const wanted = templateVariables(template).filter((v) => (CUSTOMER_VARIABLES as readonly string[]).includes(v));
  if (wanted.length === 0) return { vars, lookup: 'not_needed' };
  if (wanted.every((v) => vars.customer?.[customerKey(v)])) return { vars, lookup: 'ledger' };

  const codeExpiresAt = (e.createTime ? e.createTime * 1000 : now().getTime()) + WELCOME_CODE_TTL_MS;
  const budget = Math.min(d.profileBudgetMs ?? PROFILE_BUDGET_MS, codeExpiresAt - SEND_RESERVE_MS - now().getTime());
  if (budget <= 0) return { vars, lookup: 'no_time' };
  try {
    const detail = await within(d.client.customers.get(e.externalUserId), budget);
    if (detail === TIMED_OUT) return { vars, lookup: 'timed_out', lookupError: `no answer within ${budget} ms` };
    const c = detail.external_contact;
    const remark = detail.follow_user.find((f) => f.userid === e.userId)?.remark;
    // WeCom's values are the current ones; the ledger's stay where WeCom has none.
    vars.customer = {
      ...vars.customer,
      ...(c.name ? { name: c.name } : {}), ...(c.corp_name ? { corpName: c.corp_name } : {}), ...(remark ? { remark } : {}),
    };
    return { vars, lookup: 'wecom' };
  } catch (err) {
    return { vars, lookup: 'failed', lookupError: errorMessage(err).slice(0, 300) };
  }
}

/** A live template, or undefined. */
async function usable(db: Db, corpId: string, id: number | null | undefined): Promise<TemplateRow | undefined> {
  if (!id) return undefined;
  const t = await getTemplate(db, corpId, id);
  return t && !t.archivedAt ? t : undefined;
}

/**
 * Sends the welcome message for one add at most once per WelcomeCode. The
 * template is the channel's (by the add's state), else the corp default, else
 * none; its customer variables come from the ledger, else from a bounded
 * WeCom read (welcomeVars), and the row records what each variable became.
 * A welcome_sends row keyed by the code is committed (`sending`) before
 * send_welcome_msg and settled after; a rerun finds the row and does not call.
 * Within one run an unclear failure is tried again while the code may still
 * be valid: WeCom takes a code once, so a repeat cannot send twice.
 */
export async function sendWelcome(d: WelcomeDeps, ctx: HandlerContext, e: ExternalContactEvent, channel: ChannelRow | undefined): Promise<WelcomeSendStatus | 'already'> {
  const { db, client } = d;
  const { corpId } = ctx;
  const clock = d.clock ?? systemClock;
  const now = () => clock.now();
  const code = e.welcomeCode!;
  const [earlier] = await db.select({ status: welcomeSends.status }).from(welcomeSends)
    .where(and(eq(welcomeSends.corpId, corpId), eq(welcomeSends.welcomeCode, code)));
  if (earlier) return 'already';

  const template = (await usable(db, corpId, channel?.welcomeTemplateId))
    ?? (await usable(db, corpId, (await getWelcomeSettings(db, corpId)).defaultWelcomeTemplateId));
  const base = {
    corpId, welcomeCode: code, eventId: ctx.eventId, userId: e.userId, externalUserId: e.externalUserId, state: e.state ?? null,
    channelId: channel?.id ?? null, templateId: template?.id ?? null,
  };
  const record = async (status: WelcomeSendStatus, fields: Partial<typeof welcomeSends.$inferInsert> = {}) => {
    const rows = await db.insert(welcomeSends).values({ ...base, status, ...fields }).onConflictDoNothing().returning({ id: welcomeSends.id });
    return rows[0]?.id;
  };
  if (!template) {
    await record('skipped', { error: 'no welcome template for this state and no corp default', finishedAt: now() });
    return 'skipped';
  }
  if (e.createTime && now().getTime() - e.createTime * 1000 > STALE_EVENT_MS) {
    await record('expired', { error: 'the event is older than its welcome code', finishedAt: now() });
    return 'expired';
  }

  const { vars, lookup, lookupError } = await welcomeVars(d, corpId, e, template, clock);
  const rendered = renderTemplate(template, vars);
  // What each variable became, on every row that rendered: auditable after the fact.
  const audit = {
    missing: rendered.missing,
    filled: templateVariables(template).filter((v) => !rendered.missing.includes(v)),
    customerLookup: lookup,
    customerLookupError: lookupError ?? null,
  };
  if (lookup === 'failed' || lookup === 'timed_out' || lookup === 'no_time') {
    ctx.log.info({ lookup, error: lookupError }, 'welcome: customer variables fell back'); // WeCom error texts carry no customer data
  }
  let attachments: Attachment[] = [];
  let attachmentError: string | undefined;
  try {
    attachments = await wecomAttachments(db, client, corpId, rendered.attachments, now());
  } catch (err) {
    // Send the text rather than nothing; the row says what was left out.
    attachmentError = `attachments left out: ${errorMessage(err).slice(0, 300)}`;
  }
  const content = rendered.text.trim() ? rendered.text : '';
  if (!content && attachments.length === 0) {
    await record('failed', { ...audit, error: attachmentError ?? 'nothing to send', finishedAt: now() });
    return 'failed';
  }
  const id = await record('sending', { ...audit, content, attachmentTypes: attachments.map((a) => a.msgtype) });
  if (id === undefined) return 'already'; // another worker recorded this code first

  const started = Date.now();
  let uncertain = false;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.messages.sendWelcomeMsg({ welcome_code: code, ...(content ? { text: { content } } : {}), ...(attachments.length ? { attachments } : {}) });
      await settle(db, corpId, id, 'sent', { error: attachmentError ?? null, finishedAt: now() });
      return 'sent';
    } catch (err) {
      const errcode = errcodeOf(err) ?? null;
      if (outcomeUnknown(err) && attempt < SEND_TRIES && Date.now() - started < RETRY_WITHIN_MS) {
        uncertain = true;
        continue;
      }
      // 41051 right after an attempt of ours that may have arrived: most likely that one was delivered.
      const status: WelcomeSendStatus = outcomeUnknown(err) || (uncertain && errcode === ALREADY_USED) ? 'unknown' : 'failed';
      await settle(db, corpId, id, status, { errcode, error: errorMessage(err).slice(0, 500), finishedAt: now() });
      ctx.log.warn({ errcode, status }, 'welcome message not sent');
      return status;
    }
  }
}

async function settle(db: Db, corpId: string, id: number, status: WelcomeSendStatus, fields: Partial<typeof welcomeSends.$inferInsert>): Promise<void> {
  await db.update(welcomeSends).set({ status, ...fields }).where(and(eq(welcomeSends.corpId, corpId), eq(welcomeSends.id, id), eq(welcomeSends.status, 'sending')));
}

/**
 * Welcome messages and channel auto-tags on adds. Register it before the
 * ledger's handlers: `prepare` runs in registration order, and the code is
 * only valid 20 s. Sending happens in `prepare` (outside the transaction, and
 * recorded so a rerun does not send again); the channel's tags are queued in
 * `apply`, so they commit with the event.
 */
export function registerWelcomeHandlers(registry: HandlerRegistry, d: WelcomeDeps): void {
  const handler: EventHandler<void> = {
    async prepare(e, ctx) {
      if (e.kind !== 'external_contact' || !e.welcomeCode) return;
      const channel = e.state ? await channelByState(d.db, ctx.corpId, e.state) : undefined;
      await sendWelcome(d, ctx, e, channel);
    },
    async apply(tx, e, _p, ctx) {
      // A half add is not a relation yet: tags wait for the full add.
      if (e.kind !== 'external_contact' || e.changeType !== 'add_external_contact' || !e.state) return;
      const channel = await channelByState(tx, ctx.corpId, e.state);
      if (!channel || channel.tagIds.length === 0) return;
      await queueTagChange(tx, ctx.corpId, { userId: e.userId, externalUserId: e.externalUserId, add: channel.tagIds });
    },
  };
  registry.on('change_external_contact:add_external_contact', handler);
  registry.on('change_external_contact:add_half_external_contact', handler);
}

/** Rows left `sending` by a crash mid-call: after the code's life they can only be `unknown`. */
export async function settleStaleWelcomes(db: Db, corpId: string, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - 10 * WELCOME_CODE_TTL_MS);
  const rows = await db.update(welcomeSends)
    .set({ status: 'unknown', error: 'no outcome recorded (interrupted mid-call)', finishedAt: now })
    .where(and(eq(welcomeSends.corpId, corpId), eq(welcomeSends.status, 'sending'), lt(welcomeSends.createdAt, cutoff)))
    .returning({ id: welcomeSends.id });
  return rows.length;
}

export type WelcomeSendRow = typeof welcomeSends.$inferSelect;

/** Welcome sends by the scope's reps, newest first (id cursor), optionally for one customer, channel or status. */
export async function listWelcomeSends(
  ex: Db,
  scope: Scope,
  f: { externalUserId?: string; channelId?: number; status?: WelcomeSendStatus; before?: number; limit: number },
): Promise<WelcomeSendRow[]> {
  const conds = [eq(welcomeSends.corpId, scope.corpId), scope.employee(sql`${welcomeSends.userId}`)];
  if (f.externalUserId) conds.push(eq(welcomeSends.externalUserId, f.externalUserId));
  if (f.channelId) conds.push(eq(welcomeSends.channelId, f.channelId));
  if (f.status) conds.push(eq(welcomeSends.status, f.status));
  if (f.before) conds.push(lt(welcomeSends.id, f.before));
  return ex.select().from(welcomeSends).where(and(...conds)).orderBy(desc(welcomeSends.id)).limit(f.limit);
}

/** Welcome media is re-uploaded a little before the send path would (2.5 days), so a send never waits on an upload. */
const WARM_REUSE_MS = 2 * 86_400_000;

/**
 * Keeps the media_ids of live welcome templates fresh, so sending a welcome
 * (20 s window) never has to upload first. Failures are left for the next
 * pass (the send path still uploads if it must). Returns uploads made.
 */
export async function warmWelcomeMedia(db: Db, client: WeComClient, corpId: string, now: Date): Promise<number> {
  const refs = rowsOf<{ id: string }>(await db.execute(sql`
    select distinct (coalesce(a->>'mediaRef', a->>'picMediaRef'))::bigint as id
    from templates t, jsonb_array_elements(t.attachments) a
    where t.corp_id = ${corpId} and t.kind = 'welcome' and t.archived_at is null
      and coalesce(a->>'mediaRef', a->>'picMediaRef') is not null`)).map((r) => Number(r.id));
  let uploads = 0;
  for (const id of refs) {
    const before = await getMedia(db, corpId, id);
    try {
      const mediaId = await wecomMediaId(db, client, corpId, id, now, WARM_REUSE_MS);
      if (mediaId !== before?.wecomMediaId) uploads++;
    } catch {
      // The send path uploads on demand; the next pass tries again.
    }
  }
  return uploads;
}
