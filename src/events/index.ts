export { inboundEvents, type InboundEventRow } from './schema';
export { HandlerRegistry, HANDLER_PHASES, type EventHandler, type HandlerContext, type HandlerPhase } from './registry';
export {
  EVENTS_TABLE, appendEvent, appendEvents, dedupeKeyOf, getEvent, listEvents, oldestPendingAgeSeconds, priorityOf, retryDeadEvent,
  type AppendOutcome, type EventListQuery, type EventStatus, type EventToAppend,
} from './eventLog';
export { GroupCommitAppender, type GroupCommitOptions } from './batchedAppend';
