import type { Logger } from '../lib/logger';
import type { Tx } from '../db/connection';
import type { WeComEvent } from '../wecom/callback/events';

export interface HandlerContext {
  corpId: string;
  eventId: number;
  log: Logger;
  /** When the worker took the event, by the service's clock (the simulator's in demo mode): what handlers stamp and decide by. */
  now: Date;
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

/**
 * When a handler runs relative to other capabilities' handlers for the same
 * event: prepares run in phase order, then applies in the same order (one
 * transaction). Within a phase, in registration order.
 * - `urgent`: reads that expire fast — a WelcomeCode is valid 20 s, so the
 *   welcome message is prepared before any slower WeCom read.
 * - `record`: the ledger records the fact (a relation, a departure).
 * - `react`: capabilities that act on the recorded fact — a handover draft
 *   reads the departure the ledger has just written; the archive's interactions.
 */
export const HANDLER_PHASES = ['urgent', 'record', 'react'] as const;
export type HandlerPhase = (typeof HANDLER_PHASES)[number];

interface Registered {
  phase: HandlerPhase;
  handler: EventHandler<any>;
}

/** Handlers by dispatch key (`change_external_contact:add_external_contact`, `message:text`); several per key run in phase order. */
export class HandlerRegistry {
  private byKey = new Map<string, Registered[]>();

  /** `phase`: the phase `on` registers in (see inPhase). */
  constructor(readonly phase: HandlerPhase = 'react') {}

  /** The same registry, registering in `phase`: a capability's register function is handed one of these. */
  inPhase(phase: HandlerPhase): HandlerRegistry {
    const view = new HandlerRegistry(phase);
    view.byKey = this.byKey;
    return view;
  }

  on<P>(key: string, handler: EventHandler<P>): this {
    const list = this.byKey.get(key) ?? [];
    list.push({ phase: this.phase, handler: handler as EventHandler<any> });
    // Stable: registration order within a phase.
    list.sort((a, b) => HANDLER_PHASES.indexOf(a.phase) - HANDLER_PHASES.indexOf(b.phase));
    this.byKey.set(key, list);
    return this;
  }

  handlersFor(key: string): EventHandler<any>[] {
    return (this.byKey.get(key) ?? []).map((r) => r.handler);
  }

  /** The phases of a key's handlers, in run order. */
  phasesFor(key: string): HandlerPhase[] {
    return (this.byKey.get(key) ?? []).map((r) => r.phase);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }
}
