/**
 * Typed WeCom callback events (API-NOTES §2). The discriminant is `kind`;
 * within a kind, `changeType` narrows. Anything that verifies but is not
 * modelled becomes `other` and is still stored.
 */
interface Header {
  /** CreateTime as unix seconds. */
  createTime: number;
  toUserName: string;
  fromUserName: string;
  agentId?: string;
}

export const EXTERNAL_CONTACT_CHANGES = [
  'add_external_contact', 'edit_external_contact', 'add_half_external_contact',
  'del_external_contact', 'del_follow_user', 'transfer_fail',
] as const;
export type ExternalContactChange = (typeof EXTERNAL_CONTACT_CHANGES)[number];

export interface ExternalContactEvent extends Header {
  kind: 'external_contact';
  changeType: ExternalContactChange;
  /** The employee; for transfer_fail the takeover employee. */
  userId: string;
  externalUserId: string;
  state?: string;
  welcomeCode?: string;
  /** del_external_contact: DELETE_BY_TRANSFER when removed by an on-job transfer. */
  source?: string;
  /** transfer_fail: customer_refused | customer_limit_exceed. */
  failReason?: string;
}

export const EXTERNAL_CHAT_CHANGES = ['create', 'update', 'dismiss'] as const;
export type ExternalChatChange = (typeof EXTERNAL_CHAT_CHANGES)[number];

export interface ExternalChatEvent extends Header {
  kind: 'external_chat';
  changeType: ExternalChatChange;
  chatId: string;
  /** update only: add_member, del_member, change_owner, change_name, change_notice. */
  updateDetail?: string;
  joinScene?: number;
  quitScene?: number;
  memChangeCnt?: number;
  memChangeList: string[];
  lastMemVer?: string;
  curMemVer?: string;
}

export const EXTERNAL_TAG_CHANGES = ['create', 'update', 'delete', 'shuffle'] as const;
export type ExternalTagChange = (typeof EXTERNAL_TAG_CHANGES)[number];

export interface ExternalTagEvent extends Header {
  kind: 'external_tag';
  changeType: ExternalTagChange;
  /** Tag or tag-group id; for shuffle the group reordered (absent: all). */
  id?: string;
  tagType?: 'tag' | 'tag_group';
  strategyId?: number;
}

export const CONTACT_CHANGES = [
  'create_user', 'update_user', 'delete_user', 'create_party', 'update_party', 'delete_party', 'update_tag',
] as const;
export type ContactChange = (typeof CONTACT_CHANGES)[number];

export interface ContactEvent extends Header {
  kind: 'contact';
  changeType: ContactChange;
  userId?: string;
  newUserId?: string;
  name?: string;
  departments?: number[];
  mainDepartment?: number;
  isLeaderInDept?: number[];
  position?: string;
  /** 1 activated, 2 disabled, 4 not activated, 5 left. */
  status?: number;
  /** Party events: the department id. */
  partyId?: number;
}

export interface MessageEvent extends Header {
  kind: 'message';
  msgType: string;
  msgId?: string;
  content?: string;
}

export interface OtherEvent extends Header {
  kind: 'other';
  msgType: string;
  event?: string;
  changeType?: string;
}

export type WeComEvent = ExternalContactEvent | ExternalChatEvent | ExternalTagEvent | ContactEvent | MessageEvent | OtherEvent;

/** The handler-registry key: `event:changeType` for events, `message:msgType` for messages. */
export function dispatchKeyOf(e: WeComEvent): string {
  switch (e.kind) {
    case 'external_contact':
      return `change_external_contact:${e.changeType}`;
    case 'external_chat':
      return `change_external_chat:${e.changeType}`;
    case 'external_tag':
      return `change_external_tag:${e.changeType}`;
    case 'contact':
      return `change_contact:${e.changeType}`;
    case 'message':
      return `message:${e.msgType}`;
    case 'other':
      return e.event ? `${e.event}:${e.changeType ?? ''}` : `message:${e.msgType}`;
  }
}
