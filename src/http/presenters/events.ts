import type { InboundEventRow } from '../../events';

/** Fields are listed explicitly: the payload (customer data) never leaves through this view. */
export function presentEvent(e: InboundEventRow) {
  return {
    id: e.id,
    msgType: e.msgType,
    event: e.event,
    changeType: e.changeType,
    status: e.status,
    attempts: e.attempts,
    lastError: e.lastError,
    receivedAt: e.receivedAt.toISOString(),
    processedAt: e.processedAt?.toISOString() ?? null,
  };
}
