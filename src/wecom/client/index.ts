import { ConfigError, type Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { Db } from '../../db/connection';
import { WeComClient, type WeComClientOptions } from './client';
import { DbTokenStore } from './tokenStore';

export { WeComClient, type WeComClientOptions } from './client';
export {
  ERRCODE_MEANINGS,
  WeComError,
  WeComHttpError,
  WeComPlatformError,
  WeComRateLimitedError,
  WeComRequestError,
  appErrorCode,
  errcodeMeaning,
  errcodeOf,
  isTokenErrcode,
  isTransient,
  isWeComError,
  type WeComErrorKind,
} from './errors';
export { INVALID_LOGIN_CODE_ERRCODE, isInvalidLoginCode } from './api/auth';
export { DEFAULT_RETRY, backoffMs, type RetryOptions } from './retry';
export { Semaphore } from './semaphore';
export { DbTokenStore, MemoryTokenStore, type LockedTokenSlot, type StoredToken, type TokenStore } from './tokenStore';
export {
  SECRET_KINDS,
  read as readEndpoint,
  write as writeEndpoint,
  upload as uploadEndpoint,
  type Attachment,
  type CursorPage,
  type Endpoint,
  type ExternalContact,
  type ExternalProfileAttr,
  type FollowFields,
  type FollowInfo,
  type FollowUser,
  type FollowUserTag,
  type MultipartInput,
  type SecretKind,
  type TextContent,
  type TransferCustomerResponse,
  type WeComCaller,
  type WeComEnvelope,
} from './types';
export type * from './api/auth';
export type * from './api/contactWays';
export type * from './api/customers';
export type * from './api/directory';
export type * from './api/groupChats';
export type * from './api/groupWelcome';
export type * from './api/media';
export type * from './api/messages';
export type * from './api/tags';
export type * from './api/transfers';

export type WeComClientConfig = Pick<Config, 'corpId' | 'WECOM_API_BASE' | 'WECOM_CONTACT_SECRET' | 'WECOM_AGENT_SECRET' | 'WECOM_AGENT_ID'>;

/** Builds the client from the app config, with its tokens shared through the database. */
export function createWeComClient(
  config: WeComClientConfig,
  db: Db,
  logger: Logger,
  overrides: Partial<Omit<WeComClientOptions, 'tokenStore'>> = {},
): WeComClient {
  let agentId: number | undefined;
  if (config.WECOM_AGENT_ID !== undefined) {
    agentId = Number(config.WECOM_AGENT_ID);
    if (!Number.isSafeInteger(agentId) || agentId <= 0) throw new ConfigError('invalid configuration: WECOM_AGENT_ID must be a positive integer');
  }
  return new WeComClient({
    baseUrl: config.WECOM_API_BASE,
    corpId: config.corpId,
    secrets: {
      ...(config.WECOM_CONTACT_SECRET ? { contact: config.WECOM_CONTACT_SECRET } : {}),
      ...(config.WECOM_AGENT_SECRET ? { agent: config.WECOM_AGENT_SECRET } : {}),
    },
    ...(agentId !== undefined ? { agentId } : {}),
    tokenStore: new DbTokenStore(db, config.corpId),
    logger,
    ...overrides,
  });
}
