import type { SimCore } from '../core';
import { fail } from '../errors';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { SecretKind } from '../tokens';

/** gettoken (API-NOTES §3): one token per secret, reused while valid. */
export function registerAuthApi(api: ApiRegistry, core: SimCore, secrets: Readonly<Record<SecretKind, string>>): void {
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
}
