import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../helpers/platform.js';
import { DIALECTS } from '../helpers/databases.js';

for (const dialect of DIALECTS) {
  describe(`auth (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
    });
    after(() => t.close());

    test('health needs no login; API needs a token', async () => {
      const h = await t.app.inject({ url: '/api/v1/health' });
      assert.equal(h.statusCode, 200);
      assert.equal(h.json().status, 'ok');
      const r = await t.app.inject({ url: '/api/v1/devices' });
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().code, 'AUTH_REQUIRED');
      const bad = await t.app.inject({ url: '/api/v1/devices', headers: { authorization: 'Bearer nope' } });
      assert.equal(bad.json().code, 'AUTH_TOKEN_INVALID');
    });

    test('unknown endpoints answer ROUTE_NOT_FOUND', async () => {
      const r = await t.app.inject({ url: '/api/v1/nope', headers: t.admin });
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().code, 'ROUTE_NOT_FOUND');
    });

    test('five failed logins lock the account for 15 minutes; unlock by admin', async () => {
      const create = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'locky', password: 'Lock@12345' } });
      assert.equal(create.statusCode, 201, create.body);
      for (let i = 1; i <= 4; i++) {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'locky', password: 'wrong' } });
        assert.equal(r.json().code, 'AUTH_INVALID_CREDENTIALS');
      }
      const fifth = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'locky', password: 'wrong' } });
      assert.equal(fifth.statusCode, 423);
      assert.equal(fifth.json().code, 'AUTH_ACCOUNT_LOCKED');
      // even the right password is refused while locked
      const right = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'locky', password: 'Lock@12345' } });
      assert.equal(right.json().code, 'AUTH_ACCOUNT_LOCKED');
      t.clock.advance(15 * 60 * 1000 + 1000);
      const later = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'locky', password: 'Lock@12345' } });
      assert.equal(later.statusCode, 200, later.body);
    });

    test('password policy rejects weak passwords with a clear code', async () => {
      for (const pw of ['short1!', 'alllowercase1', 'weakuser@A1']) {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'weakuser', password: pw } });
        assert.equal(r.statusCode, 400, pw);
        assert.equal(r.json().code, 'PASSWORD_POLICY', pw);
      }
    });

    test('logout revokes the token; password change revokes other sessions', async () => {
      await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'sess', password: 'Pw@Abc12345' } });
      const a = await t.login('sess', 'Pw@Abc12345');
      const b = await t.login('sess', 'Pw@Abc12345');
      const ch = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: a, payload: { oldPassword: 'Pw@Abc12345', newPassword: 'Pw@Xyz67890' } });
      assert.equal(ch.statusCode, 204, ch.body);
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: b })).statusCode, 401);
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: a })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: a })).statusCode, 204);
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: a })).statusCode, 401);
    });

    test('disabling a user cuts their sessions', async () => {
      const u = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: t.admin, payload: { username: 'gone', password: 'Pw@Abc12345' } });
      const h = await t.login('gone', 'Pw@Abc12345');
      await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.json().id}`, headers: t.admin, payload: { enabled: false } });
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: h })).statusCode, 401);
      const again = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'gone', password: 'Pw@Abc12345' } });
      assert.equal(again.json().code, 'AUTH_ACCOUNT_DISABLED');
    });

    test('tokens expire after the session TTL', async () => {
      const h = await t.login('admin', ADMIN_PASSWORD);
      t.clock.advance(13 * 3600 * 1000);
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: h })).statusCode, 401);
      t.admin = await t.login('admin', ADMIN_PASSWORD);
    });

    test('API keys act with scoped permissions and can be revoked', async () => {
      const k = await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: t.admin, payload: { name: 'bureau', scopes: ['basic:read'] } });
      assert.equal(k.statusCode, 201, k.body);
      const key = k.json().key as string;
      assert.match(key, /^sk_/);
      const list = await t.app.inject({ url: '/api/v1/devices', headers: { 'x-api-key': key } });
      assert.equal(list.statusCode, 200);
      const forbidden = await t.app.inject({ url: '/api/v1/users', headers: { 'x-api-key': key } });
      assert.equal(forbidden.statusCode, 403);
      assert.equal(forbidden.json().code, 'FORBIDDEN');
      await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.json().id}`, headers: t.admin });
      assert.equal((await t.app.inject({ url: '/api/v1/devices', headers: { 'x-api-key': key } })).statusCode, 401);
      const badScope = await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: t.admin, payload: { name: 'x', scopes: ['root'] } });
      assert.equal(badScope.statusCode, 400);
    });
  });
}
