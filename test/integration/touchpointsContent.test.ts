import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/connection';
import { corpScope } from '../../src/db/scope';
import { createLogger } from '../../src/lib/logger';
import { channelByState, channelStats, recoverContent, sendWelcome, warmWelcomeMedia } from '../../src/touchpoints';
import { contactEventXml, postCallback, seal } from '../helpers/callbacks';
import { getTestDb } from '../helpers/db';
import { auth, eventually, getJson } from '../helpers/service';
import { settle, startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

const q = async <T = any>(query: ReturnType<typeof sql>) => rowsOf<T>(await database.db.execute(query));

/** A tiny PNG (header + a few bytes): WeCom only needs > 5 bytes, the simulator keeps name and size. */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('lifelong-test-image')]);

describe('touchpoint content', () => {
  let w: TestWorld;
  let base: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const post = (path: string, body?: unknown) => call('POST', path, body);

  /** Active reps with customer contact and no console welcome (WeCom issues WelcomeCodes only for those). */
  const reps = () => w.sim.truth().employees.filter((e) => e.customerContact && e.status === 1 && !e.consoleWelcome).map((e) => e.userid).sort();
  const nameOf = (userid: string) => w.sim.truth().employees.find((e) => e.userid === userid)!.name;
  const welcomeFor = (code: string) => w.sim.welcomeMessages.filter((m) => (m.body as any).welcome_code === code);
  const customerNameOf = (externalUserId: string) => w.sim.truth().customers.find((c) => c.external_userid === externalUserId)!.name;

  beforeAll(async () => {
    w = await startWorld(database, { seed: 83 });
    base = w.service.url;
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('templates: CRUD, list by category and kind, preview for a customer, quick reply recorded as a follow-up once per key', async () => {
    const rel = w.sim.truth().relations.find((r) => r.remark)!;
    const customer = w.sim.truth().customers.find((c) => c.external_userid === rel.external_userid)!;
    expect((await post('/api/fields', { key: 'city', label: 'City', type: 'text' })).status).toBe(201);
    expect((await call('PUT', `/api/contacts/${customer.external_userid}/fields`, { city: 'Hangzhou' })).status).toBe(200);

    const created = await post('/api/templates', {
      name: 'Follow-up hello', category: 'greeting', kind: 'message',
      text: 'Hi {{customer.name|friend}} ({{customer.remark}}), {{rep.name}} here. How is {{field.city|your city}}? {{field.budget|}}',
      attachments: [{ msgtype: 'link', title: 'Catalogue for {{customer.name|you}}', url: 'https://example.test/catalogue' }],
    });
    expect(created.status).toBe(201);
    const tpl = created.body;
    expect(tpl).toMatchObject({ kind: 'message', category: 'greeting', variables: ['customer.name', 'customer.remark', 'rep.name', 'field.city', 'field.budget'], wecom: null });
    await post('/api/templates', { name: 'Other', category: 'promo', kind: 'message', text: 'Sale!' });

    const greeting = await getJson(`${base}/api/templates?category=greeting&kind=message`);
    expect(greeting.body.items.map((t: any) => t.id)).toEqual([tpl.id]);
    expect((await getJson(`${base}/api/templates?kind=welcome`)).body.items).toEqual([]);
    const cats = (await getJson(`${base}/api/template-categories`)).body.items;
    expect(cats).toEqual(expect.arrayContaining([{ category: 'greeting', kind: 'message', count: 1 }, { category: 'promo', kind: 'message', count: 1 }]));

    const renamed = await call('PATCH', `/api/templates/${tpl.id}`, { name: 'Hello again' });
    expect(renamed.body).toMatchObject({ name: 'Hello again', version: 1 });

    const preview = await post(`/api/templates/${tpl.id}/preview`, { externalUserId: customer.external_userid, userId: rel.userid });
    expect(preview.status).toBe(200);
    expect(preview.body.text).toBe(`Hi ${customer.name} (${rel.remark}), ${nameOf(rel.userid)} here. How is Hangzhou? `);
    expect(preview.body.missing).toEqual(['field.budget']);
    expect(preview.body.attachments[0]).toMatchObject({ msgtype: 'link', title: `Catalogue for ${customer.name}` });
    expect(preview.body.followUpId).toBeNull();
    expect(w.sim.calls.count('externalcontact/send_welcome_msg')).toBe(0);

    // Quick reply: recorded as a follow-up once for one client key.
    const use = { externalUserId: customer.external_userid, userId: rel.userid, recordFollowUp: true, clientKey: 'tap-1' };
    const first = await post(`/api/templates/${tpl.id}/render`, use);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ text: preview.body.text, replayed: false, followUpId: expect.any(Number) });
    const again = await post(`/api/templates/${tpl.id}/render`, use);
    expect(again.body).toMatchObject({ followUpId: first.body.followUpId, replayed: true, text: first.body.text });
    const noRecord = await post(`/api/templates/${tpl.id}/render`, { externalUserId: customer.external_userid, userId: rel.userid });
    expect(noRecord.body.followUpId).toBeNull();
    const reused = await post(`/api/templates/${tpl.id}/render`, { ...use, userId: reps().find((u) => u !== rel.userid) });
    expect(reused.status).toBe(409);

    const followUps = (await getJson(`${base}/api/contacts/${customer.external_userid}/follow-ups`)).body.items;
    expect(followUps.filter((f: any) => f.content === first.body.text)).toEqual([
      expect.objectContaining({ id: first.body.followUpId, channel: 'wecom_chat', userId: rel.userid }),
    ]);
    expect(await q(sql`select template_id::int from follow_ups where id = ${first.body.followUpId}`)).toEqual([{ template_id: tpl.id }]);
    const timeline = (await getJson(`${base}/api/contacts/${customer.external_userid}/timeline`)).body.items;
    expect(timeline.some((e: any) => e.source === 'follow_up' && e.id === first.body.followUpId)).toBe(true);

    // Archive: gone from lists and from use, still readable.
    expect((await call('DELETE', `/api/templates/${tpl.id}`)).body.archivedAt).toEqual(expect.any(String));
    expect((await getJson(`${base}/api/templates?category=greeting`)).body.items).toEqual([]);
    expect((await getJson(`${base}/api/templates/${tpl.id}`)).body.id).toBe(tpl.id);
    expect((await post(`/api/templates/${tpl.id}/preview`, { externalUserId: customer.external_userid })).status).toBe(404);
    expect((await post('/api/templates/999999/preview', { externalUserId: customer.external_userid })).status).toBe(404);
    expect((await post(`/api/templates/${(await getJson(`${base}/api/templates?category=promo`)).body.items[0].id}/preview`, { externalUserId: 'wm-nobody' })).status).toBe(404);
  });

  it('bad input answers 400 with a code and the field it is about', async () => {
    const bad = async (path: string, body: unknown, field: string) => {
      const res = await post(path, body);
      expect({ path, field, status: res.status, code: res.body.error?.code }).toEqual({ path, field, status: 400, code: 'validation_failed' });
      expect(res.body.error.message.startsWith(`${field}:`)).toBe(true);
      return res.body.error;
    };
    await bad('/api/templates', { kind: 'message', text: 'x' }, 'name');
    await bad('/api/templates', { name: 'x', kind: 'sms', text: 'x' }, 'kind');
    await bad('/api/templates', { name: 'x', kind: 'message', text: 'Hi {{customer.nickname}}' }, 'text');
    await bad('/api/templates', { name: 'x', kind: 'message', text: '' }, 'text');
    await bad('/api/templates', { name: 'x', kind: 'message', text: '好'.repeat(1334) }, 'text'); // 4002 bytes
    await bad('/api/templates', { name: 'x', kind: 'group', text: 'Hi {{customer.name}}' }, 'text');
    await bad('/api/templates', { name: 'x', kind: 'group_welcome', text: 'Hi {{rep.name}}' }, 'text');
    const link = { msgtype: 'link', title: 't', url: 'https://example.test' };
    await bad('/api/templates', { name: 'x', kind: 'message', text: 'x', attachments: Array(10).fill(link) }, 'attachments');
    await bad('/api/templates', { name: 'x', kind: 'group_welcome', text: 'x', attachments: [link, link] }, 'attachments');
    await bad('/api/templates', { name: 'x', kind: 'message', attachments: [{ ...link, url: 'javascript:alert(1)' }] }, 'attachments.0.url');
    await bad('/api/templates', { name: 'x', kind: 'message', attachments: [{ ...link, title: '标'.repeat(43) }] }, 'attachments.0.title');
    await bad('/api/templates', { name: 'x', kind: 'message', attachments: [link, { msgtype: 'image', mediaRef: 987654 }] }, 'attachments.1.mediaRef');
    await bad('/api/templates', { name: 'x', kind: 'message', attachments: [{ msgtype: 'image' }] }, 'attachments.0');
    await bad('/api/templates', { name: 'x', kind: 'message', attachments: [{ msgtype: 'miniprogram', title: 't', picMediaRef: 1, appid: 'nope', page: '/p' }] }, 'attachments.0.appid');
    await bad('/api/templates', { name: 'x', kind: 'message', attachments: [{ msgtype: 'voice', mediaRef: 1 }] }, 'attachments.0.msgtype');
    await bad('/api/media', { filename: 'a.png', contentType: 'image/png', dataBase64: 'not base64!' }, 'dataBase64');
    await bad('/api/media', { filename: 'a.gif', contentType: 'image/gif', dataBase64: PNG.toString('base64'), type: 'image' }, 'contentType');
    await bad('/api/media', { filename: 'a.png', contentType: 'image/png', dataBase64: Buffer.from('tiny').toString('base64') }, 'dataBase64');
    await bad('/api/media', { filename: '../etc/passwd', contentType: 'text/plain', dataBase64: PNG.toString('base64') }, 'filename');
    const [rep] = reps();
    await bad('/api/channels', { name: 'c', userIds: ['nobody-here'] }, 'userIds.0');
    await bad('/api/channels', { name: 'c', userIds: [rep, rep] }, 'userIds.1');
    await bad('/api/channels', { name: 'c', userIds: [rep], tagIds: ['etNoSuchTag'] }, 'tagIds.0');
    await bad('/api/channels', { name: 'c', userIds: [rep], remark: 'r'.repeat(31) }, 'remark');
    await bad('/api/channels', { name: 'c', userIds: [rep], welcomeTemplateId: 987654 }, 'welcomeTemplateId');
    await bad('/api/channels', { name: 'c', userIds: [] }, 'userIds');
    const put = await call('PUT', '/api/welcome-settings', { defaultWelcomeTemplateId: 987654 });
    expect(put).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    expect(put.body.error.message.startsWith('defaultWelcomeTemplateId:')).toBe(true);
    // Nothing reached WeCom.
    expect(w.sim.calls.count('externalcontact/add_contact_way')).toBe(0);
  });

  it('a channel: contact way with our state; a customer adding through it gets its welcome (with an uploaded image) at once, and its tags', async () => {
    const [repA, repB] = reps();
    const tag = w.sim.truth().tagGroups[0]!.tags[0]!.id;
    const up = await post('/api/media', { filename: 'welcome.png', contentType: 'image/png', dataBase64: PNG.toString('base64') });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ type: 'image', size: PNG.length, wecomUploadedAt: null });
    expect((await getJson(`${base}/api/media/${up.body.id}`)).body.sha256).toBe(up.body.sha256);

    const tpl = (await post('/api/templates', {
      name: 'Expo welcome', kind: 'welcome', category: 'expo',
      text: '你好 {{customer.name|朋友}}，我是{{rep.name}}。',
      attachments: [{ msgtype: 'image', mediaRef: up.body.id }, { msgtype: 'link', title: 'Our catalogue', url: 'https://example.test/c' }],
    })).body;
    const created = await post('/api/channels', { name: 'Expo booth 3', userIds: [repA, repB], remark: 'Expo booth 3', welcomeTemplateId: tpl.id, tagIds: [tag] });
    expect(created.status).toBe(201);
    const ch = created.body;
    expect(ch).toMatchObject({ status: 'active', syncPending: false, userIds: [repA, repB], tagIds: [tag], configId: expect.stringMatching(/^[0-9a-f]{32}$/), qrCode: expect.any(String) });
    expect(ch.state.length).toBeLessThanOrEqual(30);
    const way = w.sim.contactWay(ch.configId)!;
    expect(way).toMatchObject({ state: ch.state, user: [repA, repB], remark: 'Expo booth 3', deleted: false });

    const added = w.sim.customerAddsRepViaWay({ configId: ch.configId });
    expect(added.welcomeCode).toEqual(expect.any(String));
    await settle(w);
    const [sent] = await eventually(async () => { const m = welcomeFor(added.welcomeCode!); return m.length ? m : undefined; });
    // A brand-new customer: not in the ledger yet, so the name is read from WeCom within the code's window.
    const customerName = customerNameOf(added.externalUserId);
    expect(sent!.body).toMatchObject({ text: { content: `你好 ${customerName}，我是${nameOf(added.userid)}。` } });
    const [image, link] = (sent!.body as any).attachments;
    expect(link).toEqual({ msgtype: 'link', link: { title: 'Our catalogue', url: 'https://example.test/c' } });
    const mediaId = image.image.media_id;
    expect(w.sim.media.uploads.get(mediaId)).toMatchObject({ type: 'image', filename: 'welcome.png', size: PNG.length });
    expect((await getJson(`${base}/api/media/${up.body.id}`)).body.wecomUploadedAt).toEqual(expect.any(String));

    // Tags: mark_tag reaches WeCom, and the ledger mirrors it.
    await eventually(async () => w.sim.truth().relations.some((r) => r.userid === added.userid && r.external_userid === added.externalUserId && r.tag_ids.includes(tag)));
    await eventually(async () => (await q(sql`
      select 1 from relation_tags t join relations r on r.id = t.relation_id
      where r.corp_id = ${w.corpId} and r.user_id = ${added.userid} and r.external_user_id = ${added.externalUserId} and t.tag_id = ${tag}`)).length === 1);

    const sends = (await getJson(`${base}/api/welcome-sends?externalUserId=${added.externalUserId}`)).body.items;
    expect(sends).toEqual([expect.objectContaining({
      status: 'sent', channelId: ch.id, templateId: tpl.id, state: ch.state, attachmentTypes: ['image', 'link'],
      missing: [], filled: ['customer.name', 'rep.name'], customerLookup: 'wecom', customerLookupError: null,
    })]);
    const timeline = (await getJson(`${base}/api/contacts/${added.externalUserId}/timeline`)).body.items;
    expect(timeline.find((e: any) => e.source === 'welcome')).toMatchObject({ kind: 'welcome', userId: added.userid, detail: { channelId: ch.id, content: `你好 ${customerName}，我是${nameOf(added.userid)}。` } });

    // A second customer reuses the cached media_id (uploaded < 2.5 days ago).
    const second = w.sim.customerAddsRepViaWay({ configId: ch.configId });
    await settle(w);
    const [sent2] = await eventually(async () => { const m = welcomeFor(second.welcomeCode!); return m.length ? m : undefined; });
    expect((sent2!.body as any).attachments[0].image.media_id).toBe(mediaId);
    expect(w.sim.calls.count('media/upload')).toBe(1);
    expect(second.userid).not.toBe(added.userid); // round robin over the way's reps

    // Stats from the ledger's relations carrying the state.
    w.sim.customerDeletesRep({ userid: second.userid, externalUserId: second.externalUserId });
    await settle(w);
    const stats = await getJson(`${base}/api/channels/${ch.id}/stats`);
    expect(stats.body).toMatchObject({ channelId: ch.id, state: ch.state, adds: 2, active: 1, removedByCustomer: 1, addedBeforeWindow: 0, retention30: null, welcomesSent: 2 });
    // Thirty-odd days later the first customer is still there, the second is not.
    const later = await channelStats(database.db, corpScope(w.corpId), ch.id, new Date(Date.now() + 31 * 86_400_000));
    expect(later).toMatchObject({ addedBeforeWindow: 2, stillActiveAfterWindow: 1, retention30: 0.5 });

    // Welcome media is kept uploaded ahead of sends: nothing to do today, a fresh upload after two days.
    expect(await warmWelcomeMedia(database.db, w.service.client, w.corpId, new Date())).toBe(0);
    expect(await warmWelcomeMedia(database.db, w.service.client, w.corpId, new Date(Date.now() + 2.1 * 86_400_000))).toBe(1);
    expect(w.sim.calls.count('media/upload')).toBe(2);
  });

  it('no channel matches: the corp default welcome, rendered with what the ledger knows; nothing without a default', async () => {
    const [rep] = reps();
    const none = w.sim.customerAddsRep({ userid: rep!, state: 'not-one-of-ours' });
    await settle(w);
    expect(welcomeFor(none.welcomeCode!)).toEqual([]);
    expect((await getJson(`${base}/api/welcome-sends?externalUserId=${none.externalUserId}`)).body.items).toEqual([expect.objectContaining({ status: 'skipped' })]);

    const dflt = (await post('/api/templates', { name: 'Default', kind: 'welcome', text: 'Welcome {{customer.name|there}}, {{rep.name}} at your service.' })).body;
    const put = await call('PUT', '/api/welcome-settings', { defaultWelcomeTemplateId: dflt.id });
    expect(put.body).toMatchObject({ defaultWelcomeTemplateId: dflt.id, updatedBy: 'admin' });

    // An existing customer of another rep adds this rep: the ledger knows their name.
    const t = w.sim.truth();
    const known = t.relations.find((r) => r.userid !== rep && !t.relations.some((x) => x.userid === rep && x.external_userid === r.external_userid))!;
    const knownName = t.customers.find((c) => c.external_userid === known.external_userid)!.name;
    const added = w.sim.customerAddsRep({ userid: rep!, externalUserId: known.external_userid, state: 'still-not-ours' });
    await settle(w);
    const [sent] = await eventually(async () => { const m = welcomeFor(added.welcomeCode!); return m.length ? m : undefined; });
    expect(sent!.body).toEqual({ welcome_code: added.welcomeCode, text: { content: `Welcome ${knownName}, ${nameOf(rep!)} at your service.` } });

    // No state at all: the default too.
    const plain = w.sim.customerAddsRep({ userid: rep! });
    await settle(w);
    await eventually(async () => welcomeFor(plain.welcomeCode!).length === 1);
  });

  it('a new customer is welcomed by name read from WeCom; a failed, late or untried read sends the fallback and the row says why', async () => {
    const [, repB] = reps();
    const tpl = (await post('/api/templates', { name: 'By name', kind: 'welcome', text: '{{customer.name|朋友}}您好，我是{{rep.name}}。' })).body;
    const ch = (await post('/api/channels', { name: 'By name', userIds: [repB], welcomeTemplateId: tpl.id })).body;
    const sendsOf = async (externalUserId: string) => (await getJson(`${base}/api/welcome-sends?externalUserId=${externalUserId}`)).body.items;
    const sentText = async (code: string) => {
      const [m] = await eventually(async () => { const found = welcomeFor(code); return found.length ? found : undefined; });
      return (m!.body as any).text.content as string;
    };

    const named = w.sim.customerAddsRepViaWay({ configId: ch.configId });
    await settle(w);
    expect(await sentText(named.welcomeCode!)).toBe(`${customerNameOf(named.externalUserId)}您好，我是${nameOf(repB!)}。`);
    expect(await sendsOf(named.externalUserId)).toEqual([expect.objectContaining({ status: 'sent', filled: ['customer.name', 'rep.name'], missing: [], customerLookup: 'wecom' })]);

    // WeCom refuses the read (the ledger's own read, right after, succeeds): the fallback, and why.
    w.sim.injectFault({ api: 'externalcontact/get', errcode: 40096, count: 1 });
    const refused = w.sim.customerAddsRepViaWay({ configId: ch.configId });
    await settle(w);
    expect(await sentText(refused.welcomeCode!)).toBe(`朋友您好，我是${nameOf(repB!)}。`);
    const [row] = await sendsOf(refused.externalUserId);
    expect(row).toMatchObject({ status: 'sent', filled: ['rep.name'], missing: ['customer.name'], customerLookup: 'failed', customerLookupError: expect.stringContaining('40096') });
    expect(row.customerLookupError).not.toContain(customerNameOf(refused.externalUserId));
    expect(await q(sql`select name from external_contacts where corp_id = ${w.corpId} and external_user_id = ${refused.externalUserId}`))
      .toEqual([{ name: customerNameOf(refused.externalUserId) }]);

    // The read does not answer within its budget: the send does not wait for it.
    const direct = async (createTime: number, deps: { profileBudgetMs?: number } = {}) => {
      const add = w.sim.customerAddsRepViaWay({ configId: ch.configId, deliver: 'drop' });
      const event = {
        kind: 'external_contact' as const, changeType: 'add_external_contact' as const, userId: add.userid, externalUserId: add.externalUserId,
        state: add.state, welcomeCode: add.welcomeCode!, createTime, toUserName: w.corpId, fromUserName: 'sys',
      };
      const ctx = { corpId: w.corpId, eventId: 0, log: createLogger('silent'), now: new Date() };
      const channel = await channelByState(database.db, w.corpId, add.state);
      expect(await sendWelcome({ db: database.db, client: w.service.client, ...deps }, ctx, event, channel)).toBe('sent');
      return add;
    };
    w.sim.injectFault({ api: 'externalcontact/get', latencyMs: 2_000, count: 1 });
    const late = await direct(Math.floor(Date.now() / 1000), { profileBudgetMs: 50 });
    expect(await sentText(late.welcomeCode!)).toBe(`朋友您好，我是${nameOf(repB!)}。`);
    expect(await sendsOf(late.externalUserId)).toEqual([expect.objectContaining({ customerLookup: 'timed_out', customerLookupError: 'no answer within 50 ms', missing: ['customer.name'] })]);

    // Most of the code's 20 s already gone: no read at all, straight to the send.
    const gets = w.sim.calls.count('externalcontact/get');
    const hurried = await direct(Math.floor(Date.now() / 1000) - 15);
    expect(w.sim.calls.count('externalcontact/get')).toBe(gets);
    expect(await sentText(hurried.welcomeCode!)).toBe(`朋友您好，我是${nameOf(repB!)}。`);
    expect(await sendsOf(hurried.externalUserId)).toEqual([expect.objectContaining({ customerLookup: 'no_time', filled: ['rep.name'], missing: ['customer.name'] })]);
  });

  it('the same add delivered twice, or a second event with the same WelcomeCode, sends once', async () => {
    const [, , rep] = reps();
    const dup = w.sim.customerAddsRep({ userid: rep!, deliver: 'duplicate' });
    await settle(w);
    await eventually(async () => welcomeFor(dup.welcomeCode!).length === 1);

    // A replayed event with the same code but other bytes (another CreateTime): a new event row, the same code.
    const xml = contactEventXml(w.corpId, 'add_external_contact', { userId: rep!, externalUserId: dup.externalUserId, welcomeCode: dup.welcomeCode! }, Math.floor(Date.now() / 1000) + 1);
    const res = await postCallback(base, seal({ token: w.config.callback.token, aesKey: w.config.callback.aesKey, corpId: w.corpId }, xml));
    expect(res.status).toBe(200);
    await settle(w);
    const events = await q(sql`select count(*)::int as n from inbound_events where corp_id = ${w.corpId} and payload->>'welcomeCode' = ${dup.welcomeCode!} and status = 'done'`);
    expect(events[0].n).toBeGreaterThanOrEqual(2);
    expect(w.sim.calls.count('externalcontact/send_welcome_msg', dup.welcomeCode!)).toBe(1);
    expect(welcomeFor(dup.welcomeCode!)).toHaveLength(1);
    expect(await q(sql`select status from welcome_sends where corp_id = ${w.corpId} and welcome_code = ${dup.welcomeCode!}`)).toEqual([{ status: 'sent' }]);

    // A crash after recording 'sending' and before the outcome: a rerun does not call, and recovery settles it as unknown.
    const crashed = w.sim.customerAddsRep({ userid: rep!, deliver: 'drop' });
    await database.db.execute(sql`insert into welcome_sends (corp_id, welcome_code, user_id, external_user_id, status, created_at)
      values (${w.corpId}, ${crashed.welcomeCode!}, ${rep!}, ${crashed.externalUserId}, 'sending', now() - interval '10 minutes')`);
    const xml2 = contactEventXml(w.corpId, 'add_external_contact', { userId: rep!, externalUserId: crashed.externalUserId, welcomeCode: crashed.welcomeCode! });
    await postCallback(base, seal({ token: w.config.callback.token, aesKey: w.config.callback.aesKey, corpId: w.corpId }, xml2));
    await settle(w);
    expect(w.sim.calls.count('externalcontact/send_welcome_msg', crashed.welcomeCode!)).toBe(0);
    await recoverContent(database.db, w.service.client, w.corpId, new Date(), 'recovery-test');
    expect(await q(sql`select status from welcome_sends where corp_id = ${w.corpId} and welcome_code = ${crashed.welcomeCode!}`)).toEqual([{ status: 'unknown' }]);
  });

  it('channel update and delete reach WeCom; a crash mid-create is finished by recovery, never as a second contact way', async () => {
    const [repA, repB, repC] = reps();
    const ch = (await post('/api/channels', { name: 'Flyer', userIds: [repA] })).body;
    const patched = await call('PATCH', `/api/channels/${ch.id}`, { userIds: [repB, repC], remark: 'Flyer v2', name: 'Flyer (new)' });
    expect(patched.body).toMatchObject({ name: 'Flyer (new)', userIds: [repB, repC], remark: 'Flyer v2', syncPending: false });
    expect(w.sim.contactWay(ch.configId)).toMatchObject({ user: [repB, repC], remark: 'Flyer v2', state: ch.state });
    // WeCom refuses (too many members): our values stay as WeCom has them.
    w.sim.injectFault({ api: 'externalcontact/update_contact_way', errcode: 41041, count: 1 });
    const refused = await call('PATCH', `/api/channels/${ch.id}`, { userIds: [repA] });
    expect(refused).toMatchObject({ status: 502, body: { error: { code: 'wecom_error', details: { errcode: 41041 } } } });
    expect((await getJson(`${base}/api/channels/${ch.id}`)).body).toMatchObject({ userIds: [repB, repC], syncPending: false, lastErrcode: 41041 });
    expect(w.sim.contactWay(ch.configId)!.user).toEqual([repB, repC]);
    // WeCom does not answer clearly (5xx): saved, owed, and sent again by recovery once the lease has passed.
    w.sim.injectFault({ api: 'externalcontact/update_contact_way', http5xx: 1 });
    const unclear = await call('PATCH', `/api/channels/${ch.id}`, { remark: 'Flyer v3' });
    expect(unclear.body).toMatchObject({ status: 'active', remark: 'Flyer v3', syncPending: true });
    expect(w.sim.contactWay(ch.configId)!.remark).toBe('Flyer v2');
    // The pause after the unclear failure is on the database's clock: let it pass there.
    await database.db.execute(sql`update channels set wecom_locked_until = now() - interval '1 second' where corp_id = ${w.corpId} and id = ${ch.id}`);
    await recoverContent(database.db, w.service.client, w.corpId, new Date(), 'recovery-test');
    expect((await getJson(`${base}/api/channels/${ch.id}`)).body).toMatchObject({ remark: 'Flyer v3', syncPending: false, lastError: null });
    expect(w.sim.contactWay(ch.configId)!.remark).toBe('Flyer v3');

    const del = await call('DELETE', `/api/channels/${ch.id}`);
    expect(del.body).toMatchObject({ status: 'deleted', deletedAt: expect.any(String) });
    expect(w.sim.contactWay(ch.configId)!.deleted).toBe(true);
    expect((await getJson(`${base}/api/channels`)).body.items.some((c: any) => c.id === ch.id)).toBe(false);
    expect((await getJson(`${base}/api/channels?includeDeleted=true`)).body.items.some((c: any) => c.id === ch.id)).toBe(true);

    // Instance A recorded a channel, WeCom created the way, A died before storing the config_id.
    const insert = (state: string) => database.db.execute(sql`insert into channels (corp_id, name, state, status, user_ids, created_by, wecom_locked_until)
      values (${w.corpId}, 'crashed', ${state}, 'creating', ${sql.param([repA!])}::text[], 'admin', now() - interval '1 second') returning id`);
    const half = rowsOf<{ id: string }>(await insert('llcrashedmidcall01'))[0]!.id;
    await w.service.client.contactWays.add({ type: 2, scene: 2, state: 'llcrashedmidcall01', user: [repA!] });
    // Instance B recorded one and died before calling.
    const never = rowsOf<{ id: string }>(await insert('llcrashedbeforecall'))[0]!.id;
    const before = w.sim.calls.count('externalcontact/add_contact_way');
    await recoverContent(database.db, w.service.client, w.corpId, new Date(), 'recovery-test');
    const finished = (await getJson(`${base}/api/channels/${half}`)).body;
    expect(finished).toMatchObject({ status: 'active', configId: expect.any(String) });
    expect(w.sim.truth().contactWays.filter((c) => c.state === 'llcrashedmidcall01' && !c.deleted).map((c) => c.config_id)).toEqual([finished.configId]);
    expect((await getJson(`${base}/api/channels/${never}`)).body).toMatchObject({ status: 'failed', configId: null });
    expect(w.sim.truth().contactWays.some((c) => c.state === 'llcrashedbeforecall')).toBe(false);
    expect(w.sim.calls.count('externalcontact/add_contact_way')).toBe(before);
    // The lease keeps recovery off a call still in flight.
    const inFlight = rowsOf<{ id: string }>(await database.db.execute(sql`insert into channels (corp_id, name, state, status, user_ids, created_by, wecom_locked_until)
      values (${w.corpId}, 'in flight', 'llinflight', 'creating', ${sql.param([repA!])}::text[], 'admin', now() + interval '1 minute') returning id`))[0]!.id;
    await recoverContent(database.db, w.service.client, w.corpId, new Date(), 'recovery-test');
    expect((await getJson(`${base}/api/channels/${inFlight}`)).body.status).toBe('creating');
  });

  it('group welcome templates are mirrored to WeCom (add, edit, delete) and one is the corp default', async () => {
    const up = (await post('/api/media', { filename: 'group.png', contentType: 'image/png', dataBase64: PNG.toString('base64') })).body;
    const created = await post('/api/templates', {
      name: 'Group hello', kind: 'group_welcome', text: 'Welcome {{customer.name}} to the group!', attachments: [{ msgtype: 'image', mediaRef: up.id }],
    });
    expect(created.status).toBe(201);
    const tpl = created.body;
    expect(tpl.wecom).toMatchObject({ status: 'synced', templateId: expect.any(String), error: null });
    const stored = () => w.sim.groupWelcomeTemplates.get(tpl.wecom.templateId) as any;
    expect(stored()).toMatchObject({ text: { content: 'Welcome %NICKNAME% to the group!' } });
    expect(stored().image).toBeDefined();

    const edited = await call('PATCH', `/api/templates/${tpl.id}`, { text: 'Hi {{customer.name}}!', attachments: [] });
    expect(edited.body).toMatchObject({ version: 2, wecom: { status: 'synced', templateId: tpl.wecom.templateId } });
    expect(stored()).toMatchObject({ text: { content: 'Hi %NICKNAME%!' } });

    const settings = await call('PUT', '/api/welcome-settings', { defaultGroupWelcomeTemplateId: tpl.id });
    expect(settings.body).toMatchObject({ defaultGroupWelcomeTemplateId: tpl.id, defaultGroupWelcomeWecomTemplateId: tpl.wecom.templateId });
    expect((await call('PUT', '/api/welcome-settings', { defaultGroupWelcomeTemplateId: (await post('/api/templates', { name: 'm', kind: 'message', text: 'x' })).body.id })).status).toBe(400);
    expect((await getJson(`${base}/api/group-welcome-templates`)).body.items.map((t: any) => t.id)).toContain(tpl.id);

    const archived = await call('DELETE', `/api/templates/${tpl.id}`);
    expect(archived.body.wecom.status).toBe('deleted');
    expect(stored()).toBeUndefined();
  });

  it('the OpenAPI document describes the content routes', async () => {
    const doc = (await getJson(`${base}/api/openapi.json`)).body;
    for (const p of ['/api/templates', '/api/templates/{id}/preview', '/api/templates/{id}/render', '/api/media', '/api/channels', '/api/channels/{id}/stats', '/api/welcome-settings', '/api/group-welcome-templates']) {
      expect(doc.paths[p]).toBeDefined();
    }
  });
});
