/**
 * Issue 13 bad input: PostgreSQL briefly unreachable. The platform runs on PostgreSQL through a TCP relay the test
 * can cut (every connection dropped, new ones refused); meanwhile the API answers 503 DATABASE_UNAVAILABLE (never a
 * 500, never a crash), the health check says degraded, and once the database is back the same data is there and
 * writes work again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { startTestApp, type TestApp } from '../helpers/platform.js';

class Relay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  async open(target: number, port = 0): Promise<void> {
    this.server = createServer((c) => {
      const up = connect(target, '127.0.0.1');
      for (const s of [c, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }
  async cut(): Promise<void> {
    await new Promise<void>((r) => {
      this.server?.close(() => r());
      for (const s of this.sockets) s.destroy();
    });
  }
}

describe('PostgreSQL briefly unreachable', { timeout: 90_000 }, () => {
  const relay = new Relay();
  let db: TestDatabase;
  let t: TestApp;
  before(async () => {
    db = await freshDatabase('postgres');
    await relay.open(5432);
    const u = new URL(db.url);
    u.port = String(relay.port);
    t = await startTestApp('postgres', { SHARPEYE_DATABASE_URL: u.toString() });
  });
  after(async () => {
    await t?.close().catch(() => undefined);
    await relay.cut().catch(() => undefined);
    await db?.drop();
  });

  it('answers 503 DATABASE_UNAVAILABLE while it is away and serves the same data when it returns', async () => {
    const add = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001320000099', name: 'before outage' } });
    assert.equal(add.statusCode, 201, add.body);
    const port = relay.port;
    await relay.cut();
    const during = await t.app.inject({ method: 'GET', url: '/api/v1/devices', headers: t.admin });
    assert.equal(during.statusCode, 503, during.body);
    assert.equal(during.json().code, 'DATABASE_UNAVAILABLE');
    const write = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001320000098', name: 'during outage' } });
    assert.equal(write.statusCode, 503, write.body);
    const health = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    assert.equal(health.statusCode, 503);
    await relay.open(5432, port);
    let back = await t.app.inject({ method: 'GET', url: '/api/v1/devices', headers: t.admin });
    for (let i = 0; i < 20 && back.statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      back = await t.app.inject({ method: 'GET', url: '/api/v1/devices', headers: t.admin });
    }
    assert.equal(back.statusCode, 200, back.body);
    const ids = back.json().items.map((d: { id: string }) => d.id);
    assert.ok(ids.includes('35020000001320000099') && !ids.includes('35020000001320000098'), `devices after the outage: ${ids}`);
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/devices', headers: t.admin, payload: { id: '35020000001320000097', name: 'after outage' } });
    assert.equal(again.statusCode, 201, again.body);
  });
});
