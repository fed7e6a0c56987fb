import { parseStringPromise } from 'xml2js';
import { AppError } from '../../lib/errors';
import {
  CONTACT_CHANGES, EXTERNAL_CHAT_CHANGES, EXTERNAL_CONTACT_CHANGES, EXTERNAL_TAG_CHANGES,
  type WeComEvent,
} from './events';

type Fields = Record<string, unknown>;

const str = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number') return String(v);
  return undefined;
};
const num = (v: unknown): number | undefined => {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
};
const numList = (v: unknown): number[] | undefined =>
  str(v)?.split(',').map((x) => Number(x.trim())).filter((n) => Number.isFinite(n));
const oneOf = <T extends string>(list: readonly T[], v: string | undefined): v is T => v !== undefined && (list as readonly string[]).includes(v);

/** MemChangeList comes as <Item> elements (one or many) or, per some SDKs, a comma string. */
function memberList(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  const items = (v as Fields).Item;
  const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
  return list.map((x) => str(x)).filter((x): x is string => x !== undefined);
}

/**
 * Decrypted callback XML → a typed event. Throws `malformed_xml` for anything
 * that is not a WeCom message (no <xml> root, no MsgType).
 */
export async function parseCallbackXml(xml: string): Promise<WeComEvent> {
  let doc: { xml?: Fields };
  try {
    doc = await parseStringPromise(xml, { explicitArray: false, trim: true, explicitRoot: true });
  } catch {
    throw new AppError('malformed_xml', 'decrypted payload is not well-formed XML');
  }
  const x = doc?.xml;
  const msgType = str(x?.MsgType);
  if (!x || typeof x !== 'object' || !msgType) throw new AppError('malformed_xml', 'payload lacks <xml> root or MsgType');

  const header = {
    createTime: num(x.CreateTime) ?? 0,
    toUserName: str(x.ToUserName) ?? '',
    fromUserName: str(x.FromUserName) ?? '',
    agentId: str(x.AgentID),
  };
  const event = str(x.Event);
  const changeType = str(x.ChangeType);

  if (msgType !== 'event') {
    return { ...header, kind: 'message', msgType, msgId: str(x.MsgId), content: str(x.Content) };
  }
  if (event === 'change_external_contact' && oneOf(EXTERNAL_CONTACT_CHANGES, changeType)) {
    const userId = str(x.UserID);
    const externalUserId = str(x.ExternalUserID);
    if (userId && externalUserId) {
      return {
        ...header, kind: 'external_contact', changeType, userId, externalUserId,
        state: str(x.State), welcomeCode: str(x.WelcomeCode), source: str(x.Source), failReason: str(x.FailReason),
      };
    }
  }
  if (event === 'change_external_chat' && oneOf(EXTERNAL_CHAT_CHANGES, changeType)) {
    const chatId = str(x.ChatId);
    if (chatId) {
      return {
        ...header, kind: 'external_chat', changeType, chatId,
        updateDetail: str(x.UpdateDetail), joinScene: num(x.JoinScene), quitScene: num(x.QuitScene),
        memChangeCnt: num(x.MemChangeCnt), memChangeList: memberList(x.MemChangeList),
        lastMemVer: str(x.LastMemVer), curMemVer: str(x.CurMemVer),
      };
    }
  }
  if (event === 'change_external_tag' && oneOf(EXTERNAL_TAG_CHANGES, changeType)) {
    const tagType = str(x.TagType);
    return {
      ...header, kind: 'external_tag', changeType, id: str(x.Id),
      tagType: tagType === 'tag' || tagType === 'tag_group' ? tagType : undefined,
      strategyId: num(x.StrategyId),
    };
  }
  if (event === 'change_contact' && oneOf(CONTACT_CHANGES, changeType)) {
    return {
      ...header, kind: 'contact', changeType,
      userId: str(x.UserID), newUserId: str(x.NewUserID), name: str(x.Name),
      departments: numList(x.Department), mainDepartment: num(x.MainDepartment),
      isLeaderInDept: numList(x.IsLeaderInDept), position: str(x.Position), status: num(x.Status),
      partyId: num(x.Id),
    };
  }
  return { ...header, kind: 'other', msgType, event, changeType };
}
