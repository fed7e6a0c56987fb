/**
 * Decrypted event XML exactly as API-NOTES §2: strings in CDATA, CreateTime /
 * JoinScene / QuitScene / MemChangeCnt / StrategyId / Status / MainDepartment
 * as bare integers, MemChangeList as <Item> elements, element order as in the
 * official samples. Absent values are omitted.
 */
export type XmlValue = string | number | readonly string[] | undefined;
export type XmlFields = ReadonlyArray<readonly [string, XmlValue]>;

const cdata = (s: string) => `<![CDATA[${s.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return `<${name}>${value}</${name}>`;
  if (typeof value === 'string') return `<${name}>${cdata(value)}</${name}>`;
  return `<${name}>${value.map((v) => `<Item>${cdata(v)}</Item>`).join('')}</${name}>`;
}

export interface EventHeader {
  corpId: string;
  createTime: number;
}

export type EventName = 'change_external_contact' | 'change_external_chat' | 'change_external_tag' | 'change_contact';

/** What a delivery is about, for GET /__sim/callbacks and tests. */
export interface EventSummary {
  event: EventName;
  changeType: string;
  createTime: number;
  [field: string]: unknown;
}

export interface BuiltEvent {
  xml: string;
  summary: EventSummary;
}

function build(h: EventHeader, event: EventName, changeType: string, fields: XmlFields): BuiltEvent {
  const head: XmlFields = [
    ['ToUserName', h.corpId], ['FromUserName', 'sys'], ['CreateTime', h.createTime], ['MsgType', 'event'], ['Event', event],
  ];
  const xml = `<xml>${[...head, ...fields].map(([n, v]) => element(n, v)).join('')}</xml>`;
  const summary: EventSummary = { event, changeType, createTime: h.createTime };
  for (const [n, v] of fields) if (v !== undefined && n !== 'ChangeType') summary[n] = v;
  return { xml, summary };
}

export type ExternalContactChangeType =
  | 'add_external_contact' | 'edit_external_contact' | 'add_half_external_contact'
  | 'del_external_contact' | 'del_follow_user' | 'transfer_fail';

export function externalContactEvent(h: EventHeader, changeType: ExternalContactChangeType, f: {
  userId: string; externalUserId: string; state?: string; welcomeCode?: string; source?: string; failReason?: string;
}): BuiltEvent {
  const fields: Array<readonly [string, XmlValue]> = [['ChangeType', changeType]];
  if (f.failReason !== undefined) fields.push(['FailReason', f.failReason]);
  fields.push(['UserID', f.userId], ['ExternalUserID', f.externalUserId]);
  if (changeType === 'add_external_contact' || changeType === 'add_half_external_contact') {
    fields.push(['State', f.state || undefined], ['WelcomeCode', f.welcomeCode]);
  }
  if (f.source !== undefined) fields.push(['Source', f.source]);
  return build(h, 'change_external_contact', changeType, fields);
}

export type ChatUpdateDetail = 'add_member' | 'del_member' | 'change_owner' | 'change_name' | 'change_notice';

export function externalChatEvent(h: EventHeader, changeType: 'create' | 'update' | 'dismiss', f: {
  chatId: string; updateDetail?: ChatUpdateDetail; joinScene?: number; quitScene?: number;
  memChangeList?: readonly string[]; lastMemVer?: string; curMemVer?: string;
}): BuiltEvent {
  const fields: Array<readonly [string, XmlValue]> = [['ChatId', f.chatId], ['ChangeType', changeType]];
  if (changeType === 'update') {
    fields.push(['UpdateDetail', f.updateDetail]);
    if (f.updateDetail === 'add_member') fields.push(['JoinScene', f.joinScene ?? 0]);
    if (f.updateDetail === 'del_member') fields.push(['QuitScene', f.quitScene ?? 0]);
    if (f.memChangeList) fields.push(['MemChangeCnt', f.memChangeList.length], ['MemChangeList', f.memChangeList]);
    fields.push(['LastMemVer', f.lastMemVer], ['CurMemVer', f.curMemVer]);
  }
  return build(h, 'change_external_chat', changeType, fields);
}

export function externalTagEvent(h: EventHeader, changeType: 'create' | 'update' | 'delete' | 'shuffle', f: {
  id?: string; tagType?: 'tag' | 'tag_group'; strategyId?: number;
}): BuiltEvent {
  const fields: Array<readonly [string, XmlValue]> = [['Id', f.id]];
  if (changeType !== 'shuffle') fields.push(['TagType', f.tagType]);
  fields.push(['ChangeType', changeType], ['StrategyId', f.strategyId]);
  return build(h, 'change_external_tag', changeType, fields);
}

/** change_contact update_user / create_user carry only the changed fields after UserID. */
export interface ContactUserFields {
  newUserId?: string;
  name?: string;
  department?: readonly number[];
  mainDepartment?: number;
  isLeaderInDept?: readonly number[];
  directLeader?: readonly string[];
  position?: string;
  status?: number;
  alias?: string;
}

export function changeContactEvent(h: EventHeader, changeType: 'create_user' | 'update_user' | 'delete_user', userId: string, f: ContactUserFields = {}): BuiltEvent {
  const list = (v: readonly (string | number)[] | undefined) => (v === undefined ? undefined : v.join(','));
  const fields: Array<readonly [string, XmlValue]> = [['ChangeType', changeType], ['UserID', userId]];
  if (changeType !== 'delete_user') {
    fields.push(
      ['NewUserID', f.newUserId], ['Name', f.name], ['Department', list(f.department)], ['MainDepartment', f.mainDepartment],
      ['IsLeaderInDept', list(f.isLeaderInDept)], ['DirectLeader', list(f.directLeader)], ['Position', f.position],
      ['Status', f.status], ['Alias', f.alias],
    );
  }
  return build(h, 'change_contact', changeType, fields);
}
