import { getTestDb } from '../helpers/db';
import { eventually, getJson } from '../helpers/service';
import { settle, startWorld, syncNow, type TestWorld } from '../helpers/world';

let database: Awaited<ReturnType<typeof getTestDb>>;
beforeAll(async () => (database = await getTestDb()));
afterAll(() => database.close());

// Simulated time moves in these tests: callbacks carry simulated timestamps.
const env = { WECOM_CALLBACK_MAX_SKEW_S: '0', HANDOVER_AUTO_CONFIRM: 'true', HANDOVER_POLL_S: '1' };

const cases: Array<{ name: string; env: Record<string, string>; departed: RegExp; takeover: RegExp; summary: RegExp; notOther: RegExp }> = [
  {
    name: 'zh-CN by default', env: {},
    departed: /^【Lifelong】.+已离职，其 \d+ 位客户.*待交接/,
    takeover: /^【Lifelong】您已接手 \d+ 位客户.*（原负责人：.+）：.+。请尽快与客户打个招呼。$/,
    summary: /^【Lifelong】.+的交接 #\d+ 已结束：成功 \d+ 项/,
    notOther: /\[Lifelong\]|has left|look after/,
  },
  {
    name: 'English with LOCALE=en', env: { LOCALE: 'en' },
    departed: /^\[Lifelong\] .+ has left\. \d+ customers?.* awaits? handover in Lifelong\.$/,
    takeover: /^\[Lifelong\] You now look after \d+ customers?.* from .+: .+\. Say hello soon\.$/,
    summary: /^\[Lifelong\] Handover #\d+ of .+'s customers and groups is finished: \d+ succeeded/,
    notOther: /【Lifelong】|离职|接手/,
  },
];

describe.each(cases)('app messages to employees, $name', (c) => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startWorld(database, { seed: 79, env: { ...env, ...c.env } });
    await syncNow(w);
  });
  afterAll(() => w.close());

  it('arrive in WeCom (the simulator) in the configured language: departure alert, takeover notice, summary', async () => {
    const t = w.sim.truth();
    const load = (u: string) => t.relations.filter((r) => r.userid === u).length;
    const leaver = t.employees.filter((e) => e.customerContact && e.leftAt === undefined).map((e) => e.userid).sort((a, b) => load(b) - load(a))[0]!;
    w.sim.act('employeeLeaves', { userid: leaver });
    await settle(w);
    const plan = await eventually(async () => {
      const { body } = await getJson(`${w.service.url}/api/handovers`);
      const p = body.items.find((x: any) => x.from === leaver);
      return p?.status === 'confirmed' && p.counts.waiting ? p : undefined;
    });
    w.sim.advanceTime(25 * 3600_000);
    await eventually(async () => (await getJson(`${w.service.url}/api/handovers/${plan.id}`)).body.status === 'completed', 15_000);
    await settle(w);

    const texts = w.sim.appMessages.map((m) => ({ to: m.touser, text: (m.body as any).text.content as string }));
    expect(texts.filter((m) => c.departed.test(m.text))).toHaveLength(1);
    const notice = texts.filter((m) => c.takeover.test(m.text));
    expect(notice).toEqual([{ to: [plan.takeovers[0]], text: expect.any(String) }]);
    expect(texts.filter((m) => c.summary.test(m.text)).length).toBe(1);
    // Nothing in the other language.
    expect(texts.filter((m) => c.notOther.test(m.text))).toEqual([]);
  });
});
