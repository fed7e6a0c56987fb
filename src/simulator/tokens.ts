import { randomBytes } from 'node:crypto';

/** Which configured secret a token was issued for: the customer-contact secret or the app (agent) secret. */
export type SecretKind = 'contact' | 'agent';

export interface TokenInfo {
  token: string;
  kind: SecretKind;
  issuedAt: number;
  /** Epoch ms (simulated time). */
  expiresAt: number;
}

export type TokenCheck = { ok: true; info: TokenInfo } | { ok: false; errcode: 40014 | 42001 };

export const TOKEN_TTL_SECONDS = 7200;

/**
 * access_token issuance as WeCom does it: one live token per secret, the same
 * token returned while it is valid, a new one after expiry. Expired tokens are
 * remembered so they answer 42001 instead of 40014.
 */
export class TokenStore {
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly current = new Map<SecretKind, TokenInfo>();

  constructor(private readonly now: () => number) {}

  issue(kind: SecretKind): TokenInfo {
    const t = this.now();
    const live = this.current.get(kind);
    if (live && live.expiresAt > t) return live;
    const info: TokenInfo = {
      // Real tokens are ~200 url-safe characters; keep the shape, not the length.
      token: randomBytes(96).toString('base64url'),
      kind, issuedAt: t, expiresAt: t + TOKEN_TTL_SECONDS * 1000,
    };
    this.tokens.set(info.token, info);
    this.current.set(kind, info);
    return info;
  }

  check(token: string): TokenCheck {
    const info = this.tokens.get(token);
    if (!info) return { ok: false, errcode: 40014 };
    if (info.expiresAt <= this.now()) return { ok: false, errcode: 42001 };
    return { ok: true, info };
  }

  /** Invalidate every token now (like a secret reset); they then answer 42001. */
  expireAll(): number {
    const t = this.now();
    let n = 0;
    for (const info of this.tokens.values()) {
      if (info.expiresAt > t) {
        info.expiresAt = t;
        n += 1;
      }
    }
    this.current.clear();
    return n;
  }

  secondsLeft(info: TokenInfo): number {
    return Math.max(0, Math.round((info.expiresAt - this.now()) / 1000));
  }
}
