/**
 * Access: who a caller is (WeCom sign-in sessions, named API tokens), their
 * role (set by an admin, else from the directory), and the data scope that
 * follows from it. What a role may do is decided in src/policy.
 */
export * from './schema';
export { accessDeps, authenticate, type AccessDeps, type Authenticated, type Credentials } from './authenticate';
export { beginLogin, consumeLoginState, safeReturnTo } from './loginStates';
export { createSession, revokeSession, revokeSessionsOf, liveSessionCount, type LiveSession, type SessionTimes, type NewSession } from './sessions';
export { createToken, listTokens, revokeToken, type TokenRequest, type TokenView } from './tokens';
export { employeeAccess, setEmployeeRole, type AccessSettings, type EmployeeAccess } from './roles';
export { scopeOf } from './scopes';
