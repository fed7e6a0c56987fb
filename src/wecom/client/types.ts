/** Which secret a token was minted with: the 客户联系 secret or the app's own. */
export type SecretKind = 'contact' | 'agent';
export const SECRET_KINDS: readonly SecretKind[] = ['contact', 'agent'];

/** One WeCom API as the request path sees it. */
export interface Endpoint {
  /** Path under /cgi-bin/ (e.g. 'externalcontact/list'); also the metrics and log label. */
  readonly path: string;
  /** GET takes query parameters, POST a JSON body. */
  readonly method: 'GET' | 'POST';
  /**
   * Safe to repeat: only these are retried on transient failures. Writes are
   * never blindly retried by the client; their outbox row retries them.
   */
  readonly idempotent: boolean;
  /** The secret whose token the call needs; default 'contact' (falls back to 'agent'). */
  readonly secret?: SecretKind;
  /** A multipart/form-data upload (media): the call's input is a `MultipartInput`, not a JSON body. */
  readonly multipart?: boolean;
}

/** The input of a multipart endpoint: query parameters besides the token (e.g. `type`) and the form itself. */
export interface MultipartInput {
  query?: Record<string, string>;
  form: FormData;
}

export const read = (method: 'GET' | 'POST', path: string): Endpoint => Object.freeze({ method, path, idempotent: true });
export const write = (path: string, secret?: SecretKind): Endpoint =>
  Object.freeze({ method: 'POST' as const, path, idempotent: false, ...(secret ? { secret } : {}) });
/** A multipart upload; `idempotent` when repeating it only yields another copy (temporary media). */
export const upload = (path: string, idempotent: boolean): Endpoint =>
  Object.freeze({ method: 'POST' as const, path, idempotent, multipart: true });

/** What the typed API modules need from the client: one request path. */
export interface WeComCaller {
  /** GET: `input` becomes query parameters; POST: the JSON body. Resolves to the success envelope. */
  call<T extends object = WeComEnvelope>(endpoint: Endpoint, input?: object): Promise<T & WeComEnvelope>;
  /** The app's agentid, for APIs that name it (message/send). */
  readonly agentId?: number;
}

/** Every response carries these; absent errcode means 0. */
export interface WeComEnvelope {
  errcode?: number;
  errmsg?: string;
}

/** A page of a cursor-paged list; `nextCursor` is '' on the last page. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string;
}

// ---- shared shapes (API-NOTES §4.3, §4.10) ----

export interface ExternalProfileAttr {
  type: number;
  name: string;
  text?: { value: string };
  web?: { url: string; title: string };
  miniprogram?: { appid: string; pagepath: string; title: string };
}

/** A customer (external contact). Fields beyond the first four depend on its type and on our app's rights. */
export interface ExternalContact {
  external_userid: string;
  name: string;
  /** 1 WeChat user, 2 WeCom user. */
  type: number;
  avatar?: string;
  /** 0 unknown, 1 male, 2 female. */
  gender?: number;
  unionid?: string;
  position?: string;
  corp_name?: string;
  corp_full_name?: string;
  external_profile?: { external_attr?: ExternalProfileAttr[] };
}

export interface FollowUserTag {
  group_name?: string;
  tag_name: string;
  /** Absent for personal tags (type 2). */
  tag_id?: string;
  /** 1 corp tag, 2 personal tag, 3 rule-group tag. */
  type: number;
}

/** Fields common to a relation (employee ↔ customer) in get and batch/get_by_user. */
export interface FollowFields {
  userid: string;
  remark?: string;
  description?: string;
  createtime: number;
  remark_corp_name?: string;
  remark_mobiles?: string[];
  oper_userid?: string;
  /** How the customer was added (0 unknown, 1 QR code, … 202 assigned by admin). */
  add_way?: number;
  /** The contact way's `state` through which the customer came. */
  state?: string;
  wechat_channels?: { nickname?: string; source?: number };
}

/** A follow user as returned by externalcontact/get: tags with names. */
export interface FollowUser extends FollowFields {
  tags?: FollowUserTag[];
}

/** A follow user as returned by batch/get_by_user: corp and rule-group tag ids only. */
export interface FollowInfo extends FollowFields {
  tag_id?: string[];
}

export interface TextContent {
  content: string;
}

/** Attachments of welcome and mass messages (≤9 per message). */
export type Attachment =
  | { msgtype: 'image'; image: { media_id?: string; pic_url?: string } }
  | { msgtype: 'link'; link: { title: string; url: string; picurl?: string; desc?: string } }
  | { msgtype: 'miniprogram'; miniprogram: { title: string; pic_media_id: string; appid: string; page: string } }
  | { msgtype: 'video'; video: { media_id: string } }
  | { msgtype: 'file'; file: { media_id: string } };

/** Result of starting a customer transfer: per-customer errcode 0 means the 24 h process started. */
export interface TransferCustomerResponse {
  customer: Array<{ external_userid: string; errcode: number }>;
}
