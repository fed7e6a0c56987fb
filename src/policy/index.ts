import { AppError } from '../lib/errors';

/**
 * Who may do what: the one place access is decided. Routes ask `can` /
 * `assertCan` for an action; which rows an actor sees is their Scope
 * (db/scope.ts), built from the same actor by the access capability.
 */

export type Role = 'admin' | 'manager' | 'rep';
export const ROLES: readonly Role[] = ['rep', 'manager', 'admin'];

/** Whoever a request acts for. */
export interface Actor {
  /** Who is recorded as having done it: the employee's userid, `admin` (bootstrap token) or `token:<id>` (a token without a user). */
  id: string;
  role: Role;
  /** The WeCom employee behind the request; null for the bootstrap admin and for tokens without one. */
  userId: string | null;
  /** Departments granted on top of those the employee leads (a manager's scope; sub-departments included). */
  departmentIds: number[];
  /** How the caller proved who they are. */
  via: 'admin_token' | 'api_token' | 'session';
}

export const ACTIONS = [
  /** Draft, change, confirm or cancel handovers (for employees in scope). */
  'handover.plan',
  /** Create, change, schedule, pause, resume, cancel or delete campaigns. */
  'campaign.edit',
  /** Save, change, delete or materialise segments. */
  'segment.edit',
  /** Templates, media, channels and group welcome templates. */
  'content.edit',
  /** See and resolve the warnings of every rep in scope (otherwise only one's own). */
  'archive.allWarnings',
  /** Follow-ups, complaints, notes, field values and tags on customers in scope. */
  'record.write',
  /** Record orders (imports and integrations). */
  'orders.write',
  /** Corp settings: stage rules, recompute, auto-tag rules, custom fields, caps and quiet hours, welcome defaults. */
  'settings.edit',
  /** Start a sync from WeCom; see and retry inbound events. */
  'ops.run',
  /** API tokens and employees' roles and granted departments. */
  'access.manage',
] as const;
export type Action = (typeof ACTIONS)[number];

const ALL: ReadonlySet<Action> = new Set(ACTIONS);
const NOTHING: ReadonlySet<Action> = new Set();

/** rep: their own customers' records; manager: run their departments; admin: everything. */
const GRANTS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  admin: ALL,
  manager: new Set<Action>(['handover.plan', 'campaign.edit', 'segment.edit', 'content.edit', 'archive.allWarnings', 'record.write', 'orders.write']),
  rep: new Set<Action>(['record.write']),
};

/** Whether the actor may do the action (an unknown role may nothing). */
export function can(actor: Pick<Actor, 'role'>, action: Action): boolean {
  const grants = Object.hasOwn(GRANTS, actor.role) ? GRANTS[actor.role] : NOTHING;
  return grants.has(action);
}

/** What a refusal says. */
const REFUSAL: Record<Action, string> = {
  'handover.plan': 'only managers and admins may manage handovers',
  'campaign.edit': 'only managers and admins may manage campaigns',
  'segment.edit': 'only managers and admins may manage segments',
  'content.edit': 'only managers and admins may manage touchpoint content',
  'archive.allWarnings': "only managers and admins may see other reps' warnings",
  'record.write': 'this caller may not change customer records',
  'orders.write': 'only managers and admins may record orders',
  'settings.edit': 'only admins may change settings',
  'ops.run': 'only admins may run syncs and manage inbound events',
  'access.manage': 'only admins may manage tokens and roles',
};

/** Throws 403 `forbidden` unless the actor may; answers the actor's id (who did it, for the record). */
export function assertCan(actor: Actor, action: Action): string {
  if (!can(actor, action)) throw new AppError('forbidden', REFUSAL[action]);
  return actor.id;
}

/** The bootstrap admin (`ADMIN_TOKEN`). */
export const BOOTSTRAP_ADMIN: Actor = { id: 'admin', role: 'admin', userId: null, departmentIds: [], via: 'admin_token' };
