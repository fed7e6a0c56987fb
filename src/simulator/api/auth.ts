import type { SimCore } from '../core';
import { fail } from '../errors';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { SignInDesk } from '../signIn';
import type { SecretKind } from '../tokens';

/**
 * gettoken (API-NOTES §3): one token per secret, reused while valid.
 * auth/getuserinfo: a sign-in code (from the authorize pages, signInPages.ts) → the member's userid.
 */
export function registerAuthApi(api: ApiRegistry, core: SimCore, secrets: Readonly<Record<SecretKind, string>>, signIn: SignInDesk): void {
  api.add({
    path: 'gettoken', method: 'GET', needsToken: false,
    emptyOnFailure: { access_token: '', expires_in: 0 },
    ids: idsFrom.query('corpid'),
    handle: ({ query }) => {
      const corpid = query.corpid;
      const secret = query.corpsecret;
      if (!corpid) return fail(41002);
      if (!secret) return fail(41004);
      if (corpid !== core.corpId) return fail(40013);
      const kind: SecretKind | undefined = secret === secrets.contact ? 'contact' : secret === secrets.agent ? 'agent' : undefined;
      if (!kind) return fail(40001);
      const info = core.tokens.issue(kind);
      return { access_token: info.token, expires_in: core.tokens.secondsLeft(info) };
    },
  });

  api.add({
    path: 'auth/getuserinfo', method: 'GET', ids: idsFrom.query('code'),
    handle: ({ query, token }) => {
      const code = query.code;
      if (!code) return fail(41008);
      // Codes belong to the app (agentid) whose page issued them: the 客户联系 secret's token has none.
      const redeemed = signIn.redeem(code, token?.kind === 'agent' ? core.agentId : undefined);
      if (!redeemed.ok) return fail(redeemed.errcode);
      // Members only: the simulated corp has no non-member (openid) sign-ins, and user_ticket (snsapi_privateinfo) is not issued.
      return { userid: redeemed.code.userid };
    },
  });
}
