import type { Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { AppError, notFound } from '../../lib/errors';
import { getSegment, parseRule, type SegmentRule } from '../../segments';
import {
  getTemplate, isCustomerVariable, isKnownVariable, templateVariables, validateAttachments, TEXT_MAX_BYTES, type TemplateAttachment,
} from '../content';
import { cronProblem, isValidTimezone, type ScheduleSpec } from './schedule';
import type { CampaignKind, OwnerRule } from './schema';

/** Whom a campaign reaches, as stored in campaigns.audience. */
export type Audience =
  | { type: 'segment'; segmentId: number }
  | { type: 'rule'; rule: unknown }
  | { type: 'groups'; owners?: string[]; chatIds?: string[] };

/** What it says, as stored in campaigns.content. Rep tasks may go without (`none`). */
export type Content =
  | { type: 'template'; templateId: number }
  | { type: 'inline'; text: string; attachments: TemplateAttachment[] }
  | { type: 'none' };

export type ScheduleInput =
  | { type: 'once'; at: Date }
  | { type: 'cron'; cron: string; startsAt?: Date | null; endsAt?: Date | null };

export interface CampaignInput {
  name: string;
  kind: CampaignKind;
  audience: Audience;
  content: Content;
  schedule?: ScheduleInput | null;
  ownerRule?: OwnerRule;
}

const invalidContent = (message: string, details?: unknown) => new AppError('invalid_content', message, details);
const invalidSchedule = (message: string) => new AppError('invalid_schedule', message);

/**
 * The audience fits the kind and names things that exist in the scope (400 / 404 otherwise): a segment the
 * caller sees, group owners in the scope. Listed chats are not looked up: planning keeps only groups whose
 * owner is in the campaign's stored scope.
 */
export async function checkAudience(ex: Executor, scope: Scope, kind: CampaignKind, a: Audience): Promise<void> {
  if (kind === 'group_post') {
    if (a.type !== 'groups') throw new AppError('bad_request', 'audience: a group post goes to customer groups ({type:"groups", owners?, chatIds?})');
    const outside = (a.owners ?? []).find((o) => !scope.coversEmployee(o));
    if (outside !== undefined) throw notFound(`employee ${outside}`);
    return;
  }
  if (a.type === 'groups') throw new AppError('bad_request', `audience: a ${kind} goes to customers (a segment or a rule), not groups`);
  if (a.type === 'segment') {
    if (!(await getSegment(ex, scope, a.segmentId))) throw notFound(`segment ${a.segmentId}`);
  } else {
    parseRule(a.rule); // 400 invalid_rule naming the bad path
  }
}

/**
 * The rule an audience of customers resolves to now (a segment is read live, not from its materialised members).
 * `scope` is whom the segment must be visible to (the campaign's reach: the segment was checked against it when saved).
 */
export async function audienceRule(ex: Executor, scope: Scope, a: Audience): Promise<SegmentRule> {
  if (a.type === 'rule') return parseRule(a.rule);
  if (a.type === 'segment') {
    const seg = await getSegment(ex, scope, a.segmentId);
    if (!seg) throw notFound(`segment ${a.segmentId}`);
    return parseRule(seg.rule);
  }
  throw new AppError('bad_request', 'a groups audience has no customer rule');
}

/**
 * Content checks. A push or group post is ONE text per sender sent to many
 * recipients, so only rep variables can be filled: a customer variable is a
 * 400 naming it. A rep task may suggest any message template.
 */
export async function checkContent(ex: Executor, corpId: string, kind: CampaignKind, c: Content): Promise<void> {
  if (c.type === 'none') {
    if (kind !== 'rep_task') throw invalidContent('content: a push or group post needs a template or a text');
    return;
  }
  let tpl: { text: string; attachments: readonly TemplateAttachment[] };
  if (c.type === 'template') {
    const t = await getTemplate(ex, corpId, c.templateId);
    if (!t || t.archivedAt) throw notFound(`template ${c.templateId}`);
    if (t.kind !== 'message' && t.kind !== 'group') {
      throw invalidContent(`content.templateId: template ${c.templateId} is a ${t.kind} template; campaigns use message or group templates`);
    }
    tpl = t;
  } else {
    if (Buffer.byteLength(c.text) > TEXT_MAX_BYTES) throw invalidContent(`content.text: must be at most ${TEXT_MAX_BYTES} bytes`);
    if (c.text.trim() === '' && c.attachments.length === 0) throw invalidContent('content: text and attachments cannot both be empty');
    await validateAttachments(ex, corpId, c.attachments);
    tpl = c;
  }
  if (kind === 'rep_task') return;
  for (const v of templateVariables(tpl)) {
    if (!isKnownVariable(v)) throw invalidContent(`content uses {{${v}}}, which is not a known variable`, { variable: v });
    if (isCustomerVariable(v)) {
      throw invalidContent(
        `content uses {{${v}}}, which differs per customer: a ${kind === 'push' ? 'push' : 'group post'} sends one text per sending rep — only {{rep.name}} and {{rep.position}} can be filled`,
        { variable: v },
      );
    }
  }
}

/** A schedule that can produce an occurrence: five-field cron, ordered dates, a once-time not long past. */
export function checkSchedule(s: ScheduleInput, now: Date, graceMs: number): void {
  if (s.type === 'once') {
    if (s.at.getTime() < now.getTime() - graceMs) throw invalidSchedule('schedule.at: is further in the past than the catch-up grace window');
    return;
  }
  const problem = cronProblem(s.cron);
  if (problem) throw invalidSchedule(`schedule.cron: ${problem}`);
  if (s.startsAt && s.endsAt && s.endsAt.getTime() <= s.startsAt.getTime()) throw invalidSchedule('schedule.endsAt: must be after startsAt');
  if (s.endsAt && s.endsAt.getTime() <= now.getTime()) throw invalidSchedule('schedule.endsAt: is in the past');
}

export function checkTimezone(tz: string): void {
  if (!isValidTimezone(tz)) throw invalidSchedule(`time zone "${tz}" is not known`);
}

/** The stored schedule columns of a campaign as a spec. */
export function specOf(c: { scheduleType: 'once' | 'cron' | null; runAt: Date | null; cron: string | null; startsAt: Date | null; endsAt: Date | null; timezone: string }): ScheduleSpec | null {
  if (!c.scheduleType) return null;
  return { type: c.scheduleType, runAt: c.runAt, cron: c.cron, startsAt: c.startsAt, endsAt: c.endsAt, timezone: c.timezone };
}

/** Schedule input → the campaign's columns. */
export function scheduleColumns(s: ScheduleInput | null | undefined) {
  if (!s) return { scheduleType: null, runAt: null, cron: null, startsAt: null, endsAt: null };
  if (s.type === 'once') return { scheduleType: 'once' as const, runAt: s.at, cron: null, startsAt: null, endsAt: null };
  return { scheduleType: 'cron' as const, runAt: null, cron: s.cron.trim(), startsAt: s.startsAt ?? null, endsAt: s.endsAt ?? null };
}
