import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoCredentials, demoSecrets, resetDemoData, DEMO_SECRETS_FILE, DEMO_WORLD_FILE } from '../../src/demo';
import { loadConfig } from '../../src/lib/config';
import { DEMO_CALLBACK_AES_KEY, DEMO_CALLBACK_TOKEN, DEMO_CONTACT_SECRET } from '../../src/simulator';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lifelong-democfg-'));

describe('demo mode on a network', () => {
  it('listens on the loopback unless HOST is set; a configured corp keeps 0.0.0.0', () => {
    const dir = tmp();
    expect(loadConfig({ DATA_DIR: dir }, demoCredentials).HOST).toBe('127.0.0.1');
    expect(loadConfig({ DATA_DIR: dir, HOST: '0.0.0.0' }, demoCredentials).HOST).toBe('0.0.0.0');
    const real = { WECOM_CORP_ID: 'wwreal', WECOM_CALLBACK_TOKEN: 't', WECOM_CALLBACK_AES_KEY: 'a'.repeat(43), ADMIN_TOKEN: 'x' };
    expect(loadConfig(real).HOST).toBe('0.0.0.0');
    expect(loadConfig({ ...real, HOST: '10.0.0.5' }).HOST).toBe('10.0.0.5');
  });

  it('generates callback and simulator secrets per data directory, keeps them (0600), never the constants in the source', () => {
    const a = tmp();
    const b = tmp();
    const ca = loadConfig({ DATA_DIR: a }, demoCredentials);
    const cb = loadConfig({ DATA_DIR: b }, demoCredentials);
    expect(ca.callback.token).not.toBe(DEMO_CALLBACK_TOKEN);
    expect(ca.callback.aesKey).not.toBe(DEMO_CALLBACK_AES_KEY);
    expect(ca.WECOM_CONTACT_SECRET).not.toBe(DEMO_CONTACT_SECRET);
    expect(ca.callback.aesKey).toMatch(/^[a-zA-Z0-9]{43}$/);
    expect(ca.callback.token).not.toBe(cb.callback.token);
    expect(ca.callback.aesKey).not.toBe(cb.callback.aesKey);
    expect(ca.adminToken).not.toBe(cb.adminToken);
    // A restart on the same directory gets the same secrets (and the same admin token).
    const again = loadConfig({ DATA_DIR: a }, demoCredentials);
    expect(again.callback).toEqual(ca.callback);
    expect(again.adminToken).toBe(ca.adminToken);
    // ADMIN_TOKEN still wins when given.
    expect(loadConfig({ DATA_DIR: a, ADMIN_TOKEN: 'mine' }, demoCredentials).adminToken).toBe('mine');
    expect(fs.statSync(path.join(a, DEMO_SECRETS_FILE)).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged secrets file rather than silently making new ones', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, DEMO_SECRETS_FILE), '{"callbackToken": 1}');
    expect(() => demoSecrets(dir)).toThrow(/not a valid demo secrets file/);
  });

  it('a reset removes the database and the simulated corp together, and nothing else', () => {
    const dir = tmp();
    demoSecrets(dir);
    for (const f of ['PG_VERSION', 'postgresql.conf', DEMO_WORLD_FILE, 'notes.txt']) fs.writeFileSync(path.join(dir, f), 'x');
    for (const d of ['base', 'global', 'pg_wal', 'my-backups']) fs.mkdirSync(path.join(dir, d));
    const removed = resetDemoData(dir).sort();
    expect(removed).toEqual(['PG_VERSION', 'base', 'global', 'pg_wal', 'postgresql.conf', DEMO_WORLD_FILE].sort());
    expect(fs.readdirSync(dir).sort()).toEqual([DEMO_SECRETS_FILE, 'my-backups', 'notes.txt'].sort());
  });
});
