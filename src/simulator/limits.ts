/** Per-corp-per-API frequency limits (API-NOTES §6.1) with WeCom's blocking windows. */
export interface RateLimitConfig {
  perMinute: number;
  perHour: number;
}

export const DEFAULT_RATE_LIMITS: Readonly<RateLimitConfig> = Object.freeze({ perMinute: 10_000, perHour: 150_000 });

interface Counter {
  minuteStart: number;
  minuteCount: number;
  hourStart: number;
  hourCount: number;
  blockedUntil: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Fixed windows on the simulated clock. Exceeding the minute limit blocks the
 * API for 60 s, the hour limit for 60 min (§6.1); while blocked every call is 45009.
 */
export class RateLimiter {
  private readonly counters = new Map<string, Counter>();

  constructor(private config: RateLimitConfig, private readonly now: () => number) {}

  configure(config: Partial<RateLimitConfig>): void {
    this.config = { ...this.config, ...config };
  }

  get limits(): RateLimitConfig {
    return { ...this.config };
  }

  /** Counts the call; true when it may proceed, false → 45009. */
  admit(api: string): boolean {
    const t = this.now();
    let c = this.counters.get(api);
    if (!c) this.counters.set(api, (c = { minuteStart: t, minuteCount: 0, hourStart: t, hourCount: 0, blockedUntil: 0 }));
    if (t < c.blockedUntil) return false;
    if (t - c.minuteStart >= MINUTE) { c.minuteStart = t - ((t - c.minuteStart) % MINUTE); c.minuteCount = 0; }
    if (t - c.hourStart >= HOUR) { c.hourStart = t - ((t - c.hourStart) % HOUR); c.hourCount = 0; }
    c.minuteCount += 1;
    c.hourCount += 1;
    if (c.hourCount > this.config.perHour) { c.blockedUntil = t + HOUR; return false; }
    if (c.minuteCount > this.config.perMinute) { c.blockedUntil = t + MINUTE; return false; }
    return true;
  }

  reset(): void {
    this.counters.clear();
  }
}
