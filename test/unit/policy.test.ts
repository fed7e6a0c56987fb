import { AppError } from '../../src/lib/errors';
import { ACTIONS, assertCan, can, type Action, type Actor, type Role } from '../../src/policy';

const actor = (id: string, role: Role): Actor => ({ id, role, userId: id, departmentIds: [], via: 'session' });
const admin = actor('admin', 'admin');
const manager = actor('boss', 'manager');
const rep = actor('zhangsan', 'rep');

const MANAGER_MAY: Action[] = ['handover.plan', 'campaign.edit', 'segment.edit', 'content.edit', 'archive.allWarnings', 'record.write', 'orders.write'];
const REP_MAY: Action[] = ['record.write'];

describe('policy', () => {
  it.each(ACTIONS)('admins may %s', (action) => {
    expect(can(admin, action)).toBe(true);
    expect(assertCan(admin, action)).toBe('admin');
  });

  it.each(ACTIONS)('managers may %s only when it runs their departments', (action) => {
    expect(can(manager, action)).toBe(MANAGER_MAY.includes(action));
  });

  it.each(ACTIONS)('reps may %s only on their own customers\' records', (action) => {
    expect(can(rep, action)).toBe(REP_MAY.includes(action));
  });

  it('an unknown role may nothing, not even through inherited property names', () => {
    for (const role of ['guest', 'constructor', '__proto__', 'toString', '']) {
      const who = { ...rep, role } as unknown as Actor;
      for (const action of ACTIONS) expect(can(who, action)).toBe(false);
    }
  });

  it('a refusal is 403 forbidden and says who may', () => {
    let err: unknown;
    try {
      assertCan(rep, 'handover.plan');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('forbidden');
    expect((err as AppError).status).toBe(403);
    expect((err as AppError).message).toBe('only managers and admins may manage handovers');
    expect(() => assertCan(manager, 'settings.edit')).toThrow('only admins may change settings');
    expect(() => assertCan(manager, 'access.manage')).toThrow('only admins may manage tokens and roles');
    expect(() => assertCan(rep, 'campaign.edit')).toThrow('only managers and admins may manage campaigns');
  });
});
