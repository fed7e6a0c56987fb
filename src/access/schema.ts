import { sql } from 'drizzle-orm';
import { bigserial, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Signed-in browsers (console) and WeCom webviews (sidebar). The cookie holds
 * a random id; only its SHA-256 is stored, so a copy of this table signs
 * nobody in. The role is not kept here: it is read at each request, so a
 * role change or a departure takes effect at once.
 */
export const sessions = pgTable(
  'sessions',
  {
    /** sha256(cookie value), hex. */
    idHash: text('id_hash').primaryKey(),
    corpId: text('corp_id').notNull(),
    userId: text('user_id').notNull(),
    /** web (WeCom web login, the console) | sidebar (OAuth2 inside WeCom). */
    kind: text('kind').$type<'web' | 'sidebar'>().notNull(),
    /** The double-submit CSRF value: a cookie-authenticated write must echo it in `x-csrf-token`. */
    csrfToken: text('csrf_token').notNull(),
    createdAt: ts('created_at').notNull(),
    /** Refreshed at most once a minute; idle expiry counts from here. */
    lastSeenAt: ts('last_seen_at').notNull(),
    /** Absolute expiry, whatever the activity. */
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    /** logout | employee_departed | employee_disabled | expired | admin. */
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user').on(t.corpId, t.userId)],
);

/** One-time `state` values of logins in flight, bound to the browser that started them by a cookie nonce. */
export const loginStates = pgTable('login_states', {
  /** sha256(state), hex. */
  stateHash: text('state_hash').primaryKey(),
  corpId: text('corp_id').notNull(),
  kind: text('kind').$type<'web' | 'sidebar'>().notNull(),
  /** sha256 of the nonce cookie set on the browser that asked to log in. */
  browserHash: text('browser_hash').notNull(),
  /** A local path to return to after login. */
  returnTo: text('return_to').notNull().default('/'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

/** Named bearer tokens for integrations and scripts; the token itself is shown once and stored as its SHA-256. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    corpId: text('corp_id').notNull(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    role: text('role').$type<'rep' | 'manager' | 'admin'>().notNull(),
    /** The employee the token acts as (a rep token sees this employee's customers). */
    userId: text('user_id'),
    /** Departments a manager token covers (with sub-departments). */
    departmentIds: integer('department_ids').array().notNull().default(sql`'{}'::int[]`),
    expiresAt: ts('expires_at'),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull(),
    /** Written at most once a minute. */
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
    revokedBy: text('revoked_by'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash), index('api_tokens_corp').on(t.corpId, t.id)],
);

/**
 * Roles an admin set (PUT /api/employees/:userId/role). Without a row the
 * default applies: LIFELONG_ADMINS are admins, department leaders managers,
 * everyone else a rep.
 */
export const employeeRoles = pgTable(
  'employee_roles',
  {
    corpId: text('corp_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role').$type<'rep' | 'manager' | 'admin'>().notNull(),
    /** Departments granted on top of those the employee leads. */
    departmentIds: integer('department_ids').array().notNull().default(sql`'{}'::int[]`),
    updatedBy: text('updated_by').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.userId] })],
);
