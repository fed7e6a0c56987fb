import type { SimCore } from '../core';
import { decodeCursor, encodeCursor } from '../cursor';
import { fail } from '../errors';
import { charLength, optionalInt, optionalString, requireString, stringList } from '../input';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { TransferKind, TransferDesk } from '../world/transfers';

const RESULT_PAGE = 1000;

/**
 * On-job and resigned transfers of customers and groups, and the unassigned
 * pool (API-NOTES §4.7–4.9). Requests emit no callback; completion does (see TransferDesk).
 */
export function registerTransfersApi(api: ApiRegistry, core: SimCore, desk: TransferDesk): void {
  const { world } = core;

  const takeoverOk = (userid: string) => {
    const e = world.activeEmployee(userid);
    if (!e) fail(60111, 'takeover_userid');
    if (!e!.customerContact) fail(84074, 'takeover has no customer contact');
  };

  const customerTransfer = (kind: TransferKind) => (body: Record<string, unknown>) => {
    const handover = requireString(body.handover_userid, 'handover_userid');
    const takeover = requireString(body.takeover_userid, 'takeover_userid');
    const ids = stringList(body.external_userid, 'external_userid', 100);
    if (ids.length === 0) return fail(40058, 'external_userid is required');
    if (kind === 'onjob') {
      const msg = optionalString(body.transfer_success_msg, 'transfer_success_msg');
      if (msg !== undefined && charLength(msg) > 200) return fail(40058, 'transfer_success_msg exceeds 200 characters');
      if (!world.activeEmployee(handover)) return fail(60111, 'handover_userid');
    } else {
      if (!world.employees.has(handover)) return fail(60111, 'handover_userid');
      if (world.activeEmployee(handover)) return fail(40097);
    }
    takeoverOk(takeover);
    return { customer: desk.requestCustomers(kind, handover, takeover, [...new Set(ids)]) };
  };

  const transferResult = (kind: TransferKind, apiPath: string) => (body: Record<string, unknown>) => {
    const handover = requireString(body.handover_userid, 'handover_userid');
    const takeover = requireString(body.takeover_userid, 'takeover_userid');
    // Legacy form: one external_userid; on-job answers status 5 when there is no record.
    const single = optionalString(body.external_userid, 'external_userid');
    const records = desk.results(kind, handover, takeover);
    if (single) {
      const r = records.find((x) => x.external_userid === single);
      if (!r && kind === 'onjob') return { status: 5, takeover_time: 0, customer: [{ external_userid: single, status: 5, takeover_time: 0 }], next_cursor: '' };
      if (!r) return fail(40096);
      return { status: r.status, takeover_time: r.takeover_time, customer: [{ external_userid: single, status: r.status, takeover_time: r.takeover_time }], next_cursor: '' };
    }
    const start = decodeCursor<{ o: number }>(apiPath, body.cursor, { o: 'number' })?.o ?? 0;
    const page = records.slice(start, start + RESULT_PAGE);
    const next = start + page.length;
    return {
      customer: page.map((r) => ({ external_userid: r.external_userid, status: r.status, takeover_time: r.takeover_time })),
      next_cursor: next < records.length ? encodeCursor(apiPath, { o: next }) : '',
    };
  };

  const ids = idsFrom.body('handover_userid', 'external_userid');
  api.add({
    path: 'externalcontact/transfer_customer', method: 'POST', contact: true, ids, emptyOnFailure: { customer: [] },
    handle: ({ body }) => customerTransfer('onjob')(body),
  });
  api.add({
    path: 'externalcontact/resigned/transfer_customer', method: 'POST', contact: true, ids, emptyOnFailure: { customer: [] },
    handle: ({ body }) => customerTransfer('resigned')(body),
  });
  api.add({
    path: 'externalcontact/transfer_result', method: 'POST', contact: true, ids: idsFrom.body('handover_userid'),
    emptyOnFailure: { customer: [], next_cursor: '' },
    handle: ({ body }) => transferResult('onjob', 'externalcontact/transfer_result')(body),
  });
  api.add({
    path: 'externalcontact/resigned/transfer_result', method: 'POST', contact: true, ids: idsFrom.body('handover_userid'),
    emptyOnFailure: { customer: [], next_cursor: '' },
    handle: ({ body }) => transferResult('resigned', 'externalcontact/resigned/transfer_result')(body),
  });

  api.add({
    path: 'externalcontact/get_unassigned_list', method: 'POST', contact: true,
    emptyOnFailure: { info: [], is_last: true, next_cursor: '' },
    handle: ({ body }) => {
      const rawSize = optionalInt(body.page_size, 'page_size');
      const size = rawSize === undefined || rawSize <= 0 ? 1000 : Math.min(rawSize, 1000);
      const all = desk.unassigned();
      const pageId = optionalInt(body.page_id, 'page_id');
      let start: number;
      let byCursor = true;
      if (pageId !== undefined && (body.cursor === undefined || body.cursor === '')) {
        // Legacy page_id paging: no next_cursor.
        start = pageId * size;
        byCursor = false;
      } else {
        const pos = decodeCursor<{ d: string; s: number }>('externalcontact/get_unassigned_list', body.cursor, { d: 'string', s: 'number' });
        start = 0;
        if (pos) {
          // Resume after (handover, seq): positions survive items leaving the pool between pages.
          const order = desk.departed();
          const di = order.indexOf(pos.d);
          if (di < 0) return fail(50100);
          const rank = new Map(order.map((u, i) => [u, i]));
          start = all.findIndex((x) => {
            const xi = rank.get(x.handover_userid)!;
            return xi > di || (xi === di && x.seq > pos.s);
          });
          if (start < 0) start = all.length;
        }
      }
      const page = all.slice(start, start + size);
      const isLast = start + page.length >= all.length;
      const last = page[page.length - 1];
      return {
        info: page.map(({ handover_userid, external_userid, dimission_time }) => ({ handover_userid, external_userid, dimission_time })),
        is_last: isLast,
        ...(byCursor ? { next_cursor: !isLast && last ? encodeCursor('externalcontact/get_unassigned_list', { d: last.handover_userid, s: last.seq }) : '' } : {}),
      };
    },
  });

  const groupTransfer = (kind: TransferKind) => (body: Record<string, unknown>) => {
    const chatIds = stringList(body.chat_id_list, 'chat_id_list', 100);
    if (chatIds.length === 0) return fail(40058, 'chat_id_list is required');
    const newOwner = requireString(body.new_owner, 'new_owner');
    takeoverOk(newOwner);
    return { failed_chat_list: desk.requestGroups(kind, [...new Set(chatIds)], newOwner) };
  };
  api.add({
    path: 'externalcontact/groupchat/transfer', method: 'POST', contact: true, ids: idsFrom.body('chat_id_list'),
    emptyOnFailure: { failed_chat_list: [] },
    handle: ({ body }) => groupTransfer('resigned')(body),
  });
  api.add({
    path: 'externalcontact/groupchat/onjob_transfer', method: 'POST', contact: true, ids: idsFrom.body('chat_id_list'),
    emptyOnFailure: { failed_chat_list: [] },
    handle: ({ body }) => groupTransfer('onjob')(body),
  });
}
