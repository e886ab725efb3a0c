import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DOMAIN, MiniPlatform, PASSWORD, SERVER_ID } from './mini-platform.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/sharpeye-sim.mjs');

test('sharpeye-sim --help prints the usage and exits 0; bad flags exit 2', () => {
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--server HOST:PORT/);
  assert.match(help.stdout, /--channels-per-device M/);
  const bad = spawnSync(process.execPath, [BIN, '--devices', '1'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /missing --server/);
});

test('sharpeye-sim registers, prints a stats line per second and unregisters on SIGINT', { timeout: 30_000 }, async () => {
  const platform = await MiniPlatform.start();
  try {
    const p = spawn(process.execPath, [BIN, '--server', platform.address, '--server-id', SERVER_ID, '--domain', DOMAIN, '--password', PASSWORD,
      '--devices', '2', '--channels-per-device', '3', '--stats', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const l of out.split('\n').slice(0, -1)) {
          const j = JSON.parse(l) as Record<string, unknown>;
          if (j.registered === 2) resolve(j);
        }
      });
      void exited.then(() => reject(new Error(`exited early: ${err}`)));
    });
    for (const k of ['t', 'registered', 'registering', 'failed', 'keepalivesSent', 'keepaliveErrors', 'queriesAnswered', 'sipSent', 'sipReceived', 'retransmits', 'rssMB']) {
      assert.ok(k in line, `stats line has ${k}`);
    }
    assert.deepEqual(Object.keys(line).slice(0, 11), ['t', 'registered', 'registering', 'failed', 'keepalivesSent', 'keepaliveErrors', 'queriesAnswered', 'sipSent', 'sipReceived', 'retransmits', 'rssMB']);
    assert.equal(line.streams, 0, 'media stream count (no --media)');
    assert.equal(line.mediaKbps, 0);
    assert.equal(platform.registrations.size, 2);
    assert.ok([...platform.registrations.keys()].every((id) => /^35020000001180000\d{3}$/.test(id)), 'NVR IDs (118) when M > 1');
    p.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.equal(platform.registrations.size, 0);
    assert.equal(platform.unregistered.length, 2);
  } finally {
    await platform.close();
  }
});
