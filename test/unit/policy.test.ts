import { AppError } from '../../src/lib/errors';
import { ACTIONS, assertCan, can, type Actor } from '../../src/policy';

const admin: Actor = { id: 'admin', role: 'admin' };
const manager: Actor = { id: 'boss', role: 'manager' };
const rep: Actor = { id: 'zhangsan', role: 'rep' };

describe('policy', () => {
  it.each(ACTIONS)('admins and managers may %s', (action) => {
    expect(can(admin, action)).toBe(true);
    expect(can(manager, action)).toBe(true);
    expect(assertCan(manager, action)).toBe('boss');
  });

  it.each(ACTIONS)('reps may not %s', (action) => {
    expect(can(rep, action)).toBe(false);
  });

  it('an unknown role may nothing, not even through inherited property names', () => {
    for (const role of ['guest', 'constructor', '__proto__', 'toString', '']) {
      const who = { id: 'x', role } as unknown as Actor;
      for (const action of ACTIONS) expect(can(who, action)).toBe(false);
    }
  });

  it('a refusal is 403 forbidden with the wording clients have seen', () => {
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
    expect(() => assertCan(rep, 'campaign.edit')).toThrow('only managers and admins may manage campaigns');
    expect(() => assertCan(rep, 'segment.edit')).toThrow('only managers and admins may manage segments');
    expect(() => assertCan(rep, 'content.edit')).toThrow('only managers and admins may manage touchpoint content');
    expect(() => assertCan(rep, 'archive.editValue')).toThrow('only managers and admins may change archive settings');
  });
});
