import { randomBytes } from 'node:crypto';
import { encrypt, getSignature } from '@wecom/crypto';

export interface Sealer {
  token: string;
  aesKey: string;
  corpId: string;
}

/** What WeCom would send for `xml`: the signed query and the encrypted envelope. */
export function seal(s: Sealer, xml: string, opts: { timestamp?: number; receiveId?: string } = {}) {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = String(randomBytes(4).readUInt32BE());
  const ciphertext = encrypt(s.aesKey, xml, opts.receiveId ?? s.corpId);
  const signature = getSignature(s.token, timestamp, nonce, ciphertext);
  const body = `<xml><ToUserName><![CDATA[${s.corpId}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[${ciphertext}]]></Encrypt></xml>`;
  const query = `msg_signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`;
  return { query, body, ciphertext, signature, timestamp, nonce };
}

export function postCallback(baseUrl: string, sealed: { query: string; body: string }) {
  return fetch(`${baseUrl}/wecom/callback?${sealed.query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: sealed.body,
  });
}

/** A change_external_contact event as WeCom writes it (API-NOTES §2.2). */
export function contactEventXml(
  corpId: string,
  changeType: string,
  fields: { userId: string; externalUserId: string; state?: string; welcomeCode?: string; source?: string; failReason?: string },
  createTime = Math.floor(Date.now() / 1000),
): string {
  const opt = (tag: string, v?: string) => (v ? `<${tag}><![CDATA[${v}]]></${tag}>` : '');
  return (
    `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
    `<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[${changeType}]]></ChangeType>` +
    `<UserID><![CDATA[${fields.userId}]]></UserID><ExternalUserID><![CDATA[${fields.externalUserId}]]></ExternalUserID>` +
    opt('State', fields.state) + opt('WelcomeCode', fields.welcomeCode) + opt('Source', fields.source) + opt('FailReason', fields.failReason) +
    `</xml>`
  );
}
