import type { Logger } from '../lib/logger';
import type { Tx } from '../db/connection';
import type { WeComEvent } from '../wecom/callback/events';

export interface HandlerContext {
  corpId: string;
  eventId: number;
  log: Logger;
}

/**
 * A capability's reaction to one kind of event. `prepare` runs outside any
 * transaction (WeCom reads belong there); `apply` runs in the transaction
 * that also settles the event, so its writes and "processed" commit together.
 * Both may run more than once for one event (crash, lost lease): make them idempotent.
 */
export interface EventHandler<P = unknown> {
  prepare?(event: WeComEvent, ctx: HandlerContext): Promise<P>;
  apply(tx: Tx, event: WeComEvent, prepared: P, ctx: HandlerContext): Promise<void>;
}

/** Handlers by dispatch key (`change_external_contact:add_external_contact`, `message:text`); several per key run in order. */
export class HandlerRegistry {
  private readonly byKey = new Map<string, EventHandler<any>[]>();

  on<P>(key: string, handler: EventHandler<P>): this {
    const list = this.byKey.get(key) ?? [];
    list.push(handler as EventHandler<any>);
    this.byKey.set(key, list);
    return this;
  }

  handlersFor(key: string): EventHandler<any>[] {
    return this.byKey.get(key) ?? [];
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }
}
