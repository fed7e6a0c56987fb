import { read, write, type CursorPage, type WeComCaller } from '../types';
import { followCursor } from './paging';

/** Customer groups (客户群) and their ownership transfers (API-NOTES §4.9). */
const LIST = read('POST', 'externalcontact/groupchat/list');
const GET = read('POST', 'externalcontact/groupchat/get');
const TRANSFER = write('externalcontact/groupchat/transfer');
const ONJOB_TRANSFER = write('externalcontact/groupchat/onjob_transfer');

export const GROUPCHAT_LIST_LIMIT_MAX = 1000;
export const OWNER_FILTER_MAX = 100;
export const GROUP_TRANSFER_MAX = 100;

export interface GroupChatListRequest {
  /** 0 all (default), 1 owner resigned, 2 inheriting, 3 inherited. */
  status_filter?: 0 | 1 | 2 | 3;
  /** ≤100 owners; omitted = whole visible range (81017 when it exceeds 1000 people). */
  owner_filter?: { userid_list: string[] };
  cursor?: string;
  /** 1–1000; default 1000. */
  limit?: number;
}

export interface GroupChatSummary {
  chat_id: string;
  /** 0 normal, 1 owner resigned, 2 inheriting, 3 inherited. */
  status: number;
}

export interface GroupChatMember {
  userid: string;
  /** 1 employee, 2 external contact. */
  type: number;
  unionid?: string;
  join_time: number;
  /** 1 invited directly, 2 invite link, 3 scanned the group QR code. */
  join_scene: number;
  invitor?: { userid: string };
  group_nickname?: string;
  name?: string;
  state?: string;
}

export interface GroupChat {
  chat_id: string;
  name?: string;
  owner: string;
  create_time: number;
  notice?: string;
  member_list: GroupChatMember[];
  admin_list?: Array<{ userid: string }>;
  /** Compare with the callback's CurMemVer to detect missed changes. */
  member_version?: string;
}

export interface GroupTransferResult {
  failed_chat_list: Array<{ chat_id: string; errcode: number; errmsg?: string }>;
}

export function groupChatsApi(c: WeComCaller) {
  async function list(req: GroupChatListRequest = {}): Promise<CursorPage<GroupChatSummary>> {
    const limit = req.limit ?? GROUPCHAT_LIST_LIMIT_MAX;
    if (!Number.isInteger(limit) || limit < 1 || limit > GROUPCHAT_LIST_LIMIT_MAX) {
      throw new RangeError(`groupchat/list limit must be 1–${GROUPCHAT_LIST_LIMIT_MAX}, got ${limit}`);
    }
    const owners = req.owner_filter?.userid_list ?? [];
    if (owners.length > OWNER_FILTER_MAX) {
      throw new RangeError(`groupchat/list owner_filter takes ≤${OWNER_FILTER_MAX} userids, got ${owners.length}`);
    }
    const res = await c.call<{ group_chat_list?: GroupChatSummary[]; next_cursor?: string }>(LIST, {
      status_filter: req.status_filter ?? 0,
      ...(owners.length ? { owner_filter: { userid_list: owners } } : {}),
      cursor: req.cursor ?? '',
      limit,
    });
    return { items: res.group_chat_list ?? [], nextCursor: res.next_cursor ?? '' };
  }

  async function transfer(endpoint: typeof TRANSFER, chatIds: string[], newOwner: string): Promise<GroupTransferResult> {
    if (chatIds.length === 0 || chatIds.length > GROUP_TRANSFER_MAX) {
      throw new RangeError(`${endpoint.path} takes 1–${GROUP_TRANSFER_MAX} chat ids, got ${chatIds.length}`);
    }
    const res = await c.call<Partial<GroupTransferResult>>(endpoint, { chat_id_list: chatIds, new_owner: newOwner });
    return { failed_chat_list: res.failed_chat_list ?? [] };
  }

  return {
    list,

    /** Every page of groupchat/list for the same filter. */
    iterate: (req: Omit<GroupChatListRequest, 'cursor'> = {}): AsyncGenerator<CursorPage<GroupChatSummary>> =>
      followCursor((cursor) => list({ ...req, cursor })),

    /** Group detail with member names (need_name=1). */
    async get(chatId: string): Promise<GroupChat> {
      const res = await c.call<{ group_chat: GroupChat }>(GET, { chat_id: chatId, need_name: 1 });
      return res.group_chat;
    },

    /** Hands groups of a departed owner to `newOwner` (≤100 per call). Per-chat failures in failed_chat_list. */
    transferResigned: (chatIds: string[], newOwner: string) => transfer(TRANSFER, chatIds, newOwner),

    /** Hands groups of an on-job owner to `newOwner` (≤100 per call; each group ≤2 times per 90 days). */
    transferOnJob: (chatIds: string[], newOwner: string) => transfer(ONJOB_TRANSFER, chatIds, newOwner),
  };
}

export type GroupChatsApi = ReturnType<typeof groupChatsApi>;
