import http from 'node:http';
import os from 'node:os';
import { getTestDb } from '../helpers/db';
import { startTestService, testConfig } from '../helpers/service';
import type { Database } from '../../src/db/connection';
import type { Service } from '../../src/service';

/** A non-loopback address of this machine, if it has one (so a request arrives from "the network"). */
const lanAddress = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const get = (url: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

describe('/metrics is not for the open network', () => {
  let database: Database;
  const services: Service[] = [];
  beforeAll(async () => {
    database = await getTestDb();
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await database.close();
  });

  it('without METRICS_TOKEN answers on the loopback only; a proxied request counts as remote', async () => {
    const s = await startTestService(database, testConfig({ HOST: '0.0.0.0' }), { worker: false });
    services.push(s);
    const port = new URL(s.url).port;
    const local = await get(`http://127.0.0.1:${port}/metrics`);
    expect(local.status).toBe(200);
    expect(local.body).toContain('lifelong_');
    // Every work queue (and mirror lease) reports its rows by status, read from the database on scrape.
    for (const queue of ['events', 'sync', 'app_messages', 'tag_changes', 'handover', 'campaign_runs', 'campaign_dispatch', 'campaign_results', 'channel_mirror', 'group_welcome_mirror']) {
      expect(local.body).toMatch(new RegExp(`lifelong_work_rows\\{queue="${queue}",status="\\w+"\\} \\d+`));
      expect(local.body).toMatch(new RegExp(`lifelong_work_oldest_due_seconds\\{queue="${queue}"\\} [\\d.e+-]+`));
    }
    const proxied = await get(`http://127.0.0.1:${port}/metrics`, { 'x-forwarded-for': '203.0.113.9' });
    expect(proxied.status).toBe(403);
    expect(JSON.parse(proxied.body).error.code).toBe('forbidden');
    if (lanAddress) {
      const remote = await get(`http://${lanAddress}:${port}/metrics`);
      expect(remote.status).toBe(403);
      // The probes stay open: orchestrators call them from outside.
      expect((await get(`http://${lanAddress}:${port}/healthz`)).status).toBe(200);
    }
  });

  it('with METRICS_TOKEN wants it as a bearer token, from anywhere', async () => {
    const s = await startTestService(database, testConfig({ HOST: '0.0.0.0', METRICS_TOKEN: 'scrape-me-please' }), { worker: false });
    services.push(s);
    const port = new URL(s.url).port;
    expect((await get(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    expect((await get(`http://127.0.0.1:${port}/metrics`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`http://127.0.0.1:${port}/metrics`, { authorization: 'Bearer scrape-me-please' })).status).toBe(200);
    if (lanAddress) expect((await get(`http://${lanAddress}:${port}/metrics`, { authorization: 'Bearer scrape-me-please' })).status).toBe(200);
  });
});
