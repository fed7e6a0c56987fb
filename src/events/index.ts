export { inboundEvents, type InboundEventRow } from './schema';
export { HandlerRegistry, type EventHandler, type HandlerContext } from './registry';
export {
  EVENTS_TABLE, appendEvent, appendEvents, dedupeKeyOf, getEvent, listEvents, oldestPendingAgeSeconds, priorityOf, retryDeadEvent,
  type AppendOutcome, type EventListQuery, type EventStatus, type EventToAppend,
} from './eventLog';
export { GroupCommitAppender, type GroupCommitOptions } from './batchedAppend';
