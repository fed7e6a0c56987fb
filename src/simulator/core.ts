import type { Logger } from '../lib/logger';
import type { CallbackDispatcher, Delivery, DeliveryMode } from './callbacks/dispatcher';
import type { BuiltEvent, EventHeader } from './callbacks/eventXml';
import type { Rng } from './random';
import type { SignInDesk } from './signIn';
import type { TokenStore } from './tokens';
import type { MediaLibrary } from './world/media';
import type { World } from './world/state';

/** Receive quota per customer / group (§5.3): month_days (default), 7 per week, or 1 per day. A setting, so it lives with the settings. */
export type MassReceiveRule = 'month_days' | 'week7' | 'day1';

/** Behaviour switches the control API can flip at run time. */
export interface SimSettings {
  /** Self-built apps listed in 可调用接口的应用 may call customer-contact APIs with their own secret (default true). */
  agentSecretHasContactPermission: boolean;
  /** Corp tag cap (40126): 3000 per the errcode text; newer docs may say 10000. */
  corpTagLimit: number;
  /** Apps may only edit/delete tags they created (unconfirmed rule; off by default). */
  enforceTagOwnership: boolean;
  /** WelcomeCode validity. */
  welcomeCodeTtlSeconds: number;
  /** Customers per employee cap (40099 / transfer status 4). */
  customerLimitPerEmployee: number;
  /** Delay before a resigned-owner group transfer completes (status 2 → 3). */
  groupTransferSeconds: number;
  /** Probability that a customer refuses a transfer before the 24 h takeover (status 3, transfer_fail). */
  transferRefusalRate: number;
  /** Groups one old owner may hand over per rolling day (§4.9, §5.2: 300). */
  groupTransfersPerOwnerPerDay: number;
  /** Visible-range size above which groupchat/list without owner_filter answers 81017. */
  groupListOwnerFilterThreshold: number;
  /** Probability (0..1) that a sender confirms a mass-message task when the confirmation delay has passed (default 1). */
  massConfirmRate: number;
  /** Simulated seconds after creation when undecided senders confirm (or not) a mass-message task (default 600). */
  massConfirmDelaySeconds: number;
  /** Receive quota per customer / group: 'month_days' (default, as many per natural month as it has days), 'week7' or 'day1'. */
  massReceiveRule: MassReceiveRule;
  /** get_groupmsg_task / get_groupmsg_send_result answer 41063 this many seconds after creation (default 0 = off). */
  massDispatchSeconds: number;
  /** Attachments must name uploaded, unexpired media ids (40007 otherwise; default true). */
  validateMediaIds: boolean;
  /** API-created contact + join ways per corp (41045; default 500,000). */
  contactWayLimit: number;
  /** Group welcome templates per corp (default 100). */
  groupWelcomeTemplateLimit: number;
}

export interface SentAppMessage {
  msgid: string;
  agentid: number;
  msgtype: string;
  /** Employees who received it (valid recipients only). */
  touser: string[];
  toparty: string[];
  body: Record<string, unknown>;
  sentAt: number;
}

export interface SentWelcome {
  userid: string;
  externalUserId: string;
  body: Record<string, unknown>;
  sentAt: number;
}

export interface WelcomeCode {
  code: string;
  userid: string;
  externalUserId: string;
  /** Epoch ms (simulated). */
  expiresAt: number;
  used: boolean;
}

/**
 * What API modules and world actions share: the world, the clock, the id
 * stream, the callback dispatcher. Implemented by the Simulator.
 */
export interface SimCore {
  readonly corpId: string;
  readonly agentId: number;
  readonly world: World;
  readonly settings: SimSettings;
  readonly rng: Rng;
  readonly tokens: TokenStore;
  readonly callbacks: CallbackDispatcher;
  readonly log: Logger;
  /** Sent app messages (message/send), oldest first. */
  readonly appMessages: SentAppMessage[];
  readonly welcomeCodes: Map<string, WelcomeCode>;
  /** Welcome messages sent with send_welcome_msg, oldest first. */
  readonly welcomeMessages: SentWelcome[];
  /** Uploaded media (media/upload, media/uploadimg). */
  readonly media: MediaLibrary;
  /** Sign-in codes and the app's trusted domains and IPs. */
  readonly signIn: SignInDesk;
  nowMs(): number;
  nowSeconds(): number;
  eventHeader(): EventHeader;
  /** Queue a callback delivery (async; returns the delivery record at once). */
  emit(event: BuiltEvent, mode?: DeliveryMode): Delivery;
  /** Apply everything that became due at the current simulated time (e.g. transfers completing). */
  settle(): void;
}
