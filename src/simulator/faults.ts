import { SimInputError } from './errors';

/**
 * Fault injection for the next calls: latency, HTTP 5xx, or an errcode
 * (-1 busy, 45009, 45033, …), optionally only for one API and only with a
 * probability. Rules are consumed in the order they were added.
 */
export interface FaultSpec {
  /** API path without /cgi-bin/, e.g. 'externalcontact/batch/get_by_user'; absent = every API. */
  api?: string;
  latencyMs?: number;
  /** Number of upcoming matching calls answered with an HTTP 5xx (empty body). */
  http5xx?: number;
  /** The status for http5xx faults (default 503). */
  httpStatus?: number;
  errcode?: number;
  /** How many upcoming matching calls are affected (default: http5xx's count, 1 for errcode, unlimited for latency only). */
  count?: number;
  /** Chance in [0,1] that a matching call is affected (default 1). */
  probability?: number;
}

export interface Fault extends FaultSpec {
  id: number;
  remaining: number;
}

export type FaultOutcome = { latencyMs: number; httpStatus?: number; errcode?: number };

export class FaultInjector {
  private rules: Fault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(spec: FaultSpec): Fault {
    if (spec.http5xx === undefined && spec.errcode === undefined && spec.latencyMs === undefined) {
      throw new SimInputError('a fault needs latencyMs, http5xx or errcode');
    }
    const remaining = spec.count ?? spec.http5xx ?? (spec.errcode !== undefined ? 1 : Number.POSITIVE_INFINITY);
    const fault: Fault = { ...spec, id: this.nextId++, remaining };
    this.rules.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.rules.map((f) => ({ ...f }));
  }

  clear(): void {
    this.rules = [];
  }

  /** Decides the fate of one call to `api`, consuming matching rules. */
  take(api: string): FaultOutcome {
    const outcome: FaultOutcome = { latencyMs: 0 };
    for (const f of this.rules) {
      if (f.remaining <= 0 || (f.api !== undefined && f.api !== api)) continue;
      if (f.probability !== undefined && this.random() >= f.probability) continue;
      const failing = f.http5xx !== undefined || f.errcode !== undefined;
      // One failure per call: a second failing rule waits for the next call.
      if (failing && (outcome.httpStatus !== undefined || outcome.errcode !== undefined)) continue;
      outcome.latencyMs += f.latencyMs ?? 0;
      if (f.http5xx !== undefined) outcome.httpStatus = f.httpStatus ?? 503;
      else if (f.errcode !== undefined) outcome.errcode = f.errcode;
      f.remaining -= 1;
    }
    this.rules = this.rules.filter((f) => f.remaining > 0);
    return outcome;
  }
}
