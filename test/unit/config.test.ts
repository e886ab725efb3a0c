import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig, unknownEnvKeys } from '../../src/config/index.js';
import { AppError } from '../../src/core/errors.js';

test('defaults match CONTRACT.md', () => {
  const c = loadConfig({}, '/srv/x');
  assert.equal(c.dataDir, '/srv/x/data');
  assert.equal(c.databaseUrl, 'sqlite:///srv/x/data/sharpeye.db');
  assert.equal(c.httpPort, 8080);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.sipPort, 5060);
  assert.equal(c.sipId, '35020000002000000001');
  assert.equal(c.sipDomain, '3502000000');
  assert.equal(c.sipPassword, '12345678');
  assert.equal(c.sipAutoAdmit, true);
  assert.deepEqual({ ...c.rtpPortRange }, { min: 30000, max: 30999 });
  assert.equal(c.rtspPort, 8554);
  assert.equal(c.rtmpPort, 1935);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.tz, 'Asia/Shanghai');
  assert.equal(c.role, 'all');
  assert.ok(Object.isFrozen(c));
});

test('bad values name the key', () => {
  const cases: [Record<string, string>, string][] = [
    [{ SHARPEYE_HTTP_PORT: 'abc' }, 'SHARPEYE_HTTP_PORT'],
    [{ SHARPEYE_SIP_ID: '123' }, 'SHARPEYE_SIP_ID'],
    [{ SHARPEYE_SIP_DOMAIN: '35020' }, 'SHARPEYE_SIP_DOMAIN'],
    [{ SHARPEYE_RTP_PORT_RANGE: '40000-30000' }, 'SHARPEYE_RTP_PORT_RANGE'],
    [{ SHARPEYE_SIP_AUTO_ADMIT: 'maybe' }, 'SHARPEYE_SIP_AUTO_ADMIT'],
    [{ SHARPEYE_TZ: 'Mars/Base' }, 'SHARPEYE_TZ'],
    [{ SHARPEYE_ROLE: 'media' }, 'SHARPEYE_NATS_URL'],
    [{ SHARPEYE_DATABASE_URL: 'mysql://x' }, 'SHARPEYE_DATABASE_URL'],
    [{ SHARPEYE_LOG_LEVEL: 'loud' }, 'SHARPEYE_LOG_LEVEL'],
  ];
  for (const [env, key] of cases) {
    assert.throws(
      () => loadConfig(env, '/tmp'),
      (e: unknown) => e instanceof AppError && e.code === 'CONFIG_INVALID' && e.message.includes(key),
      key,
    );
  }
});

test('config file holds the same keys; the environment wins; unknown keys are refused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'se-cfg-'));
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ SHARPEYE_HTTP_PORT: 9000, SHARPEYE_SIP_PORT: 5070, SHARPEYE_SIP_AUTO_ADMIT: false }));
  const c = loadConfig({ SHARPEYE_CONFIG: file, SHARPEYE_SIP_PORT: '5080' }, dir);
  assert.equal(c.httpPort, 9000);
  assert.equal(c.sipPort, 5080);
  assert.equal(c.sipAutoAdmit, false);
  writeFileSync(file, JSON.stringify({ SHARPEYE_HTTP_PROT: 1 }));
  assert.throws(() => loadConfig({ SHARPEYE_CONFIG: file }, dir), /SHARPEYE_HTTP_PROT/);
  assert.deepEqual(unknownEnvKeys({ SHARPEYE_HTTP_PROT: '1', SHARPEYE_TZ: 'UTC', PATH: '/bin' }), ['SHARPEYE_HTTP_PROT']);
});
