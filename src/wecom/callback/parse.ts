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

const FLAT_ROOT = /^<xml>([\s\S]*)<\/xml>$/;
const FLAT_CHILD = /\s*<([A-Za-z_][A-Za-z0-9_]*)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<&]*))<\/\1>\s*/y;
// Characters XML 1.0 does not allow (besides tab, LF, CR), and lone surrogates: left to the strict parser.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The fast path for what WeCom sends nearly always: `<xml>` holding only
 * distinct `<Name>text</Name>` or `<Name><![CDATA[text]]></Name>` children —
 * no declaration, attributes, entities, comments, nesting or repeats. Returns
 * what xml2js (explicitArray false, trim) would, or undefined for anything
 * else, which then goes to xml2js: the fast path accepts a strict subset of
 * well-formed XML and never rejects.
 */
export function flatPayloadFields(xml: string): Fields | undefined {
  const root = FLAT_ROOT.exec(xml.trim());
  if (!root || NOT_XML_CHAR.test(xml)) return undefined;
  const inner = root[1]!;
  const out: Fields = Object.create(null);
  let pos = 0;
  while (pos < inner.length) {
    FLAT_CHILD.lastIndex = pos;
    const c = FLAT_CHILD.exec(inner);
    if (!c) return undefined;
    const name = c[1]!;
    const cdata = c[2];
    const raw = cdata ?? c[3]!;
    const value = raw.trim();
    // xml2js keeps whitespace-only text as it is, and makes something odd of __proto__: both left to it.
    if (name in out || name === '__proto__' || (value === '' && raw !== '') || (cdata !== undefined && cdata.includes(']]>'))) return undefined;
    out[name] = value;
    pos = FLAT_CHILD.lastIndex;
  }
  return pos > 0 ? out : undefined;
}

/** The payload's `<xml>` children as xml2js gives them (explicitArray false, trim); throws malformed_xml. */
export async function payloadFields(xml: string, opts: { fast?: boolean } = {}): Promise<Fields | undefined> {
  const flat = opts.fast === false ? undefined : flatPayloadFields(xml);
  if (flat) return flat;
  let doc: { xml?: Fields };
  try {
    doc = await parseStringPromise(xml, { explicitArray: false, trim: true, explicitRoot: true });
  } catch {
    throw new AppError('malformed_xml', 'decrypted payload is not well-formed XML');
  }
  return doc?.xml;
}

/**
 * Decrypted callback XML → a typed event. Throws `malformed_xml` for anything
 * that is not a WeCom message (no <xml> root, no MsgType).
 */
export async function parseCallbackXml(xml: string): Promise<WeComEvent> {
  const x = await payloadFields(xml);
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
