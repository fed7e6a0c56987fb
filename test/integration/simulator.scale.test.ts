/**
 * The simulator at benchmark size: 200 employees, 100,000 customers, 1,000
 * groups seed correctly and batch/get_by_user pages through every relation.
 * How fast is bench:sync's business, not a test's.
 */
import axios from 'axios';
import {
  createSimulator, DEMO_AGENT_ID, DEMO_AGENT_SECRET, DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET,
  DEMO_CORP_ID, type Simulator,
} from '../../src/simulator';

jest.setTimeout(120_000);

describe('simulator at scale', () => {
  let sim: Simulator;

  beforeAll(() => {
    sim = createSimulator({
      corpId: DEMO_CORP_ID, agentId: DEMO_AGENT_ID,
      secrets: { contact: DEMO_CONTACT_SECRET, agent: DEMO_AGENT_SECRET },
      callback: { token: DEMO_CALLBACK_TOKEN, aesKey: DEMO_CALLBACK_AES_KEY },
      seed: 2024,
      counts: { employees: 200, customers: 100_000, groups: 1000, departments: 30, tagGroups: 10, tags: 60 },
    });
  });
  afterAll(() => sim.close());

  it('seeds 200 employees / 100,000 customers / 1,000 groups', () => {
    const s = sim.world.summary();
    expect(s).toMatchObject({ employees: 200, customers: 100_000, groups: 1000 });
    expect(s.relations).toBeGreaterThan(100_000);
  });

  it('pages every relation of all employees through batch/get_by_user', async () => {
    const { url } = await sim.listen();
    const client = axios.create({ baseURL: url, validateStatus: () => true, proxy: false });
    const token = (await client.get('/cgi-bin/gettoken', { params: { corpid: DEMO_CORP_ID, corpsecret: DEMO_CONTACT_SECRET } })).data.access_token;
    const userids = sim.world.followUsers().map((e) => e.userid);
    const expected = userids.reduce((n, u) => n + sim.world.relationsOf(u).length, 0);
    let total = 0;
    for (let i = 0; i < userids.length; i += 100) {
      let cursor = '';
      do {
        const res = await client.post('/cgi-bin/externalcontact/batch/get_by_user',
          { userid_list: userids.slice(i, i + 100), cursor, limit: 100 }, { params: { access_token: token } });
        expect(res.data.errcode).toBe(0);
        total += res.data.external_contact_list.length;
        cursor = res.data.next_cursor;
      } while (cursor);
    }
    expect(total).toBe(expected);
  });
});
