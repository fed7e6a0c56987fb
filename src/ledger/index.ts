/** The ledger: employees, customers, relations and groups as WeCom has them, with their history. */
export * from './schema';
export { registerLedgerHandlers } from './handlers';
export { runFullSync, LeaseLost, SyncPaused, PHASES, type Phase, type FullSyncDeps } from './sync/fullSync';
export { requestFullSync, getSyncJob, latestSyncWarnings, viewOf, SYNC_JOBS_TABLE, type SyncJobView } from './sync/syncJobs';
export { applyRelations, endRelation, upsertContacts, refreshConnected, type Cause, type RelationFacts, type ContactFacts } from './writes/relations';
export { applyGroupDetail, endGroup } from './writes/groups';
export { applyMarkedTags } from './writes/tags';
export { markDeparted, leadersOf, applyEmployee } from './writes/directory';
export { raiseAlert, type AlertKind } from './writes/alerts';
export { PERMISSION_ERRCODES, permissionWarning, readOrNothing, type PermissionWarning } from './wecomReads';
export * from './queries';
export * from './handoverFacts';
export * from './archiveFacts';
export * from './touchpointFacts';
export * from './campaignFacts';
