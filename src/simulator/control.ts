import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeliveryMode } from './callbacks/dispatcher';
import type { FaultSpec } from './faults';
import { readBody, sendJson } from './http';
import type { Simulator } from './simulator';
import { SimInputError } from './errors';
import { WORLD_ACTIONS, type WorldActionName } from './world/actions';

type Body = Record<string, unknown>;
type ControlHandler = (sim: Simulator, body: Body, query: Record<string, string>) => unknown | Promise<unknown>;

class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const num = (v: unknown, field: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ControlError(400, `${field} must be a number`);
  return v;
};

const DELIVER_MODES: readonly DeliveryMode[] = ['normal', 'drop', 'duplicate'];

/**
 * The control API under /__sim/ (JSON, no token): test and demo hooks that
 * WeCom itself doesn't have. World actions live under /__sim/world/<action>.
 */
const ROUTES: Record<string, ControlHandler> = {
  'GET /__sim/routes': (sim) => ({ api: sim.apiPaths(), worldActions: [...WORLD_ACTIONS] }),
  'GET /__sim/state': (sim) => sim.describe(),
  'GET /__sim/truth': (sim) => sim.truth(),

  'GET /__sim/calls': (sim) => sim.calls.snapshot(),
  'POST /__sim/calls/reset': (sim) => { sim.calls.reset(); return { ok: true }; },

  'GET /__sim/faults': (sim) => ({ faults: sim.faults.list() }),
  'POST /__sim/faults': (sim, body) => ({ fault: sim.injectFault(body as FaultSpec) }),
  'DELETE /__sim/faults': (sim) => { sim.faults.clear(); return { ok: true }; },
  'POST /__sim/faults/clear': (sim) => { sim.faults.clear(); return { ok: true }; },

  'GET /__sim/permissions': (sim) => ({ denied: Object.fromEntries(sim.deniedApis) }),
  'POST /__sim/permissions': (sim, body) => {
    if (typeof body.api !== 'string') throw new ControlError(400, 'api is required');
    sim.denyApi(body.api, body.errcode === undefined ? 48002 : num(body.errcode, 'errcode'));
    return { denied: Object.fromEntries(sim.deniedApis) };
  },
  'DELETE /__sim/permissions': (sim, body) => {
    if (typeof body.api === 'string') sim.allowApi(body.api);
    else sim.deniedApis.clear();
    return { denied: Object.fromEntries(sim.deniedApis) };
  },

  // Sign-in (authorize pages, auth/getuserinfo): the app's trusted domains and IPs, outstanding codes.
  'GET /__sim/sign-in': (sim) => ({ settings: sim.signIn.settings, codes: sim.signInCodes() }),
  'POST /__sim/sign-in': (sim, body) => ({ settings: sim.signIn.configure(body) }),

  'POST /__sim/tokens/expire': (sim) => ({ expired: sim.expireTokens() }),

  'GET /__sim/time': (sim) => ({ now: sim.now().toISOString(), unix: sim.nowSeconds() }),
  'POST /__sim/time/advance': (sim, body) => { sim.advanceTime(num(body.ms, 'ms')); return { now: sim.now().toISOString(), unix: sim.nowSeconds() }; },

  'POST /__sim/settings': (sim, body) => ({ settings: sim.configure(body) }),
  'POST /__sim/rate-limits': (sim, body) => {
    sim.limiter.configure({
      ...(body.perMinute !== undefined ? { perMinute: num(body.perMinute, 'perMinute') } : {}),
      ...(body.perHour !== undefined ? { perHour: num(body.perHour, 'perHour') } : {}),
    });
    if (body.reset === true) sim.limiter.reset();
    return { limits: sim.limiter.limits };
  },

  'POST /__sim/callback-url': (sim, body) => {
    if (body.url !== undefined && body.url !== null && typeof body.url !== 'string') throw new ControlError(400, 'url must be a string');
    sim.setCallbackUrl((body.url as string | null | undefined) ?? undefined);
    return { url: sim.callbacks.settings.url ?? null };
  },
  'GET /__sim/callbacks': (sim) => ({ pending: sim.callbacks.pendingCount, deliveries: sim.callbacks.list() }),
  'POST /__sim/callbacks/flush': async (sim) => { await sim.flushCallbacks(); return { pending: 0, deliveries: sim.callbacks.list().length }; },
  'POST /__sim/callbacks/clear': (sim) => { sim.callbacks.clearHistory(); return { ok: true }; },
  'POST /__sim/callbacks/verify': (sim, body) => sim.verifyCallbackUrl(typeof body.url === 'string' ? body.url : undefined),
  'POST /__sim/callbacks/config': (sim, body) => {
    const patch: Record<string, unknown> = {};
    for (const k of ['timeoutMs', 'retries', 'retrySpacingMs'] as const) if (body[k] !== undefined) patch[k] = num(body[k], k);
    if (body.deliver !== undefined) {
      if (!DELIVER_MODES.includes(body.deliver as DeliveryMode)) throw new ControlError(400, `deliver must be one of ${DELIVER_MODES.join(', ')}`);
      patch.deliver = body.deliver;
    }
    if (typeof body.realTimestamps === 'boolean') patch.realTimestamps = body.realTimestamps;
    sim.callbacks.configure(patch);
    const { token: _t, aesKey: _k, ...visible } = sim.callbacks.settings;
    return { callbacks: visible };
  },

  'GET /__sim/messages': (sim) => ({ messages: sim.appMessages }),
  'GET /__sim/welcome-codes': (sim) => ({ codes: [...sim.welcomeCodes.values()] }),
  'GET /__sim/welcome-messages': (sim) => ({ messages: sim.welcomeMessages }),
  'GET /__sim/transfers': (sim) => ({ transfers: sim.world.transfers, groupTransfers: sim.world.groupTransfers }),

  // Touchpoints: mass messages, contact ways, media, group welcome templates.
  'GET /__sim/mass-messages': (sim) => { sim.settle(); return { tasks: sim.massMessages.summaries() }; },
  'GET /__sim/mass-message': (sim, _body, query) => {
    if (!query.msgid) throw new ControlError(400, 'msgid is required');
    const details = sim.massMessage(query.msgid, { ...(query.userid ? { userid: query.userid } : {}), recipients: query.recipients !== 'false' });
    if (!details) throw new ControlError(404, `no mass message ${query.msgid}`);
    return details;
  },
  'GET /__sim/mass-messages/received': (sim, _body, query) => {
    if (query.ids) return { received: Object.fromEntries(query.ids.split(',').filter(Boolean).map((id) => [id, sim.massReceivedCount(id)])) };
    const min = query.min === undefined ? 1 : Number(query.min);
    if (!Number.isInteger(min) || min < 1) throw new ControlError(400, 'min must be a positive integer');
    return { received: sim.massReceivedCounts(min) };
  },
  'GET /__sim/mass-messages/senders': (sim) => ({ templateCalls: sim.massTemplateCallsBySender() }),
  'POST /__sim/mass-messages/confirm': (sim, body) => {
    if (typeof body.msgid !== 'string') throw new ControlError(400, 'msgid is required');
    if (body.userid !== undefined && typeof body.userid !== 'string') throw new ControlError(400, 'userid must be a string');
    return { confirmed: sim.confirmMassMessage(body.msgid, body.userid as string | undefined) };
  },
  'POST /__sim/mass-messages/decline': (sim, body) => {
    if (typeof body.msgid !== 'string' || typeof body.userid !== 'string') throw new ControlError(400, 'msgid and userid are required');
    return { declined: sim.declineMassMessage(body.msgid, body.userid) };
  },
  'GET /__sim/contact-ways': (sim) => ({
    contactWays: [...sim.world.contactWays.values()].map((w) => ({ ...structuredClone(w), addsByUser: sim.contactWayAdds(w.config_id) })),
    apiWayCount: sim.world.apiWayCount(),
  }),
  'POST /__sim/contact-ways/join-way-count': (sim, body) => { sim.world.joinWayCount = num(body.count, 'count'); return { apiWayCount: sim.world.apiWayCount() }; },
  'GET /__sim/media': (sim) => ({ uploads: [...sim.media.uploads.values()], images: [...sim.media.images.values()] }),
  'GET /__sim/group-welcome-templates': (sim) => ({ templates: [...sim.groupWelcomeTemplates.values()] }),
};

export async function handleControl(sim: Simulator, req: IncomingMessage, res: ServerResponse, path: string, query: Record<string, string>): Promise<void> {
  try {
    const raw = req.method === 'GET' ? '' : await readBody(req);
    let body: Body = {};
    if (raw.trim()) {
      try {
        body = JSON.parse(raw) as Body;
      } catch {
        throw new ControlError(400, 'body is not JSON');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ControlError(400, 'body must be a JSON object');
    }
    const worldAction = /^\/__sim\/world\/([A-Za-z]+)$/.exec(path)?.[1];
    if (worldAction !== undefined) {
      if (req.method !== 'POST') throw new ControlError(405, 'world actions are POST');
      if (!(WORLD_ACTIONS as readonly string[]).includes(worldAction)) throw new ControlError(404, `unknown world action ${worldAction}`);
      if (body.deliver !== undefined && !DELIVER_MODES.includes(body.deliver as DeliveryMode)) throw new ControlError(400, 'bad deliver mode');
      const result = sim.act(worldAction as WorldActionName, body);
      sendJson(res, 200, result);
      return;
    }
    const handler = ROUTES[`${req.method} ${path}`];
    if (!handler) throw new ControlError(404, `no control route ${req.method} ${path}`);
    sendJson(res, 200, await handler(sim, body, query));
  } catch (err) {
    if (err instanceof ControlError) sendJson(res, err.status, { error: { code: err.status === 404 ? 'not_found' : 'bad_request', message: err.message } });
    else if (err instanceof SimInputError) sendJson(res, 400, { error: { code: 'bad_request', message: err.message } });
    else sendJson(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } });
  }
}
