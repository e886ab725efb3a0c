import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/core/logger.js';
import { createPlatform } from '../../src/platform.js';
import { openDatabase } from '../../src/store/db.js';
import { startCapturedApp } from './harness.js';

function get(url: string, ca?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https') ? httpsRequest : httpRequest)(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('HTTPS/WSS with a self-signed certificate generated at first start', () => {
  let t: Awaited<ReturnType<typeof startCapturedApp>>;
  after(async () => t?.close());

  it('serves HTTPS and WSS to a client trusting the generated certificate, with HSTS; refuses untrusting and plain clients', async () => {
    t = await startCapturedApp('sqlite', { SHARPEYE_TLS_SELF_SIGNED: 'true' });
    const certFile = path.join(t.dataDir, 'tls', 'cert.pem');
    const ca = readFileSync(certFile);
    assert.equal(statSync(path.join(t.dataDir, 'tls', 'key.pem')).mode & 0o077, 0, 'key file owner-only');
    assert.match(t.lines.join(''), /generated a self-signed certificate/);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;

    const r = await get(`https://127.0.0.1:${port}/api/v1/health`, ca);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const viaName = await get(`https://localhost:${port}/api/v1/health`, ca);
    assert.equal(viaName.status, 200, 'the certificate names localhost too');

    await assert.rejects(get(`https://127.0.0.1:${port}/api/v1/health`), /self[- ]signed|unable to verify/i);
    await assert.rejects(get(`http://127.0.0.1:${port}/api/v1/health`));

    // WSS: the event socket over TLS
    const token = t.admin.authorization.replace('Bearer ', '');
    const hello = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/api/v1/events?token=${token}`, { ca });
      const timer = setTimeout(() => reject(new Error('no hello over wss')), 5000);
      ws.on('message', (m) => {
        clearTimeout(timer);
        ws.close();
        resolve(String(m));
      });
      ws.on('error', reject);
    });
    assert.equal(JSON.parse(hello).type, 'hello');

    const live = await get(`https://127.0.0.1:${port}/api/v1/auth/me`, ca);
    assert.equal(live.status, 401, 'auth still required over TLS');
  });
});

describe('wrong secret key at start', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sharpeye-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = (key: string) => ({ SHARPEYE_DATA_DIR: dir, SHARPEYE_DATABASE_URL: `sqlite://${dir}/sharpeye.db`, SHARPEYE_SECRET_KEY: key, SHARPEYE_WEB_DIR: path.join(dir, 'nw'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HTTP_PORT: '0', SHARPEYE_HOST: '127.0.0.1' });

  it('refuses to start with SECRET_KEY_MISMATCH naming SHARPEYE_SECRET_KEY (in-process and the real main)', async () => {
    const good = createPlatform(loadConfig(env('a'.repeat(64))), createLogger('silent'));
    const p = await good;
    // a sealed device password, as the API stores it
    await p.store.devices.create('35020000001320000001', { name: 'cam', passwordSealed: p.secrets.seal('pw-1') }, new Date().toISOString());
    await p.close();

    await assert.rejects(createPlatform(loadConfig(env('b'.repeat(64))), createLogger('silent')), (e: { code?: string; message: string }) => e.code === 'SECRET_KEY_MISMATCH' && /SHARPEYE_SECRET_KEY/.test(e.message));

    // an older database without the check value: a stored sealed password is tried instead
    const again = openDatabase(`sqlite://${dir}/sharpeye.db`);
    await again.db.deleteFrom('settings').where('key', '=', 'secretKeyCheck').execute();
    await again.close();
    await assert.rejects(createPlatform(loadConfig(env('b'.repeat(64))), createLogger('silent')), (e: { code?: string; message: string }) => e.code === 'SECRET_KEY_MISMATCH' && /devices/.test(e.message));

    const main = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env('c'.repeat(64)) } });
    assert.equal(main.status, 1, main.stdout + main.stderr);
    assert.match(main.stderr, /SECRET_KEY_MISMATCH: .*SHARPEYE_SECRET_KEY.*Refusing to start/);
  });
});
