import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../../db/connection';
import { textArray } from '../../db/bulk';
import { corpScope, type Scope } from '../../db/scope';
import { employeeStates, liveTagIds, relationStatsByState, type StateRelationStats } from '../../ledger';
import { conflict, errorMessage, notFound } from '../../lib/errors';
import { errcodeOf, type WeComClient } from '../../wecom/client';
import { invalid, outcomeUnknown, wecomFailure } from './failures';
import { channelMirror, RETRY_AFTER_SECONDS, ROUTES_LEASE_OWNER, WECOM_LEASE_SECONDS } from './mirrorLease';
import { channels, welcomeSends, type ChannelStatus } from './schema';
import { getTemplate, type ContentDeps } from './templates';

export type ChannelRow = typeof channels.$inferSelect;

/** WeCom's limits on a contact way (§4.12, §5.5). */
export const CHANNEL_USERS_MAX = 100;
export const REMARK_MAX_CHARS = 30;
export const STATE_MAX_CHARS = 30;
/** WeCom: the config_id is unknown or already deleted. */
const GONE = 41044;

export interface ChannelInput {
  name: string;
  userIds: string[];
  remark?: string;
  skipVerify?: boolean;
  welcomeTemplateId?: number | null;
  tagIds?: string[];
}

export type ChannelPatch = Partial<ChannelInput>;

/** Our `state`: `ll` + 16 hex digits (18 chars, within WeCom's 30), random so it names one channel for good. */
export const newState = () => `ll${randomBytes(8).toString('hex')}`;

async function validate(ex: Executor, corpId: string, c: Required<Omit<ChannelInput, 'name'>>): Promise<void> {
  if (c.userIds.length === 0) throw invalid('userIds', 'at least one rep is needed');
  if (c.userIds.length > CHANNEL_USERS_MAX) throw invalid('userIds', `at most ${CHANNEL_USERS_MAX} reps`);
  const dupe = c.userIds.findIndex((u, i) => c.userIds.indexOf(u) !== i);
  if (dupe >= 0) throw invalid(`userIds.${dupe}`, `${c.userIds[dupe]} is listed twice`);
  const reps = await employeeStates(ex, corpId, c.userIds);
  c.userIds.forEach((u, i) => {
    const e = reps.get(u);
    if (!e) throw invalid(`userIds.${i}`, `no employee ${u}`);
    if (e.status !== 'active') throw invalid(`userIds.${i}`, `${u} is ${e.status}`);
    if (!e.hasCustomerContact) throw invalid(`userIds.${i}`, `${u} does not have customer contact enabled`);
  });
  if ([...c.remark].length > REMARK_MAX_CHARS) throw invalid('remark', `at most ${REMARK_MAX_CHARS} characters`);
  if (c.welcomeTemplateId !== null) {
    const t = await getTemplate(ex, corpId, c.welcomeTemplateId);
    if (!t || t.archivedAt) throw invalid('welcomeTemplateId', `no template ${c.welcomeTemplateId}`);
    if (t.kind !== 'welcome') throw invalid('welcomeTemplateId', `template ${t.id} is a ${t.kind} template, a welcome template is needed`);
  }
  const live = await liveTagIds(ex, corpId, c.tagIds);
  c.tagIds.forEach((t, i) => {
    if (!live.has(t)) throw invalid(`tagIds.${i}`, `no live corp tag ${t}`);
  });
}

const wecomWay = (c: Pick<ChannelRow, 'userIds' | 'remark' | 'skipVerify' | 'state'>) =>
  ({ user: c.userIds, remark: c.remark, skip_verify: c.skipVerify, state: c.state });

const byId = (corpId: string, id: number) => and(eq(channels.corpId, corpId), eq(channels.id, id));

/**
 * Scope rule for channels (contact ways): a channel is visible when every rep on it is an employee of the
 * scope (the whole corp sees all); anything else answers 404. Creating or changing one ('content.edit')
 * may only put reps of the scope on it. Its stats count the relations and welcomes of the scope's reps.
 */
const channelInScope = (scope: Scope): SQL =>
  scope.userIds === null ? sql`true` : sql`${channels.userIds} <@ ${textArray(scope.userIds)}`;

/** Every rep named is in the scope (else 404 for the first that is not: no existence oracle). */
function assertRepsInScope(scope: Scope, userIds: readonly string[]): void {
  const outside = userIds.find((u) => !scope.coversEmployee(u));
  if (outside !== undefined) throw notFound(`employee ${outside}`);
}
/** The row, while `owner` holds its WeCom lease: only the lease's owner records a call's outcome. */
const leasedBy = (corpId: string, id: number, owner: string) => and(eq(channels.id, id), channelMirror.holds(corpScope(corpId), owner));

/** Leaves the row owed after an unclear failure, the lease kept a while so the next try does not hammer WeCom. */
async function pauseOwed(db: Db, corpId: string, id: number, owner: string, err: unknown): Promise<void> {
  await channelMirror.release(db, corpScope(corpId), id, owner, {
    availableAfterSeconds: RETRY_AFTER_SECONDS, set: sql`last_errcode = ${errcodeOf(err) ?? null}, last_error = ${errorMessage(err).slice(0, 500)}`,
  });
}

/** The channel, when visible in the scope (a corp id: the whole corp, for the workflows below and the workers). */
export async function getChannel(ex: Executor, scopeOrCorp: Scope | string, id: number): Promise<ChannelRow | undefined> {
  const scope = typeof scopeOrCorp === 'string' ? corpScope(scopeOrCorp) : scopeOrCorp;
  const [row] = await ex.select().from(channels).where(and(byId(scope.corpId, id), channelInScope(scope)));
  return row;
}

/** The channel whose state an add carried (deleted ones too: the QR code may still be around), if any. */
export async function channelByState(ex: Executor, corpId: string, state: string): Promise<ChannelRow | undefined> {
  const [row] = await ex.select().from(channels).where(and(eq(channels.corpId, corpId), eq(channels.state, state)));
  return row;
}

export async function listChannels(ex: Executor, scope: Scope, f: { status?: ChannelStatus; includeDeleted?: boolean }): Promise<ChannelRow[]> {
  const conds: SQL[] = [eq(channels.corpId, scope.corpId), channelInScope(scope)];
  if (f.status) conds.push(eq(channels.status, f.status));
  else if (!f.includeDeleted) conds.push(ne(channels.status, 'deleted'));
  return ex.select().from(channels).where(and(...conds)).orderBy(desc(channels.id));
}

/**
 * Creates a channel: the row (status `creating`, our state, a lease) is
 * committed before add_contact_way, the config_id and QR code after. A refusal
 * marks it failed (502); an unclear failure leaves it `creating` for
 * recovery, which finds the way by its state — so one channel never gets two
 * contact ways.
 */
export async function createChannel(d: ContentDeps, scope: Scope, input: ChannelInput, actor: string, now = new Date(), owner = ROUTES_LEASE_OWNER): Promise<ChannelRow> {
  assertRepsInScope(scope, input.userIds);
  const c = { userIds: input.userIds, remark: input.remark ?? '', skipVerify: input.skipVerify ?? true, welcomeTemplateId: input.welcomeTemplateId ?? null, tagIds: [...new Set(input.tagIds ?? [])] };
  await validate(d.db, d.corpId, c);
  const [row] = await d.db
    .insert(channels)
    .values({ corpId: d.corpId, name: input.name, state: newState(), status: 'creating', ...c, createdBy: actor, ...channelMirror.taken(owner, WECOM_LEASE_SECONDS) })
    .returning();
  try {
    // Type 2 (multi-member) even for one rep, so reps can be changed later; scene 2 = QR code.
    const res = await d.client.contactWays.add({ type: 2, scene: 2, ...wecomWay(row!) });
    return await finishCreate(d.db, d.corpId, row!.id, owner, res.config_id, res.qr_code ?? null);
  } catch (err) {
    if (outcomeUnknown(err)) {
      await d.db.update(channels).set({ lastErrcode: errcodeOf(err) ?? null, lastError: `outcome unknown, recovery will finish it: ${errorMessage(err).slice(0, 300)}` }).where(byId(d.corpId, row!.id));
      return (await getChannel(d.db, d.corpId, row!.id))!;
    }
    await d.db.update(channels).set({ status: 'failed', ...channelMirror.freed(), lastErrcode: errcodeOf(err) ?? null, lastError: errorMessage(err).slice(0, 500), updatedAt: now })
      .where(leasedBy(d.corpId, row!.id, owner));
    throw wecomFailure(err, 'add_contact_way');
  }
}

async function finishCreate(db: Db, corpId: string, id: number, owner: string, configId: string, qrCode: string | null): Promise<ChannelRow> {
  const [row] = await db.update(channels)
    .set({ status: 'active', configId, qrCode, wecomSyncedVersion: sql`${channels.version}`, ...channelMirror.freed(), lastErrcode: null, lastError: null, updatedAt: new Date() })
    .where(and(leasedBy(corpId, id, owner), eq(channels.status, 'creating')))
    .returning();
  return row ?? (await getChannel(db, corpId, id))!;
}

/**
 * Changes a channel. What WeCom holds (reps, remark, skip_verify) is saved
 * with a new version and a lease first, then sent (update_contact_way replaces
 * those values, so sending again is harmless); a refusal puts the old values
 * back (502), an unclear failure leaves the version owed for recovery.
 */
export async function updateChannel(d: ContentDeps, scope: Scope, id: number, patch: ChannelPatch, now = new Date(), owner = ROUTES_LEASE_OWNER): Promise<ChannelRow> {
  const cur = await getChannel(d.db, scope, id);
  if (!cur || cur.status === 'deleted') throw notFound(`channel ${id}`);
  if (patch.userIds) assertRepsInScope(scope, patch.userIds);
  if (cur.status !== 'active') throw conflict(`channel ${id} is ${cur.status}: only an active channel can be changed`);
  const next = {
    userIds: patch.userIds ?? cur.userIds, remark: patch.remark ?? cur.remark, skipVerify: patch.skipVerify ?? cur.skipVerify,
    welcomeTemplateId: patch.welcomeTemplateId !== undefined ? patch.welcomeTemplateId : cur.welcomeTemplateId,
    tagIds: patch.tagIds ? [...new Set(patch.tagIds)] : cur.tagIds,
  };
  await validate(d.db, d.corpId, next);
  const wecomChanged = next.remark !== cur.remark || next.skipVerify !== cur.skipVerify || next.userIds.join('\n') !== cur.userIds.join('\n');
  const [row] = await d.db
    .update(channels)
    .set({
      ...next, ...(patch.name !== undefined ? { name: patch.name } : {}), updatedAt: now,
      // The new version's call takes the lease over: an older call in flight then cannot record its outcome.
      ...(wecomChanged ? { version: sql`${channels.version} + 1`, ...channelMirror.taken(owner, WECOM_LEASE_SECONDS) } : {}),
    })
    .where(and(byId(d.corpId, id), eq(channels.status, 'active')))
    .returning();
  if (!row) throw conflict(`channel ${id} changed meanwhile: try again`);
  if (!wecomChanged) return row;
  try {
    await d.client.contactWays.update({ config_id: row.configId!, ...wecomWay(row) });
    return await settleVersion(d.db, d.corpId, id, owner, row.version);
  } catch (err) {
    if (outcomeUnknown(err)) {
      await pauseOwed(d.db, d.corpId, id, owner, err);
      return (await getChannel(d.db, d.corpId, id))!;
    }
    // WeCom kept the old values: so do we.
    await d.db.update(channels)
      .set({ userIds: cur.userIds, remark: cur.remark, skipVerify: cur.skipVerify, wecomSyncedVersion: row.version, ...channelMirror.freed(), lastErrcode: errcodeOf(err) ?? null, lastError: errorMessage(err).slice(0, 500) })
      .where(and(leasedBy(d.corpId, id, owner), eq(channels.version, row.version)));
    throw wecomFailure(err, 'update_contact_way');
  }
}

async function settleVersion(db: Db, corpId: string, id: number, owner: string, version: number): Promise<ChannelRow> {
  await db.update(channels)
    .set({ wecomSyncedVersion: sql`greatest(${channels.wecomSyncedVersion}, ${version})`, ...channelMirror.freed(), lastErrcode: null, lastError: null })
    .where(leasedBy(corpId, id, owner));
  return (await getChannel(db, corpId, id))!;
}

/** Deletes the contact way in WeCom and the channel here (soft: relations keep naming its state). */
export async function deleteChannel(d: ContentDeps, scope: Scope, id: number, now = new Date(), owner = ROUTES_LEASE_OWNER): Promise<ChannelRow> {
  const cur = await getChannel(d.db, scope, id);
  if (!cur || cur.status === 'deleted') throw notFound(`channel ${id}`);
  if (cur.status === 'creating') throw conflict(`channel ${id} is still being created: try again once it is active or failed`);
  if (cur.status === 'failed' || !cur.configId) {
    const [row] = await d.db.update(channels).set({ status: 'deleted', deletedAt: now, updatedAt: now, ...channelMirror.freed() }).where(byId(d.corpId, id)).returning();
    return row!;
  }
  const [row] = await d.db.update(channels)
    .set({ status: 'deleting', updatedAt: now, ...channelMirror.taken(owner, WECOM_LEASE_SECONDS) })
    .where(and(byId(d.corpId, id), inArray(channels.status, ['active', 'deleting'])))
    .returning();
  if (!row) throw conflict(`channel ${id} changed meanwhile: try again`);
  try {
    await delWay(d.client, row.configId!);
    return await finishDelete(d.db, d.corpId, id, owner, now);
  } catch (err) {
    if (outcomeUnknown(err)) {
      await pauseOwed(d.db, d.corpId, id, owner, err);
      return (await getChannel(d.db, d.corpId, id))!;
    }
    await undoDelete(d.db, d.corpId, id, owner, err);
    throw wecomFailure(err, 'del_contact_way');
  }
}

/** del_contact_way; a way WeCom no longer knows is as deleted as we want it. */
async function delWay(client: WeComClient, configId: string): Promise<void> {
  try {
    await client.contactWays.del(configId);
  } catch (err) {
    if (errcodeOf(err) !== GONE) throw err;
  }
}

async function finishDelete(db: Db, corpId: string, id: number, owner: string, now: Date): Promise<ChannelRow> {
  const [row] = await db.update(channels)
    .set({ status: 'deleted', deletedAt: now, updatedAt: now, ...channelMirror.freed(), lastErrcode: null, lastError: null })
    .where(and(leasedBy(corpId, id, owner), eq(channels.status, 'deleting')))
    .returning();
  return row ?? (await getChannel(db, corpId, id))!;
}

/** WeCom refused the delete: the channel is active again. */
async function undoDelete(db: Db, corpId: string, id: number, owner: string, err: unknown): Promise<void> {
  await db.update(channels).set({ status: 'active', ...channelMirror.freed(), lastErrcode: errcodeOf(err) ?? null, lastError: errorMessage(err).slice(0, 500) })
    .where(and(leasedBy(corpId, id, owner), eq(channels.status, 'deleting')));
}

export interface ChannelStats extends StateRelationStats {
  channelId: number;
  state: string;
  /** Share of the customers added ≥30 days ago who are still there (null when none are that old). */
  retention30: number | null;
  welcomesSent: number;
  welcomesFailed: number;
}

/**
 * Adds, removals and 30-day retention from the ledger's relations that carry the channel's state, and welcome
 * outcomes from ours: both counted over the scope's reps only.
 */
export async function channelStats(ex: Executor, scope: Scope, id: number, now: Date): Promise<ChannelStats> {
  const corpId = scope.corpId;
  const ch = await getChannel(ex, scope, id);
  if (!ch) throw notFound(`channel ${id}`);
  const rel = (await relationStatsByState(ex, scope, [ch.state], now, 30)).get(ch.state) ?? {
    adds: 0, active: 0, removedByCustomer: 0, removedByRep: 0, removedOther: 0, transferred: 0, awaitingHandover: 0, addedBeforeWindow: 0, stillActiveAfterWindow: 0,
  };
  const [w] = rowsOf<{ sent: number; failed: number }>(await ex.execute(sql`
    select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status in ('failed', 'unknown', 'expired'))::int as failed
    from ${welcomeSends} where corp_id = ${corpId} and channel_id = ${id} and ${scope.employee(sql`${welcomeSends.userId}`)}`));
  return {
    channelId: id, state: ch.state, ...rel,
    retention30: rel.addedBeforeWindow ? rel.stillActiveAfterWindow / rel.addedBeforeWindow : null,
    welcomesSent: Number(w?.sent ?? 0), welcomesFailed: Number(w?.failed ?? 0),
  };
}

/** Takes the WeCom lease of rows that owe WeCom something and whose lease has passed. */
async function claimOwed(db: Db, corpId: string, owner: string, limit: number): Promise<ChannelRow[]> {
  const ids = await channelMirror.take(db, corpScope(corpId), { owner, leaseSeconds: WECOM_LEASE_SECONDS, limit });
  if (ids.length === 0) return [];
  return db.select().from(channels).where(and(eq(channels.corpId, corpId), inArray(channels.id, ids)));
}

/** The config_id of the API-created way carrying `state`, looking at ways created since `since`. */
async function findWayByState(client: WeComClient, state: string, since: Date): Promise<{ config_id: string; qr_code?: string } | undefined> {
  let cursor = '';
  for (let page = 0; page < 1000; page++) {
    const res = await client.contactWays.list({ start_time: Math.floor(since.getTime() / 1000), cursor, limit: 1000 });
    for (const { config_id } of res.items) {
      const way = await client.contactWays.get(config_id);
      if (way.state === state) return { config_id, ...(way.qr_code ? { qr_code: way.qr_code } : {}) };
    }
    if (!res.nextCursor || res.nextCursor === cursor) return undefined;
    cursor = res.nextCursor;
  }
  return undefined;
}

/**
 * Finishes what a crash or an unclear failure left owed, once the lease of the
 * call in flight has passed: a channel still `creating` is looked up in WeCom
 * by its state (found → active; not found → the add never happened → failed);
 * an owed update or delete is sent again. Returns the channels looked at.
 */
export async function recoverChannels(db: Db, client: WeComClient, corpId: string, now: Date, owner: string, limit = 20): Promise<number> {
  const rows = await claimOwed(db, corpId, owner, limit);
  for (const c of rows) {
    try {
      if (c.status === 'creating') {
        const way = await findWayByState(client, c.state, new Date(c.createdAt.getTime() - 86_400_000));
        if (way) await finishCreate(db, corpId, c.id, owner, way.config_id, way.qr_code ?? null);
        else {
          await db.update(channels).set({ status: 'failed', ...channelMirror.freed(), lastError: 'WeCom has no contact way with this state: the add never happened', updatedAt: now })
            .where(and(leasedBy(corpId, c.id, owner), eq(channels.status, 'creating')));
        }
      } else if (c.status === 'deleting') {
        await delWay(client, c.configId!);
        await finishDelete(db, corpId, c.id, owner, now);
      } else {
        await client.contactWays.update({ config_id: c.configId!, ...wecomWay(c) });
        await settleVersion(db, corpId, c.id, owner, c.version);
      }
    } catch (err) {
      const refused = !outcomeUnknown(err);
      if (refused && c.status === 'active') {
        // WeCom refuses this version for good: stop owing it, and say that WeCom's values differ from ours.
        await db.update(channels).set({
          wecomSyncedVersion: c.version, ...channelMirror.freed(), lastErrcode: errcodeOf(err) ?? null,
          lastError: `WeCom refused the update, it keeps its earlier values: ${errorMessage(err).slice(0, 300)}`,
        }).where(and(leasedBy(corpId, c.id, owner), eq(channels.version, c.version)));
        continue;
      }
      if (refused && c.status === 'deleting') {
        await undoDelete(db, corpId, c.id, owner, err);
        continue;
      }
      await pauseOwed(db, corpId, c.id, owner, err);
    }
  }
  return rows.length;
}
