import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MEDIA_ROUTES } from '../../src/security/sensitive-channels.js';
import { DIALECTS } from '../helpers/databases.js';
import { startCapturedApp } from './harness.js';

const DEV = '35020000001320000001';
const SENSITIVE = '35020000001310000001';
const PLAIN = '35020000001310000002';
const SECRETS = { device: 'Dev-Secret-4711', upper: 'Upper-Secret-4711', bureau: 'Bureau-Secret-4711' };
const RANGE = { start: '2026-11-24T00:00:00Z', end: '2026-11-24T01:00:00Z' };

/** Every media route with a request that reaches it; `reason` goes where the route takes it. */
function mediaRequests(ch: string, reason?: string) {
  const q = reason ? `&reason=${encodeURIComponent(reason)}` : '';
  const withReason = <T extends object>(b: T) => (reason ? { ...b, reason } : b);
  return [
    { method: 'POST' as const, url: `/api/v1/channels/${ch}/live`, payload: withReason({}) },
    { method: 'POST' as const, url: `/api/v1/channels/${ch}/playback`, payload: withReason(RANGE) },
    { method: 'GET' as const, url: `/api/v1/channels/${ch}/download?start=${RANGE.start}&end=${RANGE.end}${q}` },
    { method: 'POST' as const, url: `/api/v1/channels/${ch}/device-downloads`, payload: withReason(RANGE) },
    // no body schema: the reason in the header, URL-encoded
    { method: 'POST' as const, url: `/api/v1/channels/${ch}/snapshot`, headers: reason ? { 'x-access-reason': encodeURIComponent(reason) } : {} },
    { method: 'POST' as const, url: `/api/v1/channels/${ch}/snapshots`, payload: withReason({ count: 1, intervalMs: 1000 }) },
    { method: 'POST' as const, url: `/api/v1/channels/${ch}/snapshot-upload`, payload: withReason({ send: false }) },
  ];
}

/** `/channels/:id/...` routes that hand out no media (checked so a new media route must be classified). */
const NOT_MEDIA = new Set(['record-plan', 'records', 'push-url', 'ptz', 'presets', 'cruise', 'scan', 'drag-zoom', 'home-position', 'watermark', 'quality-checks', 'quality-check' /* flags only, no picture */]);

for (const kind of DIALECTS) {
  describe(`R11 security controls (${kind})`, () => {
    let t: Awaited<ReturnType<typeof startCapturedApp>>;
    const h: Record<string, Record<string, string>> = {};
    const ids: Record<string, string> = {};
    const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => t.app.inject({ method, url: `/api/v1${url}`, headers: h[who], ...(payload ? { payload } : {}) });
    const bodies: string[] = [];

    before(async () => {
      t = await startCapturedApp(kind, { SHARPEYE_LOGIN_RATE: '5', SHARPEYE_SEED_RATE: '2' });
      h.admin = t.admin;
      const must = async (p: Promise<{ statusCode: number; body: string; json(): any }>, status = 201) => {
        const r = await p;
        assert.equal(r.statusCode, status, r.body);
        bodies.push(r.body);
        return r.json();
      };
      await must(call('admin', 'POST', '/devices', { id: DEV, name: '大门', password: SECRETS.device }));
      await must(call('admin', 'POST', '/channels', { id: SENSITIVE, deviceId: DEV, name: '机要室', sensitive: true }));
      await must(call('admin', 'POST', '/channels', { id: PLAIN, deviceId: DEV, name: '大厅' }));
      const watch = await must(call('admin', 'POST', '/roles', { name: '值班', permissions: ['device.view', 'live.view', 'playback.view', 'record.download', 'ptz.control'], allChannels: true }));
      const sens = await must(call('admin', 'POST', '/roles', { name: '敏感查看', permissions: ['device.view', 'live.view', 'playback.view', 'record.download', 'ptz.control', 'sensitive.view'], allChannels: true }));
      const hall = await must(call('admin', 'POST', '/roles', { name: '大厅', permissions: ['live.view', 'sensitive.view'], channelIds: [PLAIN] }));
      const users: [string, string[]][] = [['watcher', [watch.id]], ['cleared', [sens.id]], ['hall', [hall.id]], ['sys', ['role-sysadmin']], ['sec', ['role-secadmin']], ['aud', ['role-auditor']]];
      for (const [name, roleIds] of users) {
        const u = await must(call('admin', 'POST', '/users', { username: name, password: 'Kw#Blue-Ocean-88', roleIds }));
        ids[name] = u.id;
        h[name] = { authorization: (await t.login(name, 'Kw#Blue-Ocean-88')).authorization };
      }
    });
    after(async () => t?.close());

    it('a user without the sensitive-channel role obtains no URL for it on any media route', async () => {
      for (const r of mediaRequests(SENSITIVE, '例行检查')) {
        const res = await t.app.inject({ ...r, headers: { ...h.watcher, ...(r.headers ?? {}) } });
        assert.equal(res.statusCode, 403, `${r.method} ${r.url}: ${res.body}`);
        assert.equal(res.json().code, 'CHANNEL_FORBIDDEN');
        assert.doesNotMatch(res.body, /token=|uploadUrl|\.flv|m3u8/);
      }
      // the same user on an ordinary channel passes the guard (the offline device is the answer, not a refusal)
      const plain = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${PLAIN}/live`, headers: h.watcher, payload: {} });
      assert.notEqual(plain.json().code, 'CHANNEL_FORBIDDEN', plain.body);
      // outside the caller's scope the channel does not exist (no existence leak)
      const hidden = await t.app.inject({ method: 'POST', url: `/api/v1/channels/${SENSITIVE}/live`, headers: h.hall, payload: { reason: 'x'.repeat(5) } });
      assert.equal(hidden.statusCode, 404, hidden.body);
    });

    it('the named role needs a reason on every route; with one the request goes through and the reason is logged', async () => {
      for (const r of mediaRequests(SENSITIVE)) {
        const res = await t.app.inject({ ...r, headers: { ...h.cleared, ...(r.headers ?? {}) } });
        assert.equal(res.statusCode, 400, `${r.method} ${r.url}: ${res.body}`);
        assert.equal(res.json().code, 'SENSITIVE_REASON_REQUIRED');
      }
      const reason = '案件 2026-118 调阅';
      for (const r of mediaRequests(SENSITIVE, reason)) {
        const res = await t.app.inject({ ...r, headers: { ...h.cleared, ...(r.headers ?? {}) } });
        assert.ok(!['CHANNEL_FORBIDDEN', 'SENSITIVE_REASON_REQUIRED', 'VALIDATION_FAILED'].includes(res.json?.()?.code), `${r.method} ${r.url}: ${res.body}`);
        if (r.url.endsWith('snapshot-upload')) {
          assert.equal(res.statusCode, 201, res.body);
          assert.match(res.json().uploadUrl, /\/snapshots\/upload\//);
        }
      }
      const logs = await call('admin', 'GET', `/logs/user?action=sensitive.access&username=cleared&pageSize=100`);
      const ok = logs.json().items.filter((l: { result: string }) => l.result === 'ok');
      assert.equal(ok.length, MEDIA_ROUTES.length);
      assert.ok(ok.every((l: { detail: string; targetId: string }) => l.detail.endsWith(reason) && l.targetId === SENSITIVE));
      assert.deepEqual(new Set(ok.map((l: { detail: string }) => l.detail.split(':')[0])), new Set(['live', 'playback', 'download', 'snapshot']));
      const refused = await call('admin', 'GET', `/logs/user?action=sensitive.access&username=watcher&result=fail`);
      assert.equal(refused.json().total, MEDIA_ROUTES.length);
    });

    it('every /channels/:id/... route is either guarded or known to hand out no media', async () => {
      // the OpenAPI document lists every route (none of these is hidden)
      const paths = Object.keys((t.app as unknown as { swagger(): { paths: Record<string, unknown> } }).swagger().paths);
      const urls = new Set(paths.filter((p) => /^\/api\/v1\/channels\/\{id\}\/[\w-]+$/.test(p)).map((p) => p.replace('{id}', ':id')));
      assert.ok(urls.size >= MEDIA_ROUTES.length);
      for (const u of urls) {
        const tail = u.split('/').pop()!;
        assert.ok(MEDIA_ROUTES.some((m) => m.url === u) || NOT_MEDIA.has(tail), `${u}: add it to MEDIA_ROUTES (security/sensitive-channels.ts) if it hands out media, else to NOT_MEDIA here`);
      }
    });

    it('"who watched what": per channel and user, filterable and exportable; auditors only', async () => {
      // a player connection as the media wiring writes it (media-wiring.ts: reader.open / reader.close)
      const at = t.clock.now().toISOString();
      for (const [action, detail] of [['media.view.start', 'ws-flv main'], ['media.view.stop', 'ws-flv main 42 s 512 KiB (closed)']]) {
        await t.platform.store.logs.appendUser({ at, userId: ids.cleared, username: 'cleared', action, targetType: 'channel', targetId: SENSITIVE, detail, ip: '10.0.0.9', result: 'ok' });
      }
      h.auditor = h.aud;
      const r = await call('aud', 'GET', `/audit/views?channelId=${SENSITIVE}`);
      assert.equal(r.statusCode, 200, r.body);
      const rows = r.json().items as Array<Record<string, number | string>>;
      const cleared = rows.find((x) => x.username === 'cleared')!;
      assert.equal(cleared.channelName, '机要室');
      assert.deepEqual([cleared.live, cleared.playback, cleared.download, cleared.snapshot, cleared.connections, cleared.watchedSeconds, cleared.sensitive], [0, 0, 0, 1, 1, 42, 7]);
      assert.ok(Number(cleared.refused) >= 7, 'failed media attempts and reasonless tries');
      const watcher = rows.find((x) => x.username === 'watcher')!;
      assert.equal(watcher.sensitive, 0);
      assert.ok(Number(watcher.refused) >= 7);
      const byUser = await call('aud', 'GET', '/audit/views?by=user&username=watcher');
      assert.ok(byUser.json().items.length >= 2 && byUser.json().items.every((x: { username: string }) => x.username === 'watcher'));
      const csv = await call('aud', 'GET', `/audit/views?channelId=${SENSITIVE}&format=csv`);
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /csv/);
      assert.match(csv.body, /通道编码.*观看时长/);
      assert.match(csv.body, /机要室.*cleared/);
      const xlsx = await call('aud', 'GET', `/audit/views?format=xlsx`);
      assert.equal(xlsx.rawPayload.subarray(0, 2).toString(), 'PK');
      assert.equal((await call('watcher', 'GET', '/audit/views')).json().code, 'FORBIDDEN');
    });

    it('三员分立: no admin grants itself or anyone the other duties; no role or user mixes them', async () => {
      const code = async (p: Promise<{ json(): { code?: string } }>) => (await p).json().code;
      assert.equal(await code(call('sec', 'POST', '/roles', { name: 'peek', permissions: ['log.view'] })), 'SOD_VIOLATION');
      assert.equal(await code(call('sec', 'POST', '/roles', { name: 'mixed', permissions: ['user.manage', 'device.manage'] })), 'SOD_VIOLATION');
      assert.equal(await code(call('admin', 'POST', '/roles', { name: 'mixed2', permissions: ['audit.verify', 'system.config'] })), 'SOD_VIOLATION', 'even the super administrator cannot mix duties in a role');
      const own = await call('sec', 'POST', '/roles', { name: 'helpdesk', permissions: ['user.manage', 'live.view'] });
      assert.equal(own.statusCode, 201, own.body);
      assert.equal(await code(call('sec', 'PATCH', `/users/${ids.sec}`, { roleIds: ['role-secadmin', 'role-auditor'] })), 'SOD_VIOLATION', 'own roles');
      assert.equal(await code(call('sec', 'PATCH', `/users/${ids.sec}`, { roleIds: ['role-secadmin'] })), 'SOD_VIOLATION', 'own roles, even unchanged');
      assert.equal(await code(call('sec', 'PATCH', `/users/${ids.watcher}`, { roleIds: ['role-auditor'] })), 'SOD_VIOLATION', 'another duty to someone else');
      assert.equal(await code(call('sec', 'POST', '/users', { username: 'boss', password: 'Kw#Blue-Ocean-88', roleIds: ['role-admin'] })), 'SOD_VIOLATION');
      assert.equal(await code(call('admin', 'POST', '/users', { username: 'twohats', password: 'Kw#Blue-Ocean-88', roleIds: ['role-sysadmin', 'role-auditor'] })), 'SOD_VIOLATION');
      assert.equal(await code(call('admin', 'PATCH', `/users/${ids.sys}`, { roleIds: ['role-sysadmin', 'role-secadmin'] })), 'SOD_VIOLATION');
      const ok = await call('sec', 'POST', '/users', { username: 'newop', password: 'Kw#Blue-Ocean-88', roleIds: ['role-operator'] });
      assert.equal(ok.statusCode, 201, ok.body);
      // through a role's edit: the sysadmin holding a no-duty role that would gain the audit duty
      const extra = await call('admin', 'POST', '/roles', { name: 'viewer', permissions: ['live.view'] });
      assert.equal((await call('admin', 'PATCH', `/users/${ids.sys}`, { roleIds: ['role-sysadmin', extra.json().id] })).statusCode, 200);
      assert.equal(await code(call('admin', 'PATCH', `/roles/${extra.json().id}`, { permissions: ['log.view'] })), 'SOD_VIOLATION');
      // each keeps its own duty only
      assert.equal(await code(call('sys', 'GET', '/users')), 'FORBIDDEN');
      assert.equal(await code(call('aud', 'POST', '/roles', { name: 'x', permissions: [] })), 'FORBIDDEN');
      assert.equal((await call('aud', 'GET', '/logs/user/verify')).json().ok, true);
    });

    it('rate limits: login per user name and the seed image interfaces answer 429 with Retry-After', async () => {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ghost', password: 'x' } })).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 401, 401, 429]);
      const limited = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ghost', password: 'x' } });
      assert.equal(limited.json().code, 'RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      // another name from the same address still logs in
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'Admin@12345' } })).statusCode, 200);
      const seed: number[] = [];
      let last;
      for (let i = 0; i < 6; i++) {
        last = await t.app.inject({ method: 'POST', url: '/redis/rest/face/keepAlive.json', remoteAddress: '10.9.9.9', payload: { deviceID: 'x' } });
        seed.push(last.statusCode);
      }
      assert.ok(seed.slice(0, 4).every((s) => s !== 429), String(seed));
      assert.equal(seed[5], 429);
      assert.equal(last!.json().success, false);
      assert.equal(last!.json().code, 'RATE_LIMITED');
      assert.ok(last!.headers['retry-after']);
    });

    it('secure headers on API answers', async () => {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'; .*frame-ancestors 'self'/);
      assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
    });

    it('secrets: device, upper-platform and bureau passwords are sealed at rest and never in API answers or logs', async () => {
      const up = await call('admin', 'POST', '/upper-platforms', { name: '市局', serverId: '35000000002000000001', domain: '3500000000', host: '127.0.0.1', port: 5999, localId: '35020000002000000001', password: SECRETS.upper, enabled: false });
      assert.equal(up.statusCode, 201, up.body);
      const tg = await call('admin', 'POST', '/image-forward/targets', { name: '人像云', kind: 'face', url: 'http://127.0.0.1:9/redis/rest/face', username: 'lpt', password: SECRETS.bureau, enabled: false });
      assert.equal(tg.statusCode, 201, tg.body);
      bodies.push(up.body, tg.body);
      for (const u of ['/devices', `/devices/${DEV}`, '/channels', `/channels/${SENSITIVE}`, '/upper-platforms', `/upper-platforms/${up.json().id}`, '/image-forward/targets', `/image-forward/targets/${tg.json().id}`, '/logs/user?pageSize=200', '/settings', '/auth/me']) {
        const r = await call('admin', 'GET', u);
        bodies.push(r.body);
      }
      const db = t.platform.store.database.db;
      const sealed = [
        ...(await db.selectFrom('devices').select('password_sealed').execute()).map((r) => r.password_sealed),
        ...(await db.selectFrom('upper_platforms').select('password_sealed').execute()).map((r) => r.password_sealed),
        ...(await db.selectFrom('image_targets').select('password_sealed').execute()).map((r) => r.password_sealed),
      ].filter((x): x is string => !!x);
      assert.equal(sealed.length, 3);
      for (const s of sealed) assert.match(s, /^v1:/);
      const everything = bodies.join('\n');
      const logs = t.lines.join('');
      assert.ok(logs.length > 1000, 'trace logs were captured');
      for (const secret of [...Object.values(SECRETS), ...sealed, 'Kw#Blue-Ocean-88', 'Admin@12345']) {
        assert.ok(!sealed.some((s) => s.includes(secret)) || sealed.includes(secret), 'plain text not in the sealed value');
        assert.ok(!everything.includes(secret), `an API answer holds ${secret.slice(0, 8)}…`);
        assert.ok(!logs.includes(secret), `a log line holds ${secret.slice(0, 8)}…`);
      }
    });
  });
}
