import type { SimCore } from '../core';
import { decodeCursor, encodeCursor } from '../cursor';
import { fail } from '../errors';
import { optionalInt, optionalString, requireString, stringList } from '../input';
import type { ApiRegistry } from '../registry';
import type { MassChatType, MassMessageDesk, MassTask } from '../world/massMessages';
import { checkAttachments, checkText } from './content';

const DAY = 86400;
/** get_groupmsg_list_v2: start/end span ≤1 month; taken as 31 days. */
const LIST_SPAN_MAX = 31 * DAY;
const REMINDS_PER_DAY = 3;
const EXTERNAL_IDS_MAX = 10_000;
const CHAT_IDS_MAX = 2000;
const TAGS_PER_GROUP_MAX = 100;

/**
 * Mass messages (API-NOTES §4.10, §5.3): add_msg_template creates a task per
 * sender (see MassMessageDesk for confirmation and quotas); the record APIs
 * read it; remind and cancel act on it.
 *
 * Stand-ins where WeCom's code is not documented: an unknown msgid → 40058;
 * a 4th reminder within 24 h → 45009 (a feature frequency cap); a span over a
 * month → 40058; an unknown/departed sender → 60111, one without customer contact → 84074.
 */
export function registerMassMessagesApi(api: ApiRegistry, core: SimCore, desk: MassMessageDesk): void {
  const { world } = core;

  const chatTypeOf = (v: unknown, required: boolean): MassChatType => {
    if (v === undefined || v === null || v === '') return required ? fail(40058, 'chat_type is required') : 'single';
    if (v !== 'single' && v !== 'group') return fail(40058, 'chat_type must be single or group');
    return v;
  };

  const taskFor = (body: Record<string, unknown>): MassTask => {
    const msgid = requireString(body.msgid, 'msgid');
    return desk.get(msgid) ?? fail(40058, 'unknown msgid');
  };

  /** Optional 41063: records queried within massDispatchSeconds of creation are "still being dispatched". */
  const dispatched = (task: MassTask) => {
    const window = core.settings.massDispatchSeconds;
    if (window > 0 && core.nowSeconds() < task.createTime + window) fail(41063);
  };

  const pageLimit = (v: unknown, def: number, max: number) => {
    const n = optionalInt(v, 'limit');
    return n === undefined || n <= 0 ? def : Math.min(n, max);
  };

  const tagFilterOf = (v: unknown): string[][] | undefined => {
    if (v === undefined || v === null) return undefined;
    const groups = (v as { group_list?: unknown }).group_list;
    if (typeof v !== 'object' || !Array.isArray(groups)) return fail(40058, 'tag_filter.group_list must be a list');
    const out = groups.map((g, i) => stringList((g as { tag_list?: unknown })?.tag_list, `tag_filter.group_list[${i}].tag_list`, TAGS_PER_GROUP_MAX));
    for (const list of out) for (const t of list) if (!world.liveTag(t)) fail(40068, t);
    const nonEmpty = out.filter((l) => l.length > 0);
    return nonEmpty.length > 0 ? nonEmpty : undefined;
  };

  api.add({
    path: 'externalcontact/add_msg_template', method: 'POST', contact: true,
    ids: ({ body }) => {
      const out: string[] = [];
      if (typeof body.sender === 'string' && body.sender) out.push(body.sender);
      for (const k of ['external_userid', 'chat_id_list']) {
        const v = body[k];
        if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x) out.push(x);
      }
      return out;
    },
    emptyOnFailure: { fail_list: [] },
    handle: ({ body }) => {
      const chatType = chatTypeOf(body.chat_type, false);
      const externalUserIds = chatType === 'single' ? stringList(body.external_userid, 'external_userid', EXTERNAL_IDS_MAX) : [];
      const chatIds = chatType === 'group' ? stringList(body.chat_id_list, 'chat_id_list', CHAT_IDS_MAX) : [];
      const sender = optionalString(body.sender, 'sender') || undefined;
      if (chatType === 'group' && !sender) return fail(40058, 'sender is required for group mass messages');
      if (chatType === 'single' && !sender && externalUserIds.length === 0) return fail(40058, 'external_userid and sender cannot both be empty');
      if (sender) {
        const e = world.activeEmployee(sender);
        if (!e) return fail(60111, 'sender');
        if (!e.customerContact) return fail(84074, 'sender');
      }
      const tagFilter = chatType === 'single' ? tagFilterOf(body.tag_filter) : undefined;
      const content = checkText(body.text, 4000);
      const attachments = checkAttachments(core, body.attachments);
      if (!content && attachments.length === 0) return fail(40058, 'text and attachments are both empty');
      if (body.allow_select !== undefined && typeof body.allow_select !== 'boolean') return fail(40058, 'allow_select must be a boolean');

      const plan = desk.plan({ chatType, ...(sender ? { sender } : {}), externalUserIds, chatIds, ...(tagFilter ? { tagFilter } : {}) });
      if (plan.parts.size === 0) return fail(41048);
      const task = desk.create(plan, {
        ...(content ? { text: { content } } : {}), attachments, allowSelect: body.allow_select === true,
      });
      return { fail_list: plan.failList, msgid: task.msgid };
    },
  });

  api.add({
    path: 'externalcontact/get_groupmsg_list_v2', method: 'POST', contact: true,
    ids: ({ body }) => (typeof body.creator === 'string' && body.creator ? [body.creator] : []),
    emptyOnFailure: { group_msg_list: [], next_cursor: '' },
    handle: ({ body }) => {
      const chatType = chatTypeOf(body.chat_type, true);
      const start = optionalInt(body.start_time, 'start_time');
      const end = optionalInt(body.end_time, 'end_time');
      if (start === undefined || end === undefined) return fail(40058, 'start_time and end_time are required');
      if (end < start) return fail(40058, 'end_time is before start_time');
      if (end - start > LIST_SPAN_MAX) return fail(40058, 'start_time to end_time spans more than one month');
      const filterType = optionalInt(body.filter_type, 'filter_type') ?? 2;
      if (filterType !== 0 && filterType !== 1 && filterType !== 2) return fail(40058, 'filter_type must be 0, 1 or 2');
      const creator = optionalString(body.creator, 'creator') || undefined;
      // Over-limit falls back to the default (§4.10).
      const rawLimit = optionalInt(body.limit, 'limit');
      const limit = rawLimit === undefined || rawLimit <= 0 || rawLimit > 100 ? 50 : rawLimit;
      const from = decodeCursor<{ i: number }>('externalcontact/get_groupmsg_list_v2', body.cursor, { i: 'number' })?.i ?? 0;
      const match = (t: MassTask) => t.chatType === chatType && t.createTime >= start && t.createTime <= end
        && (filterType === 2 || t.createType === filterType) && (creator === undefined || t.creator === creator);
      const page: MassTask[] = [];
      let i = from;
      for (; i < desk.tasks.length && page.length < limit; i += 1) if (match(desk.tasks[i]!)) page.push(desk.tasks[i]!);
      let more = false;
      for (let j = i; j < desk.tasks.length && !more; j += 1) more = match(desk.tasks[j]!);
      return {
        group_msg_list: page.map((t) => ({
          msgid: t.msgid, ...(t.creator ? { creator: t.creator } : {}), create_time: t.createTime, create_type: t.createType,
          ...(t.text ? { text: { ...t.text } } : {}), ...(t.attachments.length ? { attachments: structuredClone(t.attachments) } : {}),
        })),
        next_cursor: more ? encodeCursor('externalcontact/get_groupmsg_list_v2', { i }) : '',
      };
    },
  });

  api.add({
    path: 'externalcontact/get_groupmsg_task', method: 'POST', contact: true, ids: ({ body }) => (typeof body.msgid === 'string' ? [body.msgid] : []),
    emptyOnFailure: { task_list: [], next_cursor: '' },
    handle: ({ body }) => {
      const task = taskFor(body);
      dispatched(task);
      const limit = pageLimit(body.limit, 500, 1000);
      const from = decodeCursor<{ o: number }>('externalcontact/get_groupmsg_task', body.cursor, { o: 'number' })?.o ?? 0;
      const page = task.senders.slice(from, from + limit);
      const next = from + page.length;
      return {
        task_list: page.map((p) => ({ userid: p.userid, status: p.status, ...(p.status === 2 ? { send_time: p.sendTime } : {}) })),
        next_cursor: next < task.senders.length ? encodeCursor('externalcontact/get_groupmsg_task', { o: next }) : '',
      };
    },
  });

  api.add({
    path: 'externalcontact/get_groupmsg_send_result', method: 'POST', contact: true,
    ids: ({ body }) => [body.msgid, body.userid].filter((x): x is string => typeof x === 'string' && x !== ''),
    emptyOnFailure: { send_list: [], next_cursor: '' },
    handle: ({ body }) => {
      const task = taskFor(body);
      const userid = requireString(body.userid, 'userid');
      dispatched(task);
      const limit = pageLimit(body.limit, 500, 1000);
      const pos = decodeCursor<{ o: number; u: string }>('externalcontact/get_groupmsg_send_result', body.cursor, { o: 'number', u: 'string' });
      if (pos && pos.u !== userid) return fail(50100);
      const from = pos?.o ?? 0;
      const i = task.senderIndex.get(userid);
      if (i === undefined) return { send_list: [], next_cursor: '' };
      const part = task.senders[i]!;
      const idKey = task.chatType === 'single' ? 'external_userid' : 'chat_id';
      const end = Math.min(from + limit, part.recipients.length);
      const sendList: Array<Record<string, unknown>> = [];
      // Straight from the sender's arrays: a page costs O(limit) however large the task.
      for (let k = from; k < end; k += 1) {
        const status = part.statuses[k]!;
        sendList.push({ [idKey]: part.recipients[k], userid, status, ...(status === 1 ? { send_time: part.sendTime } : {}) });
      }
      return {
        send_list: sendList,
        next_cursor: end < part.recipients.length ? encodeCursor('externalcontact/get_groupmsg_send_result', { o: end, u: userid }) : '',
      };
    },
  });

  api.add({
    path: 'externalcontact/remind_groupmsg_send', method: 'POST', contact: true, ids: ({ body }) => (typeof body.msgid === 'string' ? [body.msgid] : []),
    emptyOnFailure: {},
    handle: ({ body }) => {
      const task = taskFor(body);
      const now = core.nowSeconds();
      task.reminders = task.reminders.filter((t) => t > now - DAY);
      if (task.reminders.length >= REMINDS_PER_DAY) return fail(45009, 'at most 3 reminders per mass message per 24 h');
      task.reminders.push(now);
      return {};
    },
  });

  api.add({
    path: 'externalcontact/cancel_groupmsg_send', method: 'POST', contact: true, ids: ({ body }) => (typeof body.msgid === 'string' ? [body.msgid] : []),
    emptyOnFailure: {},
    handle: ({ body }) => {
      desk.cancel(taskFor(body));
      return {};
    },
  });
}
