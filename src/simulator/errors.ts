import { randomBytes } from 'node:crypto';

/** WeCom's short English phrases per errcode (API-NOTES §3, §6.2); unknown codes get a generic one. */
export const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system busy',
  0: 'ok',
  40001: 'invalid credential',
  40003: 'invalid userid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid file size',
  40007: 'invalid media_id',
  40009: 'invalid image size',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40050: 'invalid chatid',
  40056: 'invalid agentid',
  40058: 'invalid Parameter',
  40068: 'invalid tagid',
  40071: 'UserTag Name Already Exist',
  40096: 'invalid external userid',
  40097: 'invalid handover userid',
  40098: 'the takeover user is not real-name verified',
  40099: 'the external contact count of this user exceeds the limit',
  40100: 'the customers of this user are already in transfer',
  40126: 'corp tag count exceed limit',
  40128: 'customer transfer too frequent',
  40129: 'customer is in transfer',
  40130: 'handover user is the same as takeover user',
  40131: 'handover user is not the follow user of this customer',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41005: 'media data missing',
  41008: 'missing code',
  41037: 'missing contact way type',
  41038: 'missing contact way scene',
  41039: 'invalid contact way type',
  41040: 'invalid contact way scene',
  41041: 'contact way user count exceed limit',
  41042: 'invalid contact way style',
  41043: 'missing contact way config_id',
  41044: 'invalid contact way config_id',
  41045: 'api add contact way count exceed limit',
  41048: 'no available external contact to send',
  41049: 'welcome code missing',
  41050: 'invalid welcome code or expired',
  41051: 'externaluser has started chatting',
  41054: 'user not active',
  41063: 'group msg is sending, please try later',
  41064: 'attachment size exceed limit',
  41065: 'invalid attachment type',
  42001: 'access_token expired',
  45002: 'content size out of limit',
  45009: 'api freq out of limit',
  45033: 'api concurrent out of limit',
  47001: 'data format error',
  48002: 'api forbidden',
  48009: 'api unauthorized',
  50001: 'redirect uri domain mismatch',
  50100: 'invalid cursor',
  60011: 'no privilege to access/modify contact/party/agent',
  60020: 'not allow to access from your ip',
  60021: 'userid not in app visible range',
  60111: 'userid not found',
  60123: 'invalid party id',
  81013: 'user & party & tag all invalid',
  81017: 'too many users in visible range, owner_filter is required',
  84061: 'not external contact',
  84074: 'no external contact permission',
  301002: 'not allow operate another agent with this accesstoken',
};

/** A WeCom business error: answered with HTTP 200 and the errcode envelope. */
export class WeComError extends Error {
  constructor(readonly errcode: number, readonly detail?: string) {
    super(detail ? `${ERRMSG[errcode] ?? 'error'}: ${detail}` : (ERRMSG[errcode] ?? 'error'));
    this.name = 'WeComError';
  }
}

export const fail = (errcode: number, detail?: string): never => {
  throw new WeComError(errcode, detail);
};

/**
 * errmsg as WeCom writes it for errors:
 * `<phrase>, hint: [<ts>_<n>_<hex>], from ip: <ip>, more info at https://open.work.weixin.qq.com/devtool/query?e=<code>`.
 */
export function errmsgFor(errcode: number, ip: string, nowSeconds: number, detail?: string): string {
  if (errcode === 0) return 'ok';
  const phrase = ERRMSG[errcode] ?? 'unknown error';
  const hint = `${nowSeconds}_${Math.floor(Math.random() * 100)}_${randomBytes(16).toString('hex')}`;
  return `${phrase}${detail ? ` (${detail})` : ''}, hint: [${hint}], from ip: ${ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}

/** A bad request to the simulator's own surface (control API, world actions, faults): 400, never a WeCom errcode. */
export class SimInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimInputError';
  }
}
