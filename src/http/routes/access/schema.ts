import { z } from 'zod';

const role = z.enum(['rep', 'manager', 'admin']);
const userId = z.string().min(1).max(64);
const departmentIds = z.array(z.number().int().positive()).max(500);

export const MeView = z.object({
  userId: z.string().nullable(),
  name: z.string(),
  role,
  /** How the caller proved who they are. */
  via: z.enum(['admin_token', 'api_token', 'session']),
  departments: z.array(z.object({ id: z.number(), name: z.string() })),
  /** What the caller sees: the whole corp, or the customers and groups of these employees. */
  scope: z.object({ wholeCorp: z.boolean(), userIds: z.array(z.string()).nullable() }),
  /** Session callers echo this in `x-csrf-token` on writes. */
  csrfToken: z.string().nullable(),
  sessionExpiresAt: z.string().nullable(),
});

export const CreateToken = z.object({
  name: z.string().min(1).max(100),
  role,
  userId: userId.optional(),
  departmentIds: departmentIds.optional(),
  expiresAt: z.coerce.date().optional(),
});

export const TokenItem = z.object({
  id: z.number(),
  name: z.string(),
  role,
  userId: z.string().nullable(),
  departmentIds: z.array(z.number()),
  expiresAt: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export const CreatedToken = z.object({ id: z.number(), token: z.string(), item: TokenItem });
export const TokenList = z.object({ items: z.array(TokenItem) });
export const TokenIdParams = z.object({ id: z.coerce.number().int().positive() });

export const EmployeeRoleParams = z.object({ userId });
export const SetRole = z.object({ role, departmentIds: departmentIds.default([]) });
export const RoleView = z.object({
  userId: z.string(),
  role,
  grantedDepartmentIds: z.array(z.number()),
  leaderOf: z.array(z.number()),
  source: z.enum(['set', 'admins_list', 'leader', 'default']),
});

export const LoggedOut = z.object({ loggedOut: z.literal(true) });
