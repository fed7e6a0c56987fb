/**
 * The WeCom simulator: a real HTTP server that answers like WeCom for the APIs
 * Lifelong calls, delivers encrypted callbacks for world actions, and exposes
 * a control API under /__sim/. Public surface of src/simulator: its only entry point.
 */
export { createSimulator, DEFAULT_SETTINGS, demoSimulatorOptions, restoreSimulator, Simulator } from './simulator';
export type { PersistenceStatus, PersistOptions, SimulatorOptions, SimulatorState } from './simulator';
export { readStateFile, SIM_STATE_VERSION, SimStateFileError } from './persistence';
export type { SimStateFile } from './persistence';
export type { SimSettings, SentAppMessage, SentWelcome, WelcomeCode } from './core';
export { SIGN_IN_CODE_TTL_SECONDS, SignInDesk } from './signIn';
export type { SignInCode, SignInConfig, SignInFlow } from './signIn';
export { TransferDesk, TRANSFER_DELAY_SECONDS } from './world/transfers';
export { MASS_RECEIVE_RULES, MassMessageDesk, RECIPIENT_STATUS, shanghaiDay } from './world/massMessages';
export type {
  MassChatType, MassReceiveRule, MassTask, MassTaskDetails, RepCreatesMassMessageInput, SavedMassDesk, SavedMassTask, SenderDecision, SenderPart,
} from './world/massMessages';
export { MEDIA_TTL_SECONDS, MediaLibrary } from './world/media';
export type { MediaType, StoredImage, StoredMedia } from './world/media';
export type { GroupWelcomeTemplate } from './api/groupWelcome';
export { MEDIA_LIMITS, UPLOADIMG_MAX_BYTES } from './api/media';
export { seedWorld, DEFAULT_COUNTS, SEED_EPOCH } from './world/seed';
export type { SeedCounts, SeedOptions } from './world/seed';
export { World } from './world/state';
export type {
  ContactWay, Customer, Department, Employee, Group, GroupMember, GroupTransferRecord, Relation, Tag, TagGroup, TransferRecord,
  WorldDurable, WorldSnapshot, WorldSummary,
} from './world/state';
export { ActionError, WORLD_ACTIONS } from './world/actions';
export type { CustomerAddsRepViaWayInput, WorldActionName } from './world/actions';
export type { Delivery, DeliveryAttempt, DeliveryMode, UrlVerification } from './callbacks/dispatcher';
export type { EventSummary } from './callbacks/eventXml';
export type { Fault, FaultSpec } from './faults';
export type { CallsSnapshot } from './calls';
export { mulberry32, Rng } from './random';
export { startWorldStream } from './stream';
export type { WorldStream, WorldStreamOptions } from './stream';
export * from './defaults';
