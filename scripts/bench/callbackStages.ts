/**
 * Where one callback's time goes, stage by stage, in this process (µs per
 * callback over `n` pooled callbacks): what `bench:callbacks` prints before
 * the load runs. The stages are the route's own functions, in its order.
 */
import { decrypt } from '@wecom/crypto';
import { parseStringPromise } from 'xml2js';
import { openDatabase } from '../../src/db/connection';
import { appendEvents, dedupeKeyOf } from '../../src/events';
import { parseCallbackXml } from '../../src/wecom/callback/parse';
import { envelopeCiphertext, openSealed, signature } from '../../src/wecom/callback/verify';

export interface StageSecrets {
  token: string;
  aesKey: string;
  corpId: string;
}

async function time<T>(n: number, f: (i: number) => T | Promise<T>): Promise<number> {
  for (let i = 0; i < Math.min(n, 200); i++) await f(i); // warm
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await f(i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

export async function stageBreakdown(pool: string[], s: StageSecrets, n = 2000): Promise<Array<[string, number]>> {
  const items = pool.slice(0, n).map((line) => {
    const tab = line.indexOf('\t');
    const q = Object.fromEntries(line.slice(0, tab).split('&').map((p) => p.split('=') as [string, string]));
    return { q, body: line.slice(tab + 1) };
  });
  const sealed = items.map((it) => envelopeCiphertext(it.body)!);
  const xmls = items.map((it, i) => decrypt(s.aesKey, sealed[i]!).message);
  const now = new Date();
  const secrets = { ...s, maxSkewSeconds: 300 };
  const out: Array<[string, number]> = [
    ['envelope <Encrypt> (regex)', await time(n, (i) => envelopeCiphertext(items[i]!.body))],
    ['signature (sha1)', await time(n, (i) => signature(s.token, items[i]!.q.timestamp!, items[i]!.q.nonce!, sealed[i]!))],
    ['AES decrypt (@wecom/crypto)', await time(n, (i) => decrypt(s.aesKey, sealed[i]!))],
    ['openSealed (signature + skew + decrypt + corp)', await time(n, (i) => openSealed(items[i]!.q, sealed[i], secrets, now))],
    ['payload xml2js only', await time(n, (i) => parseStringPromise(xmls[i]!, { explicitArray: false, trim: true, explicitRoot: true }))],
    ['parseCallbackXml', await time(n, (i) => parseCallbackXml(xmls[i]!))],
    ['dedupe key (sha256)', await time(n, (i) => dedupeKeyOf(xmls[i]!))],
  ];
  const events = await Promise.all(xmls.map((x) => parseCallbackXml(x)));
  const database = await openDatabase({});
  await database.migrate();
  for (const batch of [1, 20]) {
    let k = 0;
    const rounds = Math.floor(Math.min(n, 1000) / batch);
    const us = await time(rounds, async () => {
      const slice = Array.from({ length: batch }, () => {
        const i = k++;
        // Distinct rows every round (warm-up included): the key comes from the XML.
        return { corpId: `${s.corpId}-${batch}-${Math.floor(i / n)}`, xml: xmls[i % n]!, event: events[i % n]! };
      });
      await appendEvents(database.db, slice);
    });
    out.push([`insert, ${batch} per statement (PGlite in memory, per row)`, us / batch]);
  }
  await database.close();
  return out;
}
