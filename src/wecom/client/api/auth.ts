import { errcodeOf, WeComHttpError } from '../errors';
import type { Endpoint, WeComCaller } from '../types';

/**
 * auth/getuserinfo: the code WeCom's authorize pages (web login, OAuth2) put on
 * the redirect, exchanged for who signed in. Uses the app's (agent) token: codes
 * belong to the app whose page issued them.
 *
 * Not idempotent: a code works once, so a repeat after a lost answer would only
 * say 40029. A refused token is still refreshed and retried once (WeCom did
 * nothing with the code then); anything else surfaces to the caller.
 */
const GET_USER_INFO: Endpoint = Object.freeze({ method: 'GET' as const, path: 'auth/getuserinfo', idempotent: false, secret: 'agent' as const });

/** The errcode for a code that is unknown, already used or older than 5 minutes. */
export const INVALID_LOGIN_CODE_ERRCODE = 40029;

/** Who a sign-in code names: a member of the corp, or (WeCom only) a visitor who is not. */
export type LoginIdentity =
  | { kind: 'member'; userId: string; /** Only for scope snsapi_privateinfo; lets auth/getuserdetail read private fields. */ userTicket?: string }
  | { kind: 'non_member'; openId: string; externalUserId?: string };

interface GetUserInfoResponse {
  userid?: string;
  user_ticket?: string;
  openid?: string;
  external_userid?: string;
}

export function authApi(c: WeComCaller) {
  return {
    /**
     * Exchange a sign-in code for the identity it names. A bad code (unknown, used,
     * expired) rejects with a WeComPlatformError whose errcode is 40029 (see
     * `isInvalidLoginCode`); 60020 means this server's IP is not trusted by the app.
     */
    async exchangeLoginCode(code: string): Promise<LoginIdentity> {
      const res = await c.call<GetUserInfoResponse>(GET_USER_INFO, { code });
      if (typeof res.userid === 'string' && res.userid !== '') {
        return { kind: 'member', userId: res.userid, ...(res.user_ticket ? { userTicket: res.user_ticket } : {}) };
      }
      if (typeof res.openid === 'string' && res.openid !== '') {
        return { kind: 'non_member', openId: res.openid, ...(res.external_userid ? { externalUserId: res.external_userid } : {}) };
      }
      throw new WeComHttpError(GET_USER_INFO.path, 200, 'answer without userid or openid');
    },
  };
}

/** The sign-in code was refused as unknown, used or expired (40029): send the user back to sign in, never retry it. */
export const isInvalidLoginCode = (err: unknown): boolean => errcodeOf(err) === INVALID_LOGIN_CODE_ERRCODE;

export type AuthApi = ReturnType<typeof authApi>;
