import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/connection';
import { wecomAccessTokens } from '../schema';
import type { SecretKind } from './types';

export interface StoredToken {
  accessToken: string;
  /** When WeCom stops accepting it; the client refreshes a margin before. */
  expiresAt: Date;
}

/** The stored token of one secret, as seen while holding its refresh lock. */
export interface LockedTokenSlot {
  /** Re-reads the stored token (another holder may just have saved one). */
  get(): Promise<StoredToken | undefined>;
  save(token: StoredToken): Promise<void>;
}

/**
 * Where access tokens are shared. `get` is the unlocked fast path;
 * `withLock` serialises refreshes of one secret across everything sharing the
 * store (every instance, for the database store), so gettoken is called once.
 */
export interface TokenStore {
  get(kind: SecretKind): Promise<StoredToken | undefined>;
  /** Runs `fn` holding the refresh lock of `kind`; released when `fn` settles (its saves are rolled back if it throws). */
  withLock<T>(kind: SecretKind, fn: (slot: LockedTokenSlot) => Promise<T>): Promise<T>;
  /** Forgets the stored token only if it is still `accessToken` (WeCom just refused it). */
  invalidate(kind: SecretKind, accessToken: string): Promise<void>;
}

/**
 * Tokens in `wecom_access_tokens`, shared by every instance on the database.
 * The refresh lock is a transaction-scoped advisory lock on (corp, kind): it
 * is released by commit or rollback, so a crashed holder cannot leak it.
 */
export class DbTokenStore implements TokenStore {
  constructor(
    private readonly db: Db,
    private readonly corpId: string,
  ) {}

  get(kind: SecretKind): Promise<StoredToken | undefined> {
    return this.read(this.db, kind);
  }

  withLock<T>(kind: SecretKind, fn: (slot: LockedTokenSlot) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${this.corpId}:${kind}`}::text))`);
      return fn({ get: () => this.read(tx, kind), save: (token) => this.write(tx, kind, token) });
    });
  }

  async invalidate(kind: SecretKind, accessToken: string): Promise<void> {
    await this.db
      .delete(wecomAccessTokens)
      .where(and(this.key(kind), eq(wecomAccessTokens.accessToken, accessToken)));
  }

  private key(kind: SecretKind) {
    return and(eq(wecomAccessTokens.corpId, this.corpId), eq(wecomAccessTokens.secretKind, kind));
  }

  private async read(ex: Executor, kind: SecretKind): Promise<StoredToken | undefined> {
    const [row] = await ex
      .select({ accessToken: wecomAccessTokens.accessToken, expiresAt: wecomAccessTokens.expiresAt })
      .from(wecomAccessTokens)
      .where(this.key(kind));
    return row;
  }

  private async write(ex: Executor, kind: SecretKind, token: StoredToken): Promise<void> {
    await ex
      .insert(wecomAccessTokens)
      .values({ corpId: this.corpId, secretKind: kind, accessToken: token.accessToken, expiresAt: token.expiresAt })
      .onConflictDoUpdate({
        target: [wecomAccessTokens.corpId, wecomAccessTokens.secretKind],
        set: { accessToken: token.accessToken, expiresAt: token.expiresAt, updatedAt: sql`now()` },
      });
  }
}

/** Tokens in process memory: for unit tests and single-process tools. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<SecretKind, StoredToken>();
  private readonly locks = new Map<SecretKind, Promise<unknown>>();

  async get(kind: SecretKind): Promise<StoredToken | undefined> {
    return this.tokens.get(kind);
  }

  /** Chains holders per kind; saves made by a holder that throws are undone, like a rolled-back transaction. */
  withLock<T>(kind: SecretKind, fn: (slot: LockedTokenSlot) => Promise<T>): Promise<T> {
    const previous = this.locks.get(kind) ?? Promise.resolve();
    const run = previous.then(async () => {
      const before = this.tokens.get(kind);
      try {
        return await fn({
          get: async () => this.tokens.get(kind),
          save: async (token) => void this.tokens.set(kind, token),
        });
      } catch (err) {
        if (before) this.tokens.set(kind, before);
        else this.tokens.delete(kind);
        throw err;
      }
    });
    const settled = run.catch(() => undefined);
    this.locks.set(kind, settled);
    void settled.then(() => {
      if (this.locks.get(kind) === settled) this.locks.delete(kind);
    });
    return run;
  }

  async invalidate(kind: SecretKind, accessToken: string): Promise<void> {
    if (this.tokens.get(kind)?.accessToken === accessToken) this.tokens.delete(kind);
  }

  /** Test hook: put a token in place as if another instance had saved it. */
  set(kind: SecretKind, token: StoredToken): void {
    this.tokens.set(kind, token);
  }
}
