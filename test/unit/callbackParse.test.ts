import { parseStringPromise } from 'xml2js';
import { flatPayloadFields, parseCallbackXml, payloadFields } from '../../src/wecom/callback/parse';
import { dispatchKeyOf } from '../../src/wecom/callback/events';

const head = (event: string, change: string) =>
  `<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1731300000</CreateTime>` +
  `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event><ChangeType><![CDATA[${change}]]></ChangeType>`;

describe('callback XML → typed events', () => {
  it.each(['add_external_contact', 'edit_external_contact', 'add_half_external_contact', 'del_external_contact', 'del_follow_user', 'transfer_fail'])(
    'change_external_contact %s',
    async (change) => {
      const xml = head('change_external_contact', change) +
        '<UserID><![CDATA[liwei]]></UserID><ExternalUserID><![CDATA[wmX]]></ExternalUserID><State><![CDATA[expo]]></State>' +
        '<WelcomeCode><![CDATA[WC1]]></WelcomeCode><Source><![CDATA[DELETE_BY_TRANSFER]]></Source><FailReason><![CDATA[customer_refused]]></FailReason></xml>';
      const e = await parseCallbackXml(xml);
      expect(e).toMatchObject({
        kind: 'external_contact', changeType: change, userId: 'liwei', externalUserId: 'wmX', state: 'expo',
        welcomeCode: 'WC1', source: 'DELETE_BY_TRANSFER', failReason: 'customer_refused', createTime: 1731300000,
      });
      expect(dispatchKeyOf(e)).toBe(`change_external_contact:${change}`);
    },
  );

  it('group member change with <Item> list, bare integers and versions', async () => {
    const e = await parseCallbackXml(head('change_external_chat', 'update') +
      '<ChatId><![CDATA[wrA]]></ChatId><UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>2</MemChangeCnt>' +
      '<MemChangeList><Item><![CDATA[wm1]]></Item><Item><![CDATA[wm2]]></Item></MemChangeList>' +
      '<LastMemVer><![CDATA[v1]]></LastMemVer><CurMemVer><![CDATA[v2]]></CurMemVer></xml>');
    expect(e).toEqual(expect.objectContaining({
      kind: 'external_chat', changeType: 'update', chatId: 'wrA', updateDetail: 'add_member', joinScene: 3, memChangeCnt: 2,
      memChangeList: ['wm1', 'wm2'], lastMemVer: 'v1', curMemVer: 'v2',
    }));
  });

  it('a single <Item> and the comma-string form both give a list', async () => {
    const one = await parseCallbackXml(head('change_external_chat', 'update') + '<ChatId>wrA</ChatId><MemChangeList><Item>wm1</Item></MemChangeList></xml>');
    const csv = await parseCallbackXml(head('change_external_chat', 'update') + '<ChatId>wrA</ChatId><MemChangeList><![CDATA[wm1,wm2]]></MemChangeList></xml>');
    expect(one).toMatchObject({ memChangeList: ['wm1'] });
    expect(csv).toMatchObject({ memChangeList: ['wm1', 'wm2'] });
  });

  it.each(['create', 'dismiss'])('change_external_chat %s', async (change) => {
    expect(await parseCallbackXml(head('change_external_chat', change) + '<ChatId>wrB</ChatId></xml>')).toMatchObject({ kind: 'external_chat', changeType: change, chatId: 'wrB', memChangeList: [] });
  });

  it.each(['create', 'update', 'delete', 'shuffle'])('change_external_tag %s', async (change) => {
    const e = await parseCallbackXml(head('change_external_tag', change) + '<Id><![CDATA[etA]]></Id><TagType><![CDATA[tag_group]]></TagType><StrategyId>3</StrategyId></xml>');
    expect(e).toMatchObject({ kind: 'external_tag', changeType: change, id: 'etA', tagType: 'tag_group', strategyId: 3 });
  });

  it('employee update with department lists', async () => {
    const e = await parseCallbackXml(head('change_contact', 'update_user') +
      '<UserID>wangfang</UserID><Status>2</Status><Department><![CDATA[3,7]]></Department><MainDepartment>3</MainDepartment><IsLeaderInDept><![CDATA[0,1]]></IsLeaderInDept></xml>');
    expect(e).toMatchObject({ kind: 'contact', changeType: 'update_user', userId: 'wangfang', status: 2, departments: [3, 7], mainDepartment: 3, isLeaderInDept: [0, 1] });
  });

  it('employee deleted', async () => {
    expect(await parseCallbackXml(head('change_contact', 'delete_user') + '<UserID>liwei</UserID></xml>')).toMatchObject({ kind: 'contact', changeType: 'delete_user', userId: 'liwei' });
  });

  it('plain text message (the official sample)', async () => {
    const e = await parseCallbackXml('<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>');
    expect(e).toEqual({ kind: 'message', msgType: 'text', msgId: '4561255354251345929', content: 'hello', createTime: 1409659813, toUserName: 'wx5823bf96d3bd56c7', fromUserName: 'mycreate', agentId: '218' });
    expect(dispatchKeyOf(e)).toBe('message:text');
  });

  it('unmodelled events are kept as other', async () => {
    expect(await parseCallbackXml(head('enter_agent', '') + '</xml>')).toMatchObject({ kind: 'other', event: 'enter_agent' });
  });

  it.each([['not xml at all'], ['<xml><unclosed></xml>'], ['<notxml><MsgType>event</MsgType></notxml>'], ['<xml><Foo>1</Foo></xml>']])('rejects %s', async (bad) => {
    await expect(parseCallbackXml(bad)).rejects.toMatchObject({ code: 'malformed_xml' });
  });
});

describe('the flat fast path agrees with xml2js', () => {
  const cases: Array<[string, string, boolean]> = [
    // [name, xml, fast path expected to take it]
    ['CDATA and text children', '<xml><ToUserName><![CDATA[ww1]]></ToUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[event]]></MsgType></xml>', true],
    ['newlines and indentation', '\n<xml>\n  <MsgType><![CDATA[text]]></MsgType>\n  <Content><![CDATA[ hi there ]]></Content>\n</xml>\n', true],
    ['empty elements', '<xml><MsgType>event</MsgType><State></State><X><![CDATA[]]></X></xml>', true],
    ['blank element', '<xml><MsgType>event</MsgType><Source>   </Source></xml>', false],
    ['CDATA holding markup', '<xml><MsgType>text</MsgType><Content><![CDATA[<b>&amp;</b> ]] >]]></Content></xml>', true],
    ['unicode text', '<xml><MsgType>text</MsgType><Content><![CDATA[你好 👋]]></Content><Name>李伟</Name></xml>', true],
    ['entities in text', '<xml><MsgType>text</MsgType><Content>a &amp; b &lt;c&gt;</Content></xml>', false],
    ['nested items', '<xml><MsgType>event</MsgType><MemChangeList><Item>wm1</Item><Item>wm2</Item></MemChangeList></xml>', false],
    ['repeated element', '<xml><MsgType>event</MsgType><Department>1</Department><Department>2</Department></xml>', false],
    ['attributes', '<xml><MsgType a="1">event</MsgType></xml>', false],
    ['declaration', '<?xml version="1.0"?><xml><MsgType>event</MsgType></xml>', false],
    ['comment', '<xml><!-- c --><MsgType>event</MsgType></xml>', false],
    ['self-closing', '<xml><MsgType>event</MsgType><State/></xml>', false],
    ['two CDATA sections', '<xml><MsgType><![CDATA[ev]]><![CDATA[ent]]></MsgType></xml>', false],
    ['namespaced name', '<xml><a:MsgType>event</a:MsgType></xml>', false],
    ['control character', '<xml><MsgType>ev\u0001ent</MsgType></xml>', false],
    ['whitespace-only CDATA', '<xml><MsgType>event</MsgType><X><![CDATA[  ]]></X></xml>', false],
    ['__proto__ element', '<xml><__proto__>x</__proto__><MsgType>event</MsgType></xml>', false],
    ['a second root after the first', '<xml><MsgType>event</MsgType></xml><xml></xml>', false],
    ['text beside elements', '<xml>text<MsgType>event</MsgType></xml>', false],
  ];
  it.each(cases)('%s', async (_name, xml, fast) => {
    const flat = flatPayloadFields(xml);
    expect(flat !== undefined).toBe(fast);
    const strict = await parseStringPromise(xml, { explicitArray: false, trim: true, explicitRoot: true }).then((d) => d?.xml, () => 'rejected');
    if (flat) expect({ ...flat }).toEqual(strict);
    const either = await payloadFields(xml).then((x) => ({ ...x }), () => 'rejected');
    expect(either).toEqual(strict === 'rejected' ? 'rejected' : { ...strict });
  });

  it.each([
    ['<xml><MsgType>event</MsgType>'], ['<xml><MsgType>event</msgtype></xml>'], ['<xml><MsgType><![CDATA[event]]</MsgType></xml>'], ['<xml><MsgType>ev<ent</MsgType></xml>'],
  ])('leaves malformed input to xml2js: %s', async (bad) => {
    expect(flatPayloadFields(bad)).toBeUndefined();
    await expect(payloadFields(bad, { fast: false })).rejects.toMatchObject({ code: 'malformed_xml' });
  });
});
