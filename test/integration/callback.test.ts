import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import type { Service } from '../../src/service';
import { contactEventXml, postCallback, seal } from '../helpers/callbacks';
import { getTestDb } from '../helpers/db';
import { auth, getJson, startTestService, testConfig } from '../helpers/service';

// WeCom's published sample corp (API-NOTES §1.9), served over real HTTP.
const SAMPLE = { token: 'QDG6eK', aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };
const SAMPLE_ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => {
  database = await getTestDb();
});
afterAll(async () => {
  await database.close();
});

async function storedCount(corpId: string): Promise<number> {
  const res = await database.db.execute(sql`select count(*)::int as n from inbound_events where corp_id = ${corpId}`);
  return rowsOf<{ n: number }>(res)[0]!.n;
}

describe('WeCom sample vectors over HTTP', () => {
  let service: Service;
  const config = testConfig({
    WECOM_CORP_ID: SAMPLE.corpId, WECOM_CALLBACK_TOKEN: SAMPLE.token, WECOM_CALLBACK_AES_KEY: SAMPLE.aesKey,
    WECOM_CALLBACK_MAX_SKEW_S: '0', // the samples are from 2014
  });
  beforeAll(async () => (service = await startTestService(database, config, { worker: false })));
  afterAll(() => service.stop());

  it('answers URL verification with the plain echostr', async () => {
    // '+' left unencoded on purpose: it must not turn into a space.
    const res = await fetch(`${service.url}/wecom/callback?msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1616140317555161061');
  });

  it('refuses URL verification with a wrong signature', async () => {
    const res = await fetch(`${service.url}/wecom/callback?msg_signature=0000ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780&echostr=${encodeURIComponent('P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==')}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'bad_signature', message: expect.any(String) } });
  });

  it('accepts the sample POST, stores it once, answers success', async () => {
    const body = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[${SAMPLE_ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`;
    const query = 'msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149';
    const first = await postCallback(service.url, { query, body });
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('success');
    const retry = await postCallback(service.url, { query, body });
    expect(await retry.text()).toBe('success');
    expect(await storedCount(SAMPLE.corpId)).toBe(1);
    const { body: list } = await getJson(`${service.url}/api/events?type=text`);
    expect(list.items).toEqual([expect.objectContaining({ msgType: 'text', event: null, status: 'pending', attempts: 0 })]);
  });
});

describe('rejections store nothing', () => {
  let service: Service;
  const config = testConfig({ WECOM_CALLBACK_MAX_SKEW_S: '300' });
  const secrets = { token: config.callback.token, aesKey: config.callback.aesKey, corpId: config.corpId };
  const xml = () => contactEventXml(config.corpId, 'add_external_contact', { userId: 'rep1', externalUserId: `wm${Math.random()}` });
  beforeAll(async () => (service = await startTestService(database, config, { worker: false })));
  afterAll(() => service.stop());

  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
  };

  it('forged signature → 401', async () => {
    const s = seal(secrets, xml());
    await expectError(await postCallback(service.url, { ...s, query: s.query.replace(/msg_signature=[0-9a-f]{4}/, 'msg_signature=ffff') }), 401, 'bad_signature');
  });

  it('signed with another token → 401', async () => {
    await expectError(await postCallback(service.url, seal({ ...secrets, token: 'other' }, xml())), 401, 'bad_signature');
  });

  it('missing signature → 401', async () => {
    const s = seal(secrets, xml());
    await expectError(await postCallback(service.url, { ...s, query: `timestamp=${s.timestamp}&nonce=${s.nonce}` }), 401, 'bad_signature');
  });

  it('stale or future timestamp → 401 (a replay of an old delivery)', async () => {
    await expectError(await postCallback(service.url, seal(secrets, xml(), { timestamp: Math.floor(Date.now() / 1000) - 3600 })), 401, 'stale_timestamp');
    await expectError(await postCallback(service.url, seal(secrets, xml(), { timestamp: Math.floor(Date.now() / 1000) + 3600 })), 401, 'stale_timestamp');
  });

  it('payload for a foreign corp → 400', async () => {
    await expectError(await postCallback(service.url, seal(secrets, xml(), { receiveId: 'wwforeign' })), 400, 'foreign_corp');
  });

  it('signed garbage that does not decrypt → 400', async () => {
    const s = seal(secrets, xml());
    const junk = Buffer.from('twenty bytes of junk').toString('base64') // not a whole AES block;
    const signature = require('@wecom/crypto').getSignature(secrets.token, s.timestamp, s.nonce, junk);
    const body = `<xml><Encrypt><![CDATA[${junk}]]></Encrypt></xml>`;
    await expectError(await postCallback(service.url, { query: `msg_signature=${signature}&timestamp=${s.timestamp}&nonce=${s.nonce}`, body }), 400, 'undecryptable');
  });

  it('malformed inner XML → 400', async () => {
    await expectError(await postCallback(service.url, seal(secrets, '<xml><MsgType>event</MsgType')), 400, 'malformed_xml');
  });

  it('envelope without <Encrypt> → 400', async () => {
    const s = seal(secrets, xml());
    await expectError(await postCallback(service.url, { ...s, body: '<xml><Foo/></xml>' }), 400, 'malformed_xml');
  });

  it('body over 1 MB → 413', async () => {
    const s = seal(secrets, xml());
    await expectError(await postCallback(service.url, { ...s, body: `<xml><Encrypt>${'A'.repeat(1_100_000)}</Encrypt></xml>` }), 413, 'payload_too_large');
  });

  it('none of the above stored anything; metrics count the rejections', async () => {
    expect(await storedCount(config.corpId)).toBe(0);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/lifelong_callbacks_rejected_total\{reason="bad_signature"\} [1-9]/);
    expect(metrics).toMatch(/lifelong_callbacks_rejected_total\{reason="payload_too_large"\} [1-9]/);
  });

  it('a valid delivery and its retries (re-encrypted, new nonce) are stored once', async () => {
    const x = xml();
    for (let i = 0; i < 3; i++) {
      const res = await postCallback(service.url, seal(secrets, x));
      expect(await res.text()).toBe('success');
    }
    expect(await storedCount(config.corpId)).toBe(1);
  });

  it('distinct events in the same second from sys are all stored', async () => {
    const t = Math.floor(Date.now() / 1000);
    const tagXml = (id: string) =>
      `<xml><ToUserName><![CDATA[${config.corpId}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${t}</CreateTime>` +
      `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[${id}]]></Id>` +
      `<TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[create]]></ChangeType></xml>`;
    const before = await storedCount(config.corpId);
    for (const id of ['etA', 'etB', 'etC']) await postCallback(service.url, seal(secrets, tagXml(id)));
    expect(await storedCount(config.corpId)).toBe(before + 3);
  });
});

describe('ops surface', () => {
  let service: Service;
  const config = testConfig();
  beforeAll(async () => (service = await startTestService(database, config, { worker: false })));
  afterAll(() => service.stop());

  it('healthz, readyz and metrics answer without a token', async () => {
    expect((await getJson(`${service.url}/healthz`, {})).body).toEqual({ status: 'ok' });
    expect((await getJson(`${service.url}/readyz`, {})).body).toEqual({ status: 'ready', warnings: [] });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('lifelong_event_worker_lag_seconds');
    expect(metrics).toContain('lifelong_events_processed_total');
  });

  it('/metrics exports the event-loop delay since the previous scrape, by quantile', async () => {
    // Block the loop for ~60 ms so the window holds a delay worth seeing (not in the first 10 ms tick after the
    // previous test's scrape: a reset histogram only starts timing at its next tick).
    await new Promise((r) => setTimeout(r, 30));
    const until = Date.now() + 60;
    while (Date.now() < until);
    await new Promise((r) => setTimeout(r, 30));
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const q = (quantile: string) => Number(new RegExp(`^lifelong_event_loop_delay_seconds\\{quantile="${quantile.replace('.', '\\.')}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(metrics).toContain('# TYPE lifelong_event_loop_delay_seconds gauge');
    for (const quantile of ['0.5', '0.99', '1']) expect(q(quantile)).toBeGreaterThanOrEqual(0);
    expect(q('1')).toBeGreaterThan(0.03);
    expect(q('0.99')).toBeLessThanOrEqual(q('1'));
  });

  it('/api needs the bearer token', async () => {
    expect((await getJson(`${service.url}/api/events`, {})).status).toBe(401);
    expect((await getJson(`${service.url}/api/events`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await getJson(`${service.url}/api/events`, auth)).status).toBe(200);
  });

  it('rejects bad query input with the error shape', async () => {
    const { status, body } = await getJson(`${service.url}/api/events?limit=0`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toMatch(/limit/);
  });

  it('unknown routes are JSON 404s', async () => {
    const { status, body } = await getJson(`${service.url}/api/nothing-here`);
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const { body } = await getJson(`${service.url}/api/openapi.json`);
    expect(body.openapi).toBe('3.1.0');
    const params = body.paths['/api/events'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['limit', 'status', 'type']));
  });
});
