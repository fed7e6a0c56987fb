export { inboundEvents, type InboundEventRow } from './schema';
export { HandlerRegistry, type EventHandler, type HandlerContext } from './registry';
export {
  EVENTS_TABLE, appendEvent, dedupeKeyOf, getEvent, listEvents, oldestPendingAgeSeconds, priorityOf, retryDeadEvent,
  type EventListQuery, type EventStatus,
} from './eventLog';
