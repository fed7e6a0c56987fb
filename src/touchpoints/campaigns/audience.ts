import { sql, type SQL } from 'drizzle-orm';
import { lastInteractionSql } from '../../archive';
import { rowsOf, type Executor } from '../../db/connection';
import { corpScope, type Scope } from '../../db/scope';
import { ledgerSql } from '../../ledger';
import { compileRule } from '../../segments';
import { audienceRule, type Audience } from './definition';
import { CUSTOMERS_PER_CALL, GROUPS_PER_CALL, type CampaignSettings } from './settings';
import type { CampaignKind, OwnerRule } from './schema';

/** How a delivery's recipient is reached: a push to a customer, a post to a group, a customer on a rep's task list. */
export type RecipientKind = 'customer' | 'group' | 'task';

export interface ResolvedAudience {
  /** A select of (recipient_id, sender): each recipient once, with the rep who sends. */
  senders: SQL;
  recipientKind: RecipientKind;
  /** Recipients per WeCom call (or per task message). */
  batchSize: number;
  /** WeCom's receive limit and our frequency cap apply (mass messages only). */
  capped: boolean;
}

/**
 * The audience of a campaign at `now`, as SQL: customers through a segment rule (with one owner each), or groups —
 * only inside `scope` (the campaign's stored reach, intersected with the caller's for a preview): customers with an
 * active relation to one of its employees, sent by such an employee (preferred over any other rep of the customer),
 * and groups those employees own. The whole corp adds no predicate: the bench-critical plan is unchanged.
 */
export async function resolveAudience(
  ex: Executor, scope: Scope, c: { kind: CampaignKind; audience: unknown; ownerRule: OwnerRule }, now: Date,
): Promise<ResolvedAudience> {
  const corpId = scope.corpId;
  const whole = scope.userIds === null;
  const audience = c.audience as Audience;
  if (c.kind === 'group_post') {
    const a = audience as Extract<Audience, { type: 'groups' }>;
    const groups = ledgerSql.groupSenders(corpId, { owners: a.owners, chatIds: a.chatIds });
    const senders = whole ? groups : sql`select gs.recipient_id, gs.sender from (${groups}) gs where ${ledgerSql.groupInScope(scope, sql.raw('gs.sender'))}`;
    return { senders, recipientKind: 'group', batchSize: GROUPS_PER_CALL, capped: true };
  }
  // Only customers with an active relation: compileRule's default, never widened here. The segment was
  // checked against the saver's scope when the campaign was saved; it is read here as the corp has it.
  const matched = compileRule(scope, await audienceRule(ex, corpScope(corpId), audience), now, { includeDisconnected: false });
  const recent = c.ownerRule === 'recent_interaction'
    ? (r: { userId: SQL; externalUserId: SQL }) => lastInteractionSql(corpId, r)
    : undefined;
  // In a scope, a rep of the scope sends (first preference); a customer left with an outside sender has no active relation in it.
  const first = whole ? recent : (r: { userId: SQL; externalUserId: SQL }) =>
    sql`case when ${scope.employee(r.userId)} then ${recent ? sql`coalesce(${recent(r)}, '-infinity'::timestamptz)` : sql`1`} end`;
  const picked = ledgerSql.customerSenders(corpId, matched, {
    added: c.ownerRule === 'earliest_added' ? 'earliest' : 'latest',
    ...(first ? { first } : {}),
  });
  const senders = whole ? picked : sql`select cs.recipient_id, cs.sender from (${picked}) cs where ${scope.employee(sql.raw('cs.sender'))}`;
  return c.kind === 'push'
    ? { senders, recipientKind: 'customer', batchSize: CUSTOMERS_PER_CALL, capped: true }
    : { senders, recipientKind: 'task', batchSize: CUSTOMERS_PER_CALL, capped: false };
}

/** Tables the planning statement reads (the ledger's, the segment rule's, our deliveries). */
const PLANNED_TABLES = [
  ...ledgerSql.audienceTables, 'campaign_deliveries',
  'interactions', 'orders', 'customer_stages', 'customer_scores', 'custom_field_values',
];

/**
 * ANALYZE the tables whose statistics are missing or clearly out of date
 * (grown by a fifth since). Embedded PGlite has no autovacuum, and the
 * server's runs only every so often: after a large sync the planner can
 * take a corp for one row and nest loops over the whole audience — 3 s for
 * 240 customers, hours at scale. Staleness is read from the file size
 * against the pages recorded at the last ANALYZE (pgstat counters are not
 * reliable on PGlite), so a fresh table costs only a catalog read.
 */
export async function analyzeIfStale(ex: Executor): Promise<void> {
  const stale = rowsOf<{ relname: string }>(await ex.execute(sql`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r' and c.relname = any(${sql.param(PLANNED_TABLES)}::text[])
      and (c.reltuples < 0 or pg_relation_size(c.oid) / current_setting('block_size')::int > c.relpages * 1.2 + 8)`));
  for (const t of stale) await ex.execute(sql`analyze ${sql.identifier(t.relname)}`);
}

/** The caps in force at `now`: our frequency cap and WeCom's receive limit for the current period. */
export interface Caps {
  /** Pushes counted since this instant toward the frequency cap (null: no cap). */
  frequencySince: Date | null;
  frequencyCap: number;
  /** Start of WeCom's receive period (natural month / week / day in China time) and its limit. */
  periodStart: Date;
  receiveLimit: number;
}

/** WeCom's receive periods are natural months, weeks (Monday first) and days in China time, whatever SCHEDULE_TZ says. */
export const WECOM_TIMEZONE = 'Asia/Shanghai';

export async function capsAt(ex: Executor, now: Date, s: CampaignSettings): Promise<Caps> {
  const [p] = rowsOf<{ month_start: string; week_start: string; day_start: string; days: number }>(await ex.execute(sql`
    with l as (select (${now.toISOString()}::timestamptz at time zone ${WECOM_TIMEZONE}) as t)
    select date_trunc('month', t) at time zone ${WECOM_TIMEZONE} as month_start,
           date_trunc('week', t) at time zone ${WECOM_TIMEZONE} as week_start,
           date_trunc('day', t) at time zone ${WECOM_TIMEZONE} as day_start,
           extract(day from date_trunc('month', t) + interval '1 month' - interval '1 day')::int as days
    from l`));
  const period = s.receiveRule === 'month_days'
    ? { periodStart: new Date(p!.month_start), receiveLimit: Number(p!.days) }
    : s.receiveRule === 'week_7' ? { periodStart: new Date(p!.week_start), receiveLimit: 7 } : { periodStart: new Date(p!.day_start), receiveLimit: 1 };
  return {
    frequencySince: s.frequencyCap > 0 ? new Date(now.getTime() - s.frequencyDays * 86_400_000) : null,
    frequencyCap: s.frequencyCap,
    ...period,
  };
}

/** Statuses that count toward caps: planned or in a WeCom task (may still be sent) or sent. */
const COUNTED = sql`('planned', 'dispatched', 'sent')`;

/**
 * The audience with each recipient's fate: `reason` null (will be sent) or
 * the cap that stops it. Counts come from earlier deliveries of every
 * campaign in one grouped pass (hash-joined, not a lookup per recipient).
 * Columns: recipient_id, sender, reason.
 */
export function classifiedSql(corpId: string, a: ResolvedAudience, caps: Caps): SQL {
  if (!a.capped) return sql`select s.recipient_id, s.sender, null::text as reason from (${a.senders}) s`;
  const since = caps.frequencySince && caps.frequencySince < caps.periodStart ? caps.frequencySince : caps.periodStart;
  const freqSince = (caps.frequencySince ?? caps.periodStart).toISOString();
  // Our frequency cap is about people; groups meet only WeCom's receive limit.
  const frequency = caps.frequencySince && a.recipientKind === 'customer'
    ? sql`when coalesce(r.recent, 0) >= ${caps.frequencyCap}::int then 'frequency_cap'`
    : sql``;
  return sql`
    select s.recipient_id, s.sender,
      case ${frequency}
           when coalesce(r.in_period, 0) >= ${caps.receiveLimit}::int then 'receive_limit' end as reason
    from (${a.senders}) s
    left join (
      select d.recipient_id,
        count(*) filter (where coalesce(d.sent_at, d.planned_at) >= ${freqSince}::timestamptz) as recent,
        count(*) filter (where coalesce(d.sent_at, d.planned_at) >= ${caps.periodStart.toISOString()}::timestamptz) as in_period
      from campaign_deliveries d
      where d.corp_id = ${corpId} and d.recipient_kind = ${a.recipientKind} and d.status in ${COUNTED}
        -- A send is counted from its planned time until its send time is known; sends come at most weeks after planning.
        and d.planned_at >= ${since.toISOString()}::timestamptz - interval '31 days'
      group by d.recipient_id
    ) r on r.recipient_id = s.recipient_id`;
}
