/**
 * `GET /metrics` (issue 14 §4): the bearer token when configured, every documented series in a scrape (series.ts and
 * docs/operations.md agree), real values from two simulated devices registering and keeping alive, the API duration
 * histogram, a second registry in the same process; and `GET /api/v1/status` with every component.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { PlatformMetrics } from '../../src/ops/metrics/platform-metrics.js';
import { SERIES } from '../../src/ops/metrics/series.js';
import { Simulator } from '../../src/sim/simulator.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** value of one sample line: `name{a="b",...} v` with the given labels (all must match) */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

describe('metrics and status', () => {
  let t: TestApp;
  let sim: Simulator;
  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => t.app.inject({ method: 'GET', url: '/metrics', headers });

  before(async () => {
    t = await startTestApp('sqlite', { SHARPEYE_METRICS_TOKEN: TOKEN });
    sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 2, channelsPerDevice: 1, idStart: 81, keepalive: 1, log: createLogger('silent') });
    await sim.start();
    await sim.whenAllRegistered(10_000);
  });
  after(async () => {
    await sim?.stop();
    await t?.close();
  });

  test('the token is required when configured', async () => {
    assert.equal((await scrape({})).statusCode, 401);
    assert.equal((await scrape({})).json().code, 'METRICS_TOKEN_INVALID');
    assert.equal((await scrape({ authorization: 'Bearer wrong-token-0123456789abcdef' })).statusCode, 401);
    assert.equal((await scrape({ authorization: `Bearer ${t.admin.authorization.slice(7)}` })).statusCode, 401, 'a session token is not the metrics token');
    const ok = await scrape();
    assert.equal(ok.statusCode, 200);
    assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  });

  test('every documented series is exposed, with values from the running platform', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/devices', headers: t.admin });
    await t.app.inject({ method: 'GET', url: '/api/v1/devices/00000000000000000000', headers: t.admin });
    // keepalives every second from each device
    const t0 = Date.now();
    while (Date.now() - t0 < 5000 && (t.platform.gb!.keepalives ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));
    const text = (await scrape()).body;
    const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const [name, type] of SERIES) {
      assert.ok(text.includes(`# HELP ${name} `), `${name} missing from /metrics`);
      assert.ok(text.includes(`# TYPE ${name} ${type}`), `${name} is not a ${type}`);
      assert.ok(docs.includes(`\`${name}\``), `${name} missing from docs/operations.md`);
    }
    assert.ok(text.includes('# HELP sharpeye_process_resident_memory_bytes'), 'default process metrics');
    assert.equal(sample(text, 'sharpeye_devices_registered'), 2);
    assert.equal(sample(text, 'sharpeye_devices_online'), 2);
    assert.equal(sample(text, 'sharpeye_devices_total'), 2);
    assert.ok(sample(text, 'sharpeye_sip_messages_total', { direction: 'in', type: 'request', method: 'REGISTER' })! >= 2);
    assert.ok(sample(text, 'sharpeye_sip_messages_total', { direction: 'out', type: 'response', method: 'REGISTER' })! >= 2);
    assert.ok(sample(text, 'sharpeye_sip_messages_total', { direction: 'out', type: 'request', method: 'MESSAGE' })! >= 1, 'catalog queries sent');
    assert.ok(sample(text, 'sharpeye_gb_registers_total')! >= 2);
    assert.ok(sample(text, 'sharpeye_gb_keepalives_total')! >= 2);
    assert.equal(sample(text, 'sharpeye_api_request_duration_seconds_count', { method: 'GET', route: '/api/v1/devices', status: '200' }), 1);
    assert.equal(sample(text, 'sharpeye_api_request_duration_seconds_count', { method: 'GET', route: '/api/v1/devices/:id', status: '404' }), 1);
    const [root] = t.platform.config.recordDirs;
    assert.ok(sample(text, 'sharpeye_storage_free_bytes', { path: root })! > 0);
    assert.equal(sample(text, 'sharpeye_storage_ok', { path: root }), 1);
    assert.equal(sample(text, 'sharpeye_streams', { kind: 'live' }), 0);
    assert.ok(sample(text, 'sharpeye_event_loop_delay_seconds', { quantile: '0.99' })! >= 0);
    if (t.platform.nodes) assert.equal(sample(text, 'sharpeye_node_up', { node: t.platform.config.nodeId }), 1);
    // counters never go down between scrapes
    const again = (await scrape()).body;
    assert.ok(sample(again, 'sharpeye_gb_registers_total')! >= sample(text, 'sharpeye_gb_registers_total')!);
  });

  test('a second platform registry in the same process keeps its own series', async () => {
    const other = new PlatformMetrics({ store: t.platform.store, log: createLogger('silent') });
    try {
      other.observeRequest('GET', '/api/v1/x', 200, 0.01);
      const text = await other.text();
      assert.equal(sample(text, 'sharpeye_api_request_duration_seconds_count', { route: '/api/v1/x' }), 1);
      assert.equal(sample(text, 'sharpeye_devices_registered'), 0, 'no signalling on this one');
      assert.equal(sample(text, 'sharpeye_devices_total'), 2, 'reads the same database');
      assert.equal(sample((await scrape()).body, 'sharpeye_api_request_duration_seconds_count', { route: '/api/v1/x' }), undefined);
    } finally {
      other.close();
    }
  });

  test('GET /api/v1/status reports every component', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/status', headers: t.admin });
    assert.equal(r.statusCode, 200);
    const s = r.json();
    const byId = Object.fromEntries(s.components.map((c: any) => [c.id, c]));
    assert.equal(byId.database.state, 'ok');
    assert.equal(byId.sip.state, 'ok');
    assert.match(byId.sip.message, /2 registered, 2 online/);
    assert.ok(s.components.some((c: any) => c.group === 'media' && c.state === 'ok'));
    assert.ok(s.components.some((c: any) => c.group === 'storage' && c.state !== 'down'));
    assert.equal(byId.ffmpeg.state, 'ok');
    assert.match(byId.ffmpeg.message, /ffmpeg version/);
    assert.equal(byId.nats.message.startsWith('not used'), true);
    assert.equal(byId.redis.message.startsWith('not used'), true);
    assert.equal(byId.s3, undefined, 'S3 not configured');
    for (const c of s.components) assert.ok(['ok', 'degraded', 'down'].includes(c.state), c.id);
    assert.ok(['ok', 'degraded'].includes(s.overall));
    assert.ok(Array.isArray(s.nodes));
  });
});
