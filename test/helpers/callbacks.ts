import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt, encrypt, getSignature } from '@wecom/crypto';
import { parseStringPromise } from 'xml2js';

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

/** A callback endpoint on port 0 that decrypts what the simulator delivers and records each event (parsed `<xml>`), in order. */
export async function startEventReceiver(aesKey: string): Promise<{ url: string; events: Array<Record<string, any>>; close(): Promise<void> }> {
  const events: Array<Record<string, any>> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const enc = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(Buffer.concat(chunks).toString())![1]!;
      void parseStringPromise(decrypt(aesKey, enc).message, { explicitArray: false }).then((x) => {
        events.push(x.xml);
        res.writeHead(200).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
    events,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
