import { ConfigError } from '../../../lib/config';
import { read, write, type Attachment, type CursorPage, type TextContent, type WeComCaller } from '../types';

/** App messages to employees, welcome messages and mass messages (API-NOTES §4.10, §4.11, §4.15). */
const MESSAGE_SEND = write('message/send', 'agent');
const SEND_WELCOME_MSG = write('externalcontact/send_welcome_msg');
const ADD_MSG_TEMPLATE = write('externalcontact/add_msg_template');
const GET_GROUPMSG_TASK = read('POST', 'externalcontact/get_groupmsg_task');
const GET_GROUPMSG_SEND_RESULT = read('POST', 'externalcontact/get_groupmsg_send_result');
const GET_GROUPMSG_LIST_V2 = read('POST', 'externalcontact/get_groupmsg_list_v2');
// Reminding counts against 3 per mass message per 24 h: a write, never retried blindly.
const REMIND_GROUPMSG_SEND = write('externalcontact/remind_groupmsg_send');
const CANCEL_GROUPMSG_SEND = write('externalcontact/cancel_groupmsg_send');

export const APP_MESSAGE_USERS_MAX = 1000;
export const GROUPMSG_LIST_MAX = 100;
export const GROUPMSG_PAGE_MAX = 1000;

/** The message part of message/send. */
export type AppMessageContent =
  | { msgtype: 'text'; text: TextContent }
  | { msgtype: 'markdown'; markdown: TextContent }
  | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string; btntxt?: string } };

export type AppMessage = AppMessageContent & {
  /** Employees (≤1000); joined with '|' on the wire. Use ['@all'] for everyone. */
  touser?: string[];
  toparty?: string[];
  totag?: string[];
  safe?: 0 | 1;
  enable_id_trans?: 0 | 1;
  enable_duplicate_check?: 0 | 1;
  duplicate_check_interval?: number;
};

export interface AppMessageResult {
  /** Recipients WeCom could not deliver to ('|'-joined, as WeCom sends them). */
  invaliduser?: string;
  invalidparty?: string;
  invalidtag?: string;
  unlicenseduser?: string;
  msgid?: string;
  response_code?: string;
}

export interface WelcomeMessage {
  /** From the add_external_contact event; valid 20 s, single use. */
  welcome_code: string;
  text?: TextContent;
  attachments?: Attachment[];
}

export interface MsgTemplate {
  /** 'single' (customers, default) or 'group' (customer groups). */
  chat_type?: 'single' | 'group';
  /** Single only, ≤10,000. */
  external_userid?: string[];
  /** Group only, ≤2000. */
  chat_id_list?: string[];
  tag_filter?: { group_list: Array<{ tag_list: string[] }> };
  /** Required for group; alone for single = all of this employee's customers. */
  sender?: string;
  allow_select?: boolean;
  text?: TextContent;
  attachments?: Attachment[];
}

export interface MsgTemplateResult {
  /** Recipients that are invalid or cannot be sent to. */
  fail_list: string[];
  msgid: string;
}

export interface GroupMsgTask {
  userid: string;
  /** 0 not sent, 2 sent. */
  status: number;
  send_time?: number;
}

export interface GroupMsgSendResult {
  external_userid?: string;
  chat_id?: string;
  userid: string;
  /** 0 not sent, 1 sent, 2 failed (not a friend), 3 failed (receive quota reached). */
  status: number;
  send_time?: number;
}

export interface GroupMsgListRequest {
  chat_type: 'single' | 'group';
  /** Unix seconds; the span to end_time is at most one month. */
  start_time: number;
  end_time: number;
  /** Only tasks created by this employee (API-created tasks have no creator). */
  creator?: string;
  /** 0 created by the corp, 1 by an employee, 2 all (default). */
  filter_type?: 0 | 1 | 2;
  /** ≤100, default 50. */
  limit?: number;
  cursor?: string;
}

export interface GroupMsgListItem {
  msgid: string;
  /** Absent for tasks created through the API. */
  creator?: string;
  /** Unix seconds (WeCom may send it as a string; normalised here). */
  create_time: number;
  /** 0 created by the corp, 1 by an employee. */
  create_type: number;
  text?: TextContent;
  attachments?: Attachment[];
}

const joinIds = (ids: string[] | undefined): string | undefined => (ids?.length ? ids.join('|') : undefined);

export function messagesApi(c: WeComCaller) {
  return {
    /** Sends an app message to employees with the app's own token and agentid. Partial failures come back in invalid*. */
    async sendAppMessage(msg: AppMessage): Promise<AppMessageResult> {
      if (c.agentId === undefined) throw new ConfigError('WECOM_AGENT_ID is required to send app messages');
      if ((msg.touser?.length ?? 0) > APP_MESSAGE_USERS_MAX) {
        throw new RangeError(`message/send takes ≤${APP_MESSAGE_USERS_MAX} users, got ${msg.touser?.length}`);
      }
      const { touser, toparty, totag, ...rest } = msg;
      const body = { ...rest, touser: joinIds(touser), toparty: joinIds(toparty), totag: joinIds(totag), agentid: c.agentId };
      if (!body.touser && !body.toparty && !body.totag) throw new RangeError('message/send needs touser, toparty or totag');
      const { errcode: _code, errmsg: _msg, ...result } = await c.call<AppMessageResult>(MESSAGE_SEND, body);
      return result;
    },

    /** Sends the welcome message for a WelcomeCode. 41051/41050 mean it can never succeed: don't retry those. */
    async sendWelcomeMsg(msg: WelcomeMessage): Promise<void> {
      await c.call(SEND_WELCOME_MSG, msg);
    },

    /** Creates a mass-message task; nothing is sent until each sender confirms in the client. */
    async addMsgTemplate(tpl: MsgTemplate): Promise<MsgTemplateResult> {
      const res = await c.call<Partial<MsgTemplateResult>>(ADD_MSG_TEMPLATE, tpl);
      return { fail_list: res.fail_list ?? [], msgid: res.msgid ?? '' };
    },

    /** One page of the senders of a mass message and whether each has sent (limit ≤1000). */
    async getGroupmsgTask(req: { msgid: string; limit?: number; cursor?: string }): Promise<CursorPage<GroupMsgTask>> {
      const res = await c.call<{ task_list?: GroupMsgTask[]; next_cursor?: string }>(GET_GROUPMSG_TASK, {
        msgid: req.msgid,
        limit: Math.min(Math.max(req.limit ?? 1000, 1), 1000),
        cursor: req.cursor ?? '',
      });
      return { items: res.task_list ?? [], nextCursor: res.next_cursor ?? '' };
    },

    /** One page of per-recipient results of one sender's part of a mass message (limit ≤1000). */
    async getGroupmsgSendResult(req: { msgid: string; userid: string; limit?: number; cursor?: string }): Promise<CursorPage<GroupMsgSendResult>> {
      const res = await c.call<{ send_list?: GroupMsgSendResult[]; next_cursor?: string }>(GET_GROUPMSG_SEND_RESULT, {
        msgid: req.msgid,
        userid: req.userid,
        limit: Math.min(Math.max(req.limit ?? 1000, 1), 1000),
        cursor: req.cursor ?? '',
      });
      return { items: res.send_list ?? [], nextCursor: res.next_cursor ?? '' };
    },

    /** One page of mass messages created in [start_time, end_time] (≤1 month span, limit ≤100). */
    async getGroupmsgListV2(req: GroupMsgListRequest): Promise<CursorPage<GroupMsgListItem>> {
      const res = await c.call<{ group_msg_list?: Array<Omit<GroupMsgListItem, 'create_time'> & { create_time: number | string }>; next_cursor?: string }>(
        GET_GROUPMSG_LIST_V2,
        {
          chat_type: req.chat_type,
          start_time: req.start_time,
          end_time: req.end_time,
          ...(req.creator !== undefined ? { creator: req.creator } : {}),
          filter_type: req.filter_type ?? 2,
          limit: Math.min(Math.max(req.limit ?? 50, 1), GROUPMSG_LIST_MAX),
          cursor: req.cursor ?? '',
        },
      );
      const items = (res.group_msg_list ?? []).map((m) => ({ ...m, create_time: Number(m.create_time) }));
      return { items, nextCursor: res.next_cursor ?? '' };
    },

    /** Re-notifies the senders who have not sent yet; ≤3 times per mass message per 24 h. */
    async remindGroupmsgSend(msgid: string): Promise<void> {
      await c.call(REMIND_GROUPMSG_SEND, { msgid });
    },

    /** Stops the mass message for senders who have not sent it yet (their recipients stay status 0). */
    async cancelGroupmsgSend(msgid: string): Promise<void> {
      await c.call(CANCEL_GROUPMSG_SEND, { msgid });
    },
  };
}

export type MessagesApi = ReturnType<typeof messagesApi>;
