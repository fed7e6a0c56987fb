import { HandlerRegistry, type EventHandler } from '../../src/events';
import type { Db } from '../../src/db/connection';
import { systemClock } from '../../src/lib/clock';
import { loadConfig } from '../../src/lib/config';
import { registerEventHandlers } from '../../src/service';
import type { WeComClient } from '../../src/wecom/client';

const named = (name: string, ran: string[]): EventHandler => ({
  async prepare() {
    ran.push(`prepare ${name}`);
  },
  async apply() {
    ran.push(`apply ${name}`);
  },
});

it('runs handlers in phase order whatever order they were registered in, and in registration order within a phase', () => {
  const registry = new HandlerRegistry();
  const ran: string[] = [];
  registry.inPhase('react').on('k', named('react-1', ran));
  registry.inPhase('record').on('k', named('record', ran));
  registry.inPhase('react').on('k', named('react-2', ran));
  registry.inPhase('urgent').on('k', named('urgent', ran));
  expect(registry.phasesFor('k')).toEqual(['urgent', 'record', 'react', 'react']);
  for (const h of registry.handlersFor('k')) void h.prepare!({} as never, {} as never);
  expect(ran).toEqual(['prepare urgent', 'prepare record', 'prepare react-1', 'prepare react-2']);
});

it('a registry handed to a capability registers in its phase, into the one shared map', () => {
  const registry = new HandlerRegistry();
  registry.inPhase('record').on('k', named('x', []));
  expect(registry.keys()).toEqual(['k']);
  expect(registry.phasesFor('k')).toEqual(['record']);
});

describe("the service's wiring", () => {
  const registry = new HandlerRegistry();
  // Registration only keeps its dependencies; nothing is called here.
  registerEventHandlers(registry, { db: {} as Db, client: {} as WeComClient, config: loadConfig({ ...process.env }), clock: systemClock });

  it('prepares the welcome message first: a WelcomeCode is valid 20 s', () => {
    const phases = registry.phasesFor('change_external_contact:add_external_contact');
    expect(phases[0]).toBe('urgent');
    expect(phases.filter((p) => p === 'urgent')).toHaveLength(1);
  });

  it('records a departure in the ledger before handover drafts from it', () => {
    expect(registry.phasesFor('change_contact:delete_user')).toEqual(['record', 'react']);
  });

  it('every key runs in phase order', () => {
    const order = ['urgent', 'record', 'react'];
    for (const key of registry.keys()) {
      const phases = registry.phasesFor(key).map((p) => order.indexOf(p));
      expect(phases).toEqual([...phases].sort((a, b) => a - b));
    }
  });
});
