/**
 * The ledger: employees, customers, relations and groups as WeCom has them,
 * with their history. Its surface by subject — reads in read/, writes in
 * writes/, and `ledgerSql` for capabilities that need ledger data inside one
 * statement of their own. Other capabilities import this file only.
 */
export * from './schema';
export { registerLedgerHandlers } from './handlers';
export { runFullSync, LeaseLost, SyncPaused, PHASES, type Phase, type FullSyncDeps } from './sync/fullSync';
export { requestFullSync, getSyncJob, latestSyncWarnings, viewOf, SYNC_JOBS_TABLE, type SyncJobView } from './sync/syncJobs';
export { PERMISSION_ERRCODES, permissionWarning, readOrNothing, type PermissionWarning } from './wecomReads';

// Reads, by subject.
export { containsPattern, HISTORY_LIMIT, type Page } from './read/common';
export * from './read/contacts';
export * from './read/relations';
export * from './read/employees';
export * from './read/groups';
export * from './read/tags';
export * from './read/alerts';
export * from './read/directory';

// Writes, by subject.
export {
  applyRelations, endRelation, upsertContacts, refreshConnected, recordCustomerTransfers,
  type Cause, type RelationFacts, type ContactFacts, type CustomerTransfer,
} from './writes/relations';
export { applyGroupDetail, endGroup, recordGroupTransfer } from './writes/groups';
export { applyMarkedTags } from './writes/tags';
export { markDeparted, markAwaitingHandover, leadersOf, applyEmployee } from './writes/directory';
export { raiseAlert, type AlertKind } from './writes/alerts';

// SQL fragments for one-statement work in other capabilities.
export { ledgerSql, type SenderPreference, type GroupSelection } from './sql';
