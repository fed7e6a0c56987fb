import {
  createToken, employeeAccess, listTokens, revokeSession, revokeToken, setEmployeeRole, type AccessDeps, type TokenView,
} from '../../../access';
import { departmentNames, employeeIdentity } from '../../../ledger';
import { notFound } from '../../../lib/errors';
import { assertCan } from '../../../policy';
import type { ApiRouter } from '../../apiRouter';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../middleware/auth';
import type { LiveSessionState } from './loginRoutes';
import {
  CreatedToken, CreateToken, EmployeeRoleParams, LoggedOut, MeView, RoleView, SetRole, TokenIdParams, TokenItem, TokenList,
} from './schema';

const presentToken = (t: TokenView) => ({
  ...t,
  expiresAt: t.expiresAt?.toISOString() ?? null,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
}) satisfies ReturnType<typeof TokenItem.parse>;

/** Who am I, tokens, roles, logout: the access capability over /api. */
export function accessRoutes(api: ApiRouter, d: AccessDeps): void {
  api.route({
    method: 'get',
    path: '/api/me',
    summary: 'The caller: who, which role, which departments, what they see',
    tags: ['access'],
    response: MeView,
    async handler({ actor, scope, ctx }) {
      const session = (ctx.state as LiveSessionState).session;
      const identity = actor.userId ? await employeeIdentity(d.db, d.corpId, actor.userId) : undefined;
      const ids = [...new Set([...(identity?.departmentIds ?? []), ...(identity?.leaderOf ?? []), ...actor.departmentIds])];
      return {
        userId: actor.userId,
        name: identity?.name ?? (actor.via === 'admin_token' ? '管理员（启动令牌）' : actor.id),
        role: actor.role,
        via: actor.via,
        departments: await departmentNames(d.db, d.corpId, ids),
        scope: { wholeCorp: scope.userIds === null, userIds: scope.userIds ? [...scope.userIds] : null },
        csrfToken: session?.csrfToken ?? null,
        sessionExpiresAt: session?.expiresAt.toISOString() ?? null,
      };
    },
  });

  api.route({
    method: 'post',
    path: '/api/logout',
    summary: 'End this session (the cookies are cleared)',
    tags: ['access'],
    response: LoggedOut,
    async handler({ ctx }) {
      const session = (ctx.state as LiveSessionState).session;
      if (session) await revokeSession(d.db, d.corpId, session.idHash, 'logout', d.clock.now());
      ctx.cookies.set(SESSION_COOKIE, null);
      ctx.cookies.set(CSRF_COOKIE, null);
      return { loggedOut: true as const };
    },
  });

  api.route({
    method: 'post',
    path: '/api/tokens',
    status: 201,
    summary: 'Create a named API token (the token is shown once)',
    tags: ['access'],
    body: CreateToken,
    response: CreatedToken,
    async handler({ body, actor }) {
      const by = assertCan(actor, 'access.manage');
      const { token, view } = await createToken(d.db, d.corpId, body, by, d.clock.now());
      return { id: view.id, token, item: presentToken(view) };
    },
  });

  api.route({
    method: 'get',
    path: '/api/tokens',
    summary: 'API tokens, newest first (never the tokens themselves)',
    tags: ['access'],
    response: TokenList,
    async handler({ actor }) {
      assertCan(actor, 'access.manage');
      return { items: (await listTokens(d.db, d.corpId)).map(presentToken) };
    },
  });

  api.route({
    method: 'delete',
    path: '/api/tokens/:id',
    summary: 'Revoke a token (at once, for every instance)',
    tags: ['access'],
    params: TokenIdParams,
    response: TokenItem,
    async handler({ params, actor }) {
      const by = assertCan(actor, 'access.manage');
      return presentToken(await revokeToken(d.db, d.corpId, params.id, by, d.clock.now()));
    },
  });

  api.route({
    method: 'get',
    path: '/api/employees/:userId/role',
    summary: "An employee's role and granted departments (and where the role comes from)",
    tags: ['access'],
    params: EmployeeRoleParams,
    response: RoleView,
    async handler({ params, scope }) {
      if (!scope.coversEmployee(params.userId)) throw notFound('employee');
      const access = await employeeAccess(d.db, d, params.userId);
      if (!access) throw notFound('employee');
      return { userId: params.userId, role: access.role, grantedDepartmentIds: access.grantedDepartmentIds, leaderOf: access.identity.leaderOf, source: access.source };
    },
  });

  api.route({
    method: 'put',
    path: '/api/employees/:userId/role',
    summary: "Set an employee's role and granted departments (takes effect on their next request)",
    tags: ['access'],
    params: EmployeeRoleParams,
    body: SetRole,
    response: RoleView,
    async handler({ params, body, actor }) {
      const by = assertCan(actor, 'access.manage');
      if (!(await employeeIdentity(d.db, d.corpId, params.userId))) throw notFound('employee');
      await setEmployeeRole(d.db, d.corpId, params.userId, body, by, d.clock.now());
      const access = (await employeeAccess(d.db, d, params.userId))!;
      return { userId: params.userId, role: access.role, grantedDepartmentIds: access.grantedDepartmentIds, leaderOf: access.identity.leaderOf, source: access.source };
    },
  });
}
