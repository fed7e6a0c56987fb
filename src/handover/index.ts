/** Handover (在职继承 / 离职继承): plans, preflight, exactly-once sending, results to a final state, the unassigned pool, audit. */
export * from './schema';
export { planHandover, draftUnassigned, setTakeovers, takeoverProblem, type PlanInput, type DistributionRule } from './planHandover';
export { confirmHandover, cancelHandover, GROUPS_PER_OWNER_PER_DAY } from './confirmHandover';
export { sendHandoverBatch, handoverQueue, BATCH_SIZE } from './sendHandover';
export { pollHandoverResults } from './pollResults';
export { registerHandoverHandlers, draftMissedDepartures, draftOnDeparture, type HandoverSettings } from './handlers';
export { syncUnassigned, listUnassigned, unassignedOf, type UnassignedRep } from './unassigned';
export { getPlan, listPlans, listAudit, type PlanRow, type ItemRow, type AuditRow } from './queries';
export {
  handoverPlan, draftHandover, changeTakeovers, confirmHandoverPlan, cancelHandoverPlan, unassignedPool, draftUnassignedHandovers,
  type HandoverPlanView, type HandoverCommandContext,
} from './commands';
