import { AppError } from '../lib/errors';

/**
 * Who may do what: the one place access is decided. Routes ask `can` /
 * `assertCan` instead of checking roles themselves, so when sign-in brings
 * real roles, departments and owners, the rules change here and nowhere
 * else. Today every request carries the admin token (actor = admin).
 */

export type Role = 'admin' | 'manager' | 'rep';

/** Whoever a request acts for. */
export interface Actor {
  id: string;
  role: Role;
}

export const ACTIONS = [
  /** Draft, change, confirm or cancel handovers. */
  'handover.plan',
  /** Create, change, schedule, pause, resume, cancel or delete campaigns. */
  'campaign.edit',
  /** Save, change, delete or materialise segments. */
  'segment.edit',
  /** Templates, media, channels and welcome settings. */
  'content.edit',
  /** Archive settings: recompute, stage rules, auto-tag rules. */
  'archive.editValue',
  /** See and resolve every rep's churn warnings (otherwise only one's own). */
  'archive.allWarnings',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * What an action is about, for rules that depend on it (a rep's own
 * customers, a manager's departments). No rule reads it yet.
 */
export interface Subject {
  ownerUserId?: string | null;
  departmentIds?: number[];
}

const MANAGING: ReadonlySet<Action> = new Set(ACTIONS);
const NOTHING: ReadonlySet<Action> = new Set();

/** Today's rules: managers and admins manage everything; reps read, and change only what is theirs. */
const GRANTS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  admin: MANAGING,
  manager: MANAGING,
  rep: NOTHING,
};

/** Whether the actor may do the action (an unknown role may nothing). */
export function can(actor: Actor, action: Action, _subject?: Subject): boolean {
  const grants = Object.hasOwn(GRANTS, actor.role) ? GRANTS[actor.role] : NOTHING;
  return grants.has(action);
}

/** What a refusal says (the wording clients have seen so far). */
const REFUSAL: Record<Action, string> = {
  'handover.plan': 'only managers and admins may manage handovers',
  'campaign.edit': 'only managers and admins may manage campaigns',
  'segment.edit': 'only managers and admins may manage segments',
  'content.edit': 'only managers and admins may manage touchpoint content',
  'archive.editValue': 'only managers and admins may change archive settings',
  'archive.allWarnings': "only managers and admins may see other reps' warnings",
};

/** Throws 403 `forbidden` unless the actor may; answers the actor's id (who did it, for the record). */
export function assertCan(actor: Actor, action: Action, subject?: Subject): string {
  if (!can(actor, action, subject)) throw new AppError('forbidden', REFUSAL[action]);
  return actor.id;
}
