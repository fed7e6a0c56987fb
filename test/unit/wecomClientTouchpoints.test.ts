/**
 * The touchpoint APIs of the WeCom client against nock: mass-message records,
 * remind/cancel, contact ways, media uploads (multipart) and group welcome templates.
 */
import nock from 'nock';
import { createLogger } from '../../src/lib/logger';
import { MemoryTokenStore, WeComClient } from '../../src/wecom/client';

const BASE = 'http://wecom.test';
const CORP = 'wwtestcorp0001';

function makeClient() {
  const tokenStore = new MemoryTokenStore();
  tokenStore.set('contact', { accessToken: 'TOKEN', expiresAt: new Date(Date.now() + 3600_000) });
  return new WeComClient({
    baseUrl: BASE,
    corpId: CORP,
    secrets: { contact: 'contact-secret' },
    logger: createLogger('silent'),
    retry: { baseMs: 1, capMs: 4, rateLimitWaitMs: 5 },
    tokenStore,
  });
}

interface Seen {
  query: Record<string, string>;
  body: any;
  raw: string;
  contentType: string;
}

/** Answers POSTs to `path` with `replies` in order (the last one repeats) and records what was sent. */
function mockPost(path: string, replies: Array<[number, unknown]>): Seen[] {
  const seen: Seen[] = [];
  replies.forEach((r, i) => {
    const scope = i === replies.length - 1 ? nock(BASE).persist() : nock(BASE);
    scope
      .post(`/cgi-bin/${path}`)
      .query(true)
      .reply(function reply(uri, body) {
        const raw = typeof body === 'string' ? body : JSON.stringify(body);
        let parsed: unknown = body;
        if (typeof body === 'string') {
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = body;
          }
        }
        const ct = this.req.headers['content-type'];
        seen.push({
          query: Object.fromEntries(new URL(uri, BASE).searchParams),
          body: parsed,
          raw,
          contentType: Array.isArray(ct) ? ct.join(',') : String(ct ?? ''),
        });
        return r as [number, nock.Body];
      });
  });
  return seen;
}

const ok = (extra: object = {}): [number, unknown] => [200, { errcode: 0, errmsg: 'ok', ...extra }];
const fail = (errcode: number): [number, unknown] => [200, { errcode, errmsg: 'failed' }];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('mass messages', () => {
  test('getGroupmsgListV2 sends defaults, clamps the limit to 100 and normalises create_time', async () => {
    const seen = mockPost('externalcontact/get_groupmsg_list_v2', [
      ok({ group_msg_list: [{ msgid: 'msgA', create_time: '1731000000', create_type: 0, text: { content: 'hi' } }], next_cursor: 'c2' }),
    ]);
    const page = await makeClient().messages.getGroupmsgListV2({ chat_type: 'single', start_time: 1, end_time: 2, limit: 500 });
    expect(page).toEqual({ items: [{ msgid: 'msgA', create_time: 1731000000, create_type: 0, text: { content: 'hi' } }], nextCursor: 'c2' });
    expect(seen[0]!.body).toEqual({ chat_type: 'single', start_time: 1, end_time: 2, filter_type: 2, limit: 100, cursor: '' });
    expect(seen[0]!.query.access_token).toBe('TOKEN');
  });

  test('getGroupmsgListV2 passes creator, filter_type and cursor through', async () => {
    const seen = mockPost('externalcontact/get_groupmsg_list_v2', [ok({ group_msg_list: [], next_cursor: '' })]);
    await makeClient().messages.getGroupmsgListV2({ chat_type: 'group', start_time: 1, end_time: 2, creator: 'liwei', filter_type: 1, cursor: 'c9' });
    expect(seen[0]!.body).toEqual({ chat_type: 'group', start_time: 1, end_time: 2, creator: 'liwei', filter_type: 1, limit: 50, cursor: 'c9' });
  });

  test('remind and cancel post the msgid; their errcodes surface and a write is not retried', async () => {
    const remind = mockPost('externalcontact/remind_groupmsg_send', [fail(-1), ok()]);
    const cancel = mockPost('externalcontact/cancel_groupmsg_send', [ok()]);
    const client = makeClient();
    await expect(client.messages.remindGroupmsgSend('msgA')).rejects.toMatchObject({ kind: 'platform', errcode: -1 });
    expect(remind).toHaveLength(1);
    await expect(client.messages.remindGroupmsgSend('msgA')).resolves.toBeUndefined();
    await expect(client.messages.cancelGroupmsgSend('msgA')).resolves.toBeUndefined();
    expect(remind.map((s) => s.body)).toEqual([{ msgid: 'msgA' }, { msgid: 'msgA' }]);
    expect(cancel[0]!.body).toEqual({ msgid: 'msgA' });
  });
});

describe('contact ways', () => {
  test('get returns contact_way; an unknown config_id rejects with 41044', async () => {
    const way = { config_id: 'a'.repeat(32), type: 1, scene: 2, state: 'expo', user: ['liwei'], qr_code: 'https://qr' };
    const seen = mockPost('externalcontact/get_contact_way', [ok({ contact_way: way }), fail(41044)]);
    const client = makeClient();
    await expect(client.contactWays.get(way.config_id)).resolves.toEqual(way);
    await expect(client.contactWays.get('gone')).rejects.toMatchObject({ errcode: 41044 });
    expect(seen.map((s) => s.body)).toEqual([{ config_id: way.config_id }, { config_id: 'gone' }]);
  });

  test('list clamps the limit to 1000, omits absent times and maps the page', async () => {
    const seen = mockPost('externalcontact/list_contact_way', [ok({ contact_way: [{ config_id: 'c1' }], next_cursor: 'n' })]);
    const page = await makeClient().contactWays.list({ limit: 5000, start_time: 10 });
    expect(page).toEqual({ items: [{ config_id: 'c1' }], nextCursor: 'n' });
    expect(seen[0]!.body).toEqual({ start_time: 10, cursor: '', limit: 1000 });
  });

  test('update drops type/scene (not editable) and del posts the config_id', async () => {
    const upd = mockPost('externalcontact/update_contact_way', [ok()]);
    const del = mockPost('externalcontact/del_contact_way', [ok()]);
    const client = makeClient();
    await client.contactWays.update({ config_id: 'c1', type: 2, scene: 2, user: ['a', 'b'], remark: 'r' });
    await client.contactWays.del('c1');
    expect(upd[0]!.body).toEqual({ config_id: 'c1', user: ['a', 'b'], remark: 'r' });
    expect(del[0]!.body).toEqual({ config_id: 'c1' });
  });
});

describe('media', () => {
  test('upload sends multipart field `media` with the filename and ?type=, and returns created_at as a number', async () => {
    const seen = mockPost('media/upload', [ok({ type: 'image', media_id: 'MID1', created_at: '1731000000' })]);
    const data = Buffer.from('\x89PNG fake image bytes');
    const res = await makeClient().media.upload('image', 'poster.png', data, 'image/png');
    expect(res).toEqual({ media_id: 'MID1', created_at: 1731000000 });
    expect(seen[0]!.query).toMatchObject({ type: 'image', access_token: 'TOKEN' });
    expect(seen[0]!.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0]!.raw).toMatch(/Content-Disposition: form-data; name="media"; filename="poster.png"/);
    expect(seen[0]!.raw).toContain('PNG fake image bytes');
  });

  test('upload is retried after a transient failure with the whole form re-sent', async () => {
    const seen = mockPost('media/upload', [[502, ''], ok({ media_id: 'MID2', created_at: 5 })]);
    const res = await makeClient().media.upload('file', 'a.txt', Buffer.from('hello world'));
    expect(res.media_id).toBe('MID2');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.raw).toContain('hello world');
  });

  test('sizes outside the platform limits are refused before any call', async () => {
    const seen = mockPost('media/upload', [ok({ media_id: 'x' })]);
    const client = makeClient();
    await expect(client.media.upload('voice', 'v.amr', Buffer.alloc(2 * 1024 * 1024 + 1))).rejects.toBeInstanceOf(RangeError);
    await expect(client.media.upload('file', 'tiny', Buffer.from('abc'))).rejects.toBeInstanceOf(RangeError);
    await expect(client.media.uploadImage('big.jpg', Buffer.alloc(2 * 1024 * 1024 + 1))).rejects.toBeInstanceOf(RangeError);
    expect(seen).toHaveLength(0);
  });

  test('uploadImage posts to media/uploadimg and returns the permanent url', async () => {
    const seen = mockPost('media/uploadimg', [ok({ url: 'https://wework.qpic.cn/x.png' })]);
    await expect(makeClient().media.uploadImage('x.png', Buffer.from('png bytes here'))).resolves.toEqual({ url: 'https://wework.qpic.cn/x.png' });
    expect(seen[0]!.raw).toMatch(/name="media"; filename="x.png"/);
    expect(seen[0]!.raw).toMatch(/Content-Type: image\/png/);
  });
});

describe('group welcome templates', () => {
  test('add/edit/get/del call the four endpoints with the template id', async () => {
    const add = mockPost('externalcontact/group_welcome_template/add', [ok({ template_id: 'T1' })]);
    const edit = mockPost('externalcontact/group_welcome_template/edit', [ok()]);
    const get = mockPost('externalcontact/group_welcome_template/get', [ok({ text: { content: 'hi' }, image: { pic_url: 'u' } })]);
    const del = mockPost('externalcontact/group_welcome_template/del', [ok()]);
    const client = makeClient();
    await expect(client.groupWelcome.add({ text: { content: 'hi' }, image: { media_id: 'M' }, notify: 0 })).resolves.toEqual({ template_id: 'T1' });
    await client.groupWelcome.edit('T1', { text: { content: 'hey' } });
    await expect(client.groupWelcome.get('T1')).resolves.toEqual({ text: { content: 'hi' }, image: { pic_url: 'u' } });
    await client.groupWelcome.del('T1');
    expect(add[0]!.body).toEqual({ text: { content: 'hi' }, image: { media_id: 'M' }, notify: 0 });
    expect(edit[0]!.body).toEqual({ template_id: 'T1', text: { content: 'hey' } });
    expect(get[0]!.body).toEqual({ template_id: 'T1' });
    expect(del[0]!.body).toEqual({ template_id: 'T1' });
  });

  test('two attachments or text over 3000 bytes are refused before the call', async () => {
    const add = mockPost('externalcontact/group_welcome_template/add', [ok({ template_id: 'T1' })]);
    const client = makeClient();
    await expect(client.groupWelcome.add({ image: { media_id: 'M' }, file: { media_id: 'F' } })).rejects.toBeInstanceOf(RangeError);
    await expect(client.groupWelcome.add({ text: { content: '字'.repeat(1001) } })).rejects.toBeInstanceOf(RangeError);
    expect(add).toHaveLength(0);
  });
});
