/**
 * The yardstick of `bench:callbacks`: a callback endpoint that verifies,
 * decrypts and parses exactly as Lifelong's did before issue 13 (Koa, the
 * signature and skew checks, @wecom/crypto, the regex envelope read, xml2js
 * on the payload) and then stores nothing. Deliberately self-contained and
 * frozen: improving src/ must not move the reference.
 *
 * Run as a child of scripts/bench/callbacks.ts: reads REF_TOKEN, REF_AES_KEY,
 * REF_CORP_ID from the environment, listens on a free port and sends
 * `{ url }` over IPC.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt } from '@wecom/crypto';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { parseStringPromise } from 'xml2js';

const token = process.env.REF_TOKEN!;
const aesKey = process.env.REF_AES_KEY!;
const corpId = process.env.REF_CORP_ID!;
const maxSkew = 300;

function rawQuery(q: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of q.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[decodeURIComponent(part.slice(0, eq))] = decodeURIComponent(part.slice(eq + 1));
  }
  return out;
}

function fail(status: number): never {
  throw Object.assign(new Error('refused'), { status, expose: true });
}

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== 'POST' || ctx.path !== '/wecom/callback') fail(404);
  const q = rawQuery(ctx.querystring);
  const { msg_signature: signed, timestamp, nonce } = q;
  if (!signed || !timestamp || !nonce) fail(401);
  const envelope = (await getRawBody(ctx.req, { limit: '1mb', length: ctx.request.length })).toString('utf8');
  const m = /<Encrypt>\s*(?:<!\[CDATA\[([^\]]*)\]\]>|([^<]*))\s*<\/Encrypt>/.exec(envelope);
  const sealed = (m?.[1] ?? m?.[2])?.trim();
  if (!sealed) fail(400);
  const sig = createHash('sha1').update([token, timestamp, nonce, sealed].sort().join('')).digest('hex');
  const a = Buffer.from(sig);
  const b = Buffer.from(signed.toLowerCase());
  if (a.length !== b.length || !timingSafeEqual(a, b)) fail(401);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > maxSkew) fail(401);
  const opened = decrypt(aesKey, sealed);
  if (opened.id !== corpId) fail(401);
  const doc = await parseStringPromise(opened.message, { explicitArray: false, trim: true, explicitRoot: true });
  if (!doc?.xml?.MsgType) fail(400);
  ctx.type = 'text/plain';
  ctx.body = 'success';
});

const server = http.createServer(app.callback());
server.listen(0, '127.0.0.1', () => {
  process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
process.on('message', (m: { type?: string }) => {
  // Nothing to flush: exit at once (close() would wait for any keep-alive socket a load left behind).
  if (m.type === 'stop') process.exit(0);
});
