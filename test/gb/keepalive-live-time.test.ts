import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';
import { startTestApp } from '../helpers/platform.js';

// Keepalive times reach the database at most every 5 minutes per device (20,000 devices writing every keepalive cost
// ~2 % of a core); the device API must still show the live time of the last keepalive.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the device API shows the live keepalive time, not the archive copy written every few minutes', { timeout: 30_000 }, async () => {
  const t = await startTestApp('sqlite');
  const sim = new Simulator({ server: `127.0.0.1:${t.platform.sipPort}`, serverId: '35020000002000000001', domain: '3502000000', password: '12345678', devices: 1, channelsPerDevice: 1, keepalive: 1, log: createLogger('silent') } as never);
  try {
    await sim.start();
    const id = sim.deviceIds()[0];
    const get = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/devices/${id}`, headers: t.admin })).json() as { online: boolean; lastKeepaliveAt: string | null };
    for (let i = 0; i < 100 && !(await get()).online; i++) await sleep(100);
    const t0 = t.clock.now().getTime();
    await sleep(2500); // a first keepalive at the registration's clock time (persisted)
    t.clock.advance(90_000); // within the 5 minutes: the next keepalives are not written
    const want = new Date(t0 + 90_000).toISOString();
    let seen = '';
    for (let i = 0; i < 40 && seen !== want; i++) {
      await sleep(100);
      seen = (await get()).lastKeepaliveAt ?? '';
    }
    assert.equal(seen, want, 'single device: the live time');
    const listed = (await t.app.inject({ method: 'GET', url: `/api/v1/devices?q=${id}`, headers: t.admin })).json().items as Array<{ id: string; lastKeepaliveAt: string }>;
    assert.equal(listed.find((d) => d.id === id)?.lastKeepaliveAt, want, 'device list: the live time');
    const stored = await t.platform.store.database.db.selectFrom('devices').select('last_keepalive_at').where('id', '=', id).executeTakeFirst();
    assert.ok((stored?.last_keepalive_at ?? '') < want, `the archive copy is older (${stored?.last_keepalive_at})`);
  } finally {
    await sim.stop(2000).catch(() => undefined);
    await t.close();
  }
});
