import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * WeCom access tokens, one per (corp, secret): shared by every instance so a
 * token is fetched once, not once per process. Rows are replaced in place by
 * whichever instance holds the refresh lock (see client/tokenStore.ts).
 */
export const wecomAccessTokens = pgTable(
  'wecom_access_tokens',
  {
    /** The corp the token belongs to (every business table carries it). */
    corpId: text('corp_id').notNull(),
    /** Which secret minted it: 'contact' (客户联系 secret) or 'agent' (the app's own secret). */
    secretKind: text('secret_kind').notNull(),
    /** The token itself (up to 512 bytes): a credential, never logged or shown. */
    accessToken: text('access_token').notNull(),
    /** When WeCom stops accepting it (fetch time + expires_in); refreshed a margin before. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** When an instance last saved a token into this row. */
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.corpId, t.secretKind] })],
);

export type WeComAccessTokenRow = typeof wecomAccessTokens.$inferSelect;
