import { AppError } from '../../src/lib/errors';
import { MAX_CONDITIONS, MAX_DEPTH, parseRule } from '../../src/segments';

/** The error parseRule throws for `rule` (fails the test if it throws none). */
function errorOf(rule: unknown): AppError {
  let caught: unknown;
  try {
    parseRule(rule);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  return caught as AppError;
}

const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { all: [nest(depth - 1, leaf)] });

describe('segment rules: parse', () => {
  const accepted: Array<[string, unknown]> = [
    ['tag hasAny', { tag: { hasAny: ['t1', 't2'] } }],
    ['tag hasAll', { tag: { hasAll: ['t1'] } }],
    ['tag hasNone', { tag: { hasNone: ['t1'] } }],
    ['stage', { stage: { in: ['new', 'growing', 'mature', 'dormant', 'churned'] } }],
    ['tier', { tier: { in: ['key', 'growth', 'regular', 'low', 'none'] } }],
    ['score', { score: { r: { gte: 4 }, f: { lte: 2 }, m: { eq: 5 } } }],
    ['field eq', { field: { key: 'city', op: 'eq', value: 'Shanghai' } }],
    ['field neq', { field: { key: 'vip', op: 'neq', value: true } }],
    ['field gt number', { field: { key: 'age', op: 'gt', value: 30 } }],
    ['field gte date', { field: { key: 'birthday', op: 'gte', value: '2000-02-29' } }],
    ['field lt', { field: { key: 'age', op: 'lt', value: 30 } }],
    ['field lte', { field: { key: 'age', op: 'lte', value: 30.5 } }],
    ['field contains', { field: { key: 'hobbies', op: 'contains', value: 'golf' } }],
    ['field in', { field: { key: 'city', op: 'in', value: ['Beijing', 2] } }],
    ['field isSet', { field: { key: 'city', op: 'isSet' } }],
    ['field notSet', { field: { key: 'city', op: 'notSet' } }],
    ['field before', { field: { key: 'birthday', op: 'before', value: '1990-01-01' } }],
    ['field after', { field: { key: 'birthday', op: 'after', value: '1990-01-01' } }],
    ['owner', { owner: { in: ['rep1'] } }],
    ['department', { department: { in: [2, 3], includeChildren: true } }],
    ['channel', { channel: { in: ['poster-2024'] } }],
    ['inGroup chatIds', { inGroup: { chatIds: ['wr1'] } }],
    ['inGroup any', { inGroup: { any: true } }],
    ['lastOrder olderThanDays', { lastOrder: { olderThanDays: 90 } }],
    ['lastOrder withinDays', { lastOrder: { withinDays: 30 } }],
    ['lastOrder never', { lastOrder: { never: true } }],
    ['lastInteraction', { lastInteraction: { withinDays: 7 } }],
    ['added withinDays', { added: { withinDays: 7 } }],
    ['added olderThanDays', { added: { olderThanDays: 365 } }],
    ['orderCount', { orderCount: { gte: 2, lte: 5 } }],
    ['totalSpend', { totalSpend: { gte: 100.5 } }],
    ['not', { not: { stage: { in: ['new'] } } }],
    ['empty all', { all: [] }],
  ];

  it.each(accepted)('accepts %s (and returns it unchanged)', (_name, rule) => {
    expect(parseRule(rule)).toEqual(rule);
    expect(parseRule({ all: [rule] })).toEqual({ all: [rule] });
  });

  it('accepts includeDisconnected on the root only', () => {
    expect(parseRule({ any: [{ stage: { in: ['new'] } }], includeDisconnected: true })).toEqual({
      any: [{ stage: { in: ['new'] } }],
      includeDisconnected: true,
    });
    expect(errorOf({ all: [{ stage: { in: ['new'] }, includeDisconnected: true }] }).message).toMatch(/^all\[0\]: expected exactly one key/);
  });

  const rejected: Array<[string, unknown, RegExp]> = [
    ['not an object', 'stage', /^\(root\): expected an object/],
    ['two keys in one node', { stage: { in: ['new'] }, tier: { in: ['key'] } }, /^\(root\): expected exactly one key/],
    ['unknown condition', { all: [{ colour: 'red' }] }, /^all\[0\]\.colour: unknown condition/],
    ['all not an array', { all: { stage: { in: ['new'] } } }, /^all: expected an array/],
    ['bad field op', { all: [{ stage: { in: ['new'] } }, { tier: { in: ['key'] } }, { field: { key: 'x', op: 'like', value: 1 } }] }, /^all\[2\]\.field\.op: /],
    ['bad field key', { field: { key: "x'; drop", op: 'eq', value: 1 } }, /^field\.key: expected a field key/],
    ['field value missing', { field: { key: 'x', op: 'eq' } }, /^field\.value: eq needs a value/],
    ['field value on isSet', { field: { key: 'x', op: 'isSet', value: 1 } }, /^field\.value: isSet takes no value/],
    ['field date not a date', { field: { key: 'x', op: 'before', value: '2024-02-30' } }, /^field\.value: not a calendar date/],
    ['field in empty', { field: { key: 'x', op: 'in', value: [] } }, /^field\.value: /],
    ['field unknown key', { field: { key: 'x', op: 'eq', value: 1, extra: 1 } }, /^field\.extra: unknown key/],
    ['bad stage', { any: [{ all: [{ stage: { in: ['new', 'zombie'] } }] }] }, /^any\[0\]\.all\[0\]\.stage\.in\[1\]: /],
    ['bad tier', { tier: { in: ['gold'] } }, /^tier\.in\[0\]: /],
    ['score out of range', { score: { r: { gte: 6 } } }, /^score\.r\.gte: /],
    ['score with nothing', { score: {} }, /^score: give at least one of r, f, m/],
    ['tag empty list', { tag: { hasAny: [] } }, /^tag\.hasAny: /],
    ['tag unknown mode', { tag: { hasSome: ['t'] } }, /^tag\.hasSome: unknown key/],
    ['department id not int', { department: { in: ['sales'] } }, /^department\.in\[0\]: /],
    ['lastOrder negative days', { lastOrder: { withinDays: -1 } }, /^lastOrder\.withinDays: /],
    ['lastOrder never false', { lastOrder: { never: false } }, /^lastOrder\.never: /],
    ['orderCount empty', { orderCount: {} }, /^orderCount: give at least one of gte, lte/],
    ['inGroup any false', { inGroup: { any: false } }, /^inGroup\.any: /],
    ['unknown key inside a condition', { stage: { in: ['new'], or: ['mature'] } }, /^stage\.or: unknown key/],
    ['empty node', { all: [{}] }, /^all\[0\]: expected exactly one key, got none/],
    ['includeDisconnected not boolean', { all: [], includeDisconnected: 'yes' }, /^includeDisconnected: /],
  ];

  it.each(rejected)('rejects %s with the path', (_name, rule, message) => {
    const err = errorOf(rule);
    expect(err.code).toBe('invalid_rule');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });

  it(`allows groups ${MAX_DEPTH} deep and not deeper`, () => {
    const leaf = { stage: { in: ['new'] } };
    expect(() => parseRule(nest(MAX_DEPTH, leaf))).not.toThrow();
    const err = errorOf(nest(MAX_DEPTH + 1, leaf));
    expect(err.message).toMatch(new RegExp(`^${'all\\[0\\]\\.'.repeat(MAX_DEPTH)}all: groups nest at most ${MAX_DEPTH} deep`));
  });

  it(`allows ${MAX_CONDITIONS} conditions and not more`, () => {
    const leaf = { tier: { in: ['key'] } };
    expect(() => parseRule({ any: Array.from({ length: MAX_CONDITIONS }, () => leaf) })).not.toThrow();
    const err = errorOf({ all: [{ any: Array.from({ length: 60 }, () => leaf) }, { any: Array.from({ length: 41 }, () => leaf) }] });
    expect(err.message).toMatch(new RegExp(`^all\\[1\\]\\.any\\[40\\]: a rule has at most ${MAX_CONDITIONS} conditions`));
  });
});
