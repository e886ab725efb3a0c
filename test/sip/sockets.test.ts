import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { SipSockets } from '../../src/servers/sip-transport.js';

test('a wildcard bind advertises the address each peer can reach, not 127.0.0.1 for everyone', async () => {
  const s = await SipSockets.open({ host: '0.0.0.0', port: 0, log: createLogger('silent') });
  try {
    assert.equal(s.localFor({ transport: 'UDP', address: '127.0.0.1', port: 5060 }).address, '127.0.0.1');
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (lan) {
      // a peer in our own subnet is told our address on that subnet
      assert.equal(s.localFor({ transport: 'UDP', address: lan.address, port: 5060 }).address, lan.address);
      assert.notEqual(s.local.address, '127.0.0.1');
    }
    assert.equal(s.localFor({ transport: 'UDP', address: '127.0.0.1', port: 5060 }).port, s.local.port);
  } finally {
    await s.close();
  }
  const bound = await SipSockets.open({ host: '127.0.0.1', port: 0, log: createLogger('silent') });
  assert.equal(bound.localFor({ transport: 'UDP', address: '10.1.2.3', port: 5060 }).address, '127.0.0.1', 'a specific bind address is used as is');
  await bound.close();
});
