import {
  cronOccurrences, cronProblem, decideOccurrences, occurrencesBetween, parseQuietHours, quietUntil, zonedInstant,
} from '../../src/touchpoints/campaigns';

const d = (s: string) => new Date(s);
const iso = (ds: Date[]) => ds.map((x) => x.toISOString());

describe('cron occurrences in a time zone', () => {
  it("'0 9 * * 1' in Asia/Shanghai is 01:00 UTC on Mondays", () => {
    // 2025-01-06 is a Monday.
    expect(iso(cronOccurrences('0 9 * * 1', 'Asia/Shanghai', d('2025-01-01T00:00:00Z'), d('2025-01-20T00:00:00Z'))))
      .toEqual(['2025-01-06T01:00:00.000Z', '2025-01-13T01:00:00.000Z']);
    // The same expression in UTC is a different instant.
    expect(iso(cronOccurrences('0 9 * * 1', 'UTC', d('2025-01-05T00:00:00Z'), d('2025-01-07T00:00:00Z')))).toEqual(['2025-01-06T09:00:00.000Z']);
  });

  it('the window is (from, to]: an occurrence at `from` was already planned, one at `to` is due', () => {
    const at = d('2025-01-06T01:00:00Z');
    expect(cronOccurrences('0 9 * * 1', 'Asia/Shanghai', at, d('2025-01-06T02:00:00Z'))).toEqual([]);
    expect(iso(cronOccurrences('0 9 * * 1', 'Asia/Shanghai', d('2025-01-06T00:59:59.999Z'), at))).toEqual([at.toISOString()]);
  });

  it('respects start and end dates, and a once schedule fires once', () => {
    const spec = { type: 'cron' as const, cron: '30 8 * * *', timezone: 'Asia/Shanghai', startsAt: d('2025-03-02T00:30:00Z'), endsAt: d('2025-03-04T00:00:00Z') };
    expect(iso(occurrencesBetween(spec, d('2025-03-01T00:00:00Z'), d('2025-03-10T00:00:00Z'))))
      .toEqual(['2025-03-02T00:30:00.000Z', '2025-03-03T00:30:00.000Z']);
    const once = { type: 'once' as const, runAt: d('2025-03-02T10:00:00Z'), timezone: 'Asia/Shanghai' };
    expect(occurrencesBetween(once, d('2025-03-02T09:00:00Z'), d('2025-03-02T11:00:00Z'))).toHaveLength(1);
    expect(occurrencesBetween(once, d('2025-03-02T10:00:00Z'), d('2025-03-02T11:00:00Z'))).toHaveLength(0);
  });

  it('accepts five fields only', () => {
    expect(cronProblem('0 9 * * 1')).toBeUndefined();
    expect(cronProblem('0 0 9 * * 1')).toMatch(/five fields/);
    expect(cronProblem('61 9 * * 1')).toMatch(/not a valid/);
  });
});

describe('catch-up after downtime', () => {
  const now = d('2025-01-10T12:00:00Z');
  const grace = 6 * 3600_000;

  it('runs the latest occurrence inside the grace window and records the rest as missed', () => {
    const found = [d('2025-01-10T02:00:00Z'), d('2025-01-10T07:00:00Z'), d('2025-01-10T09:00:00Z'), d('2025-01-10T11:00:00Z')];
    const fates = decideOccurrences(found, now, grace);
    expect(fates.map((f) => f.status)).toEqual(['missed', 'missed', 'missed', 'pending']);
    expect(fates[0]).toMatchObject({ reason: expect.stringMatching(/grace/) });
    expect(fates[1]).toMatchObject({ reason: expect.stringMatching(/superseded/) });
  });

  it('an occurrence older than the grace window alone is missed, not run', () => {
    expect(decideOccurrences([d('2025-01-10T05:59:00Z')], now, grace)).toEqual([expect.objectContaining({ status: 'missed' })]);
    expect(decideOccurrences([d('2025-01-10T06:00:00Z')], now, grace)).toEqual([expect.objectContaining({ status: 'pending' })]);
  });
});

describe('quiet hours', () => {
  const q = parseQuietHours('22:00-08:00');

  it('defer work to the end of quiet hours in the zone, across midnight', () => {
    // 23:30 in Shanghai (15:30 UTC) → 08:00 next day Shanghai = 00:00 UTC.
    expect(quietUntil(d('2025-01-10T15:30:00Z'), 'Asia/Shanghai', q)?.toISOString()).toBe('2025-01-11T00:00:00.000Z');
    // 07:59 Shanghai (23:59 UTC the day before) → 08:00 the same local day.
    expect(quietUntil(d('2025-01-10T23:59:00Z'), 'Asia/Shanghai', q)?.toISOString()).toBe('2025-01-11T00:00:00.000Z');
    // 08:00 and 21:59 are outside.
    expect(quietUntil(d('2025-01-11T00:00:00Z'), 'Asia/Shanghai', q)).toBeNull();
    expect(quietUntil(d('2025-01-11T13:59:00Z'), 'Asia/Shanghai', q)).toBeNull();
  });

  it('a window that does not wrap, none at all, and bad input', () => {
    const lunch = parseQuietHours('12:00-13:30');
    expect(quietUntil(d('2025-01-10T04:15:00Z'), 'Asia/Shanghai', lunch)?.toISOString()).toBe('2025-01-10T05:30:00.000Z');
    expect(quietUntil(d('2025-01-10T05:30:00Z'), 'Asia/Shanghai', lunch)).toBeNull();
    expect(quietUntil(d('2025-01-10T15:30:00Z'), 'Asia/Shanghai', parseQuietHours(''))).toBeNull();
    expect(() => parseQuietHours('22-8')).toThrow(/22:00-08:00/);
    expect(() => parseQuietHours('08:00-08:00')).toThrow(/empty/);
  });

  it('wall-clock times across a DST change resolve to the right instant', () => {
    // New York springs forward on 2025-03-09: 08:00 EDT is 12:00 UTC; the day before, 08:00 EST is 13:00 UTC.
    expect(zonedInstant({ year: 2025, month: 3, day: 9, hour: 8, minute: 0 }, 'America/New_York').toISOString()).toBe('2025-03-09T12:00:00.000Z');
    expect(zonedInstant({ year: 2025, month: 3, day: 8, hour: 8, minute: 0 }, 'America/New_York').toISOString()).toBe('2025-03-08T13:00:00.000Z');
    expect(quietUntil(d('2025-03-09T05:00:00Z'), 'America/New_York', q)?.toISOString()).toBe('2025-03-09T12:00:00.000Z');
  });
});
