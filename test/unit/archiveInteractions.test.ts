import { HandlerRegistry } from '../../src/events';
import { INTERACTION_KEYS, interactionsOf, registerArchiveHandlers } from '../../src/archive';
import type { WeComEvent } from '../../src/wecom/callback/events';

const header = { createTime: 1_700_000_000, toUserName: 'ww1', fromUserName: 'sys' };

describe('interactionsOf', () => {
  it('names the customer of relation adds and removals', () => {
    const add: WeComEvent = { ...header, kind: 'external_contact', changeType: 'add_external_contact', userId: 'rep1', externalUserId: 'wmAAAAAAAA', state: 'ch1' };
    expect(interactionsOf(add)).toEqual([{ externalUserId: 'wmAAAAAAAA', userId: 'rep1', kind: 'relation_added', detail: { change: 'add_external_contact', state: 'ch1' } }]);
    for (const changeType of ['del_external_contact', 'del_follow_user'] as const) {
      expect(interactionsOf({ ...add, changeType }).map((f) => f.kind)).toEqual(['relation_removed']);
    }
    expect(interactionsOf({ ...add, changeType: 'edit_external_contact' })).toEqual([]);
  });

  it('records group joins and leaves only for customer member ids the callback carries', () => {
    const upd: WeComEvent = { ...header, kind: 'external_chat', changeType: 'update', chatId: 'wr1', updateDetail: 'del_member', memChangeList: ['wmBBBBBBBB', 'rep2', 'wmBBBBBBBB'] };
    expect(interactionsOf(upd).map((f) => [f.externalUserId, f.kind])).toEqual([['wmBBBBBBBB', 'group_leave']]);
    expect(interactionsOf({ ...upd, memChangeList: [] })).toEqual([]);
    expect(interactionsOf({ ...upd, updateDetail: 'change_name' })).toEqual([]);
  });

  it('counts a message only when a customer sent it', () => {
    const msg: WeComEvent = { ...header, kind: 'message', msgType: 'text', content: 'hi', fromUserName: 'wmCCCCCCCC' };
    expect(interactionsOf(msg).map((f) => f.kind)).toEqual(['message']);
    expect(interactionsOf({ ...msg, fromUserName: 'rep3' })).toEqual([]);
  });

  it('registers beside other handlers of the same key', () => {
    const r = new HandlerRegistry();
    r.on(INTERACTION_KEYS[0], { apply: async () => undefined });
    registerArchiveHandlers(r);
    expect(r.handlersFor(INTERACTION_KEYS[0])).toHaveLength(2);
  });
});
