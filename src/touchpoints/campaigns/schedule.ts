import cron from 'node-cron';

/**
 * Schedule arithmetic, pure: cron occurrences in a time zone (node-cron's own
 * matcher, so what we plan is what a node-cron task would fire on), the
 * catch-up decision after downtime, and quiet hours.
 */

const MINUTE = 60_000;

/** A five-field cron expression (minute granularity: occurrences are keyed by the minute). */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return 'must have five fields (minute hour day-of-month month day-of-week)';
  if (!cron.validate(expr)) return 'is not a valid cron expression';
  return undefined;
}

/** Lookback bound: older occurrences are not enumerated one by one (a month of minutes is ~0.6 s of matching). */
export const MAX_LOOKBACK_MS = 31 * 86_400_000;

/**
 * The occurrences of `expr` in `timezone` in (from, to], oldest first.
 * node-cron v4 has no "next after t", only `match(date)`: we walk the minutes,
 * which the lookback bound keeps cheap (a tick looks at about one minute).
 */
export function cronOccurrences(expr: string, timezone: string, from: Date, to: Date): Date[] {
  const start = Math.max(Math.floor(from.getTime() / MINUTE) * MINUTE + MINUTE, to.getTime() - MAX_LOOKBACK_MS);
  const end = Math.floor(to.getTime() / MINUTE) * MINUTE;
  if (start > end) return [];
  const task = cron.createTask(expr, () => undefined, { timezone, name: 'campaign-occurrences' });
  try {
    const out: Date[] = [];
    for (let t = start; t <= end; t += MINUTE) {
      const d = new Date(t);
      if (task.match(d)) out.push(d);
    }
    return out;
  } finally {
    void task.destroy();
  }
}

export interface ScheduleSpec {
  type: 'once' | 'cron';
  runAt?: Date | null;
  cron?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  timezone: string;
}

/** Occurrences of a schedule in (from, to], inside its start/end dates. */
export function occurrencesBetween(s: ScheduleSpec, from: Date, to: Date): Date[] {
  const lo = Math.max(from.getTime(), (s.startsAt?.getTime() ?? -Infinity) - 1);
  const hi = Math.min(to.getTime(), s.endsAt?.getTime() ?? Infinity);
  if (lo >= hi) return [];
  if (s.type === 'once') {
    const t = s.runAt?.getTime();
    return t !== undefined && t > lo && t <= hi ? [new Date(t)] : [];
  }
  return cronOccurrences(s.cron!, s.timezone, new Date(lo), new Date(hi));
}

/** Whether a schedule can have an occurrence after `t`. */
export function hasOccurrenceAfter(s: ScheduleSpec, t: Date): boolean {
  if (s.endsAt && s.endsAt.getTime() <= t.getTime()) return false;
  if (s.type === 'once') return (s.runAt?.getTime() ?? -Infinity) > t.getTime();
  return true;
}

export type OccurrenceFate = { at: Date; status: 'pending' } | { at: Date; status: 'missed'; reason: string };

/**
 * What to do with the occurrences found since the scheduler last looked:
 * the latest one inside the grace window is run (caught up); every other is
 * recorded as missed — too old, or superseded by a later one (after a long
 * downtime, an hourly campaign does not fire six times at once).
 */
export function decideOccurrences(found: Date[], now: Date, graceMs: number): OccurrenceFate[] {
  const horizon = now.getTime() - graceMs;
  const inGrace = found.filter((d) => d.getTime() >= horizon);
  const latest = inGrace.at(-1);
  return found.map((at) => {
    if (at === latest) return { at, status: 'pending' as const };
    if (at.getTime() < horizon) return { at, status: 'missed' as const, reason: `more than ${Math.round(graceMs / 60_000)} min late (outside the catch-up grace window)` };
    return { at, status: 'missed' as const, reason: 'superseded by a later occurrence during catch-up' };
  });
}

// ---------------------------------------------------------------- time zones

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

export function localParts(d: Date, timezone: string): LocalParts {
  const p: Record<string, number> = {};
  for (const part of formatter(timezone).formatToParts(d)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour! % 24, minute: p.minute! };
}

/** The instant a wall-clock time in `timezone` names (the earlier one across a DST fold). */
export function zonedInstant(l: LocalParts, timezone: string): Date {
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const p = localParts(new Date(guess), timezone);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - guess;
    const next = wall - offset;
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}

export function isValidTimezone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- quiet hours

/** A daily window in minutes after local midnight; start > end wraps midnight (22:00–08:00). */
export interface QuietHours {
  start: number;
  end: number;
}

/** 'HH:MM-HH:MM' → window; '' → none. */
export function parseQuietHours(text: string): QuietHours | null {
  if (text.trim() === '') return null;
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) throw new RangeError(`quiet hours "${text}" must look like 22:00-08:00`);
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) throw new RangeError(`quiet hours "${text}" has an impossible time`);
  const q = { start: h1 * 60 + m1, end: h2 * 60 + m2 };
  if (q.start === q.end) throw new RangeError(`quiet hours "${text}" is empty`);
  return q;
}

/**
 * When quiet hours (in `timezone`) end, if `now` is inside them; null when
 * `now` is outside. Work held back is deferred to this time, not dropped.
 */
export function quietUntil(now: Date, timezone: string, q: QuietHours | null): Date | null {
  if (!q) return null;
  const l = localParts(now, timezone);
  const minute = l.hour * 60 + l.minute;
  const wraps = q.start > q.end;
  const inside = wraps ? minute >= q.start || minute < q.end : minute >= q.start && minute < q.end;
  if (!inside) return null;
  // The end is today unless we are in the evening part of a window that wraps midnight.
  const endDay = wraps && minute >= q.start ? addDays(l, 1) : l;
  return zonedInstant({ ...endDay, hour: Math.floor(q.end / 60), minute: q.end % 60 }, timezone);
}

function addDays(l: LocalParts, n: number): LocalParts {
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day + n));
  return { ...l, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}
