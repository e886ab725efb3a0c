import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../src/core/logger.js';
import { Simulator } from '../../src/sim/simulator.js';

// sipp (Debian sip-tester) plays the platform: an independent SIP implementation checks the simulator's REGISTER
// (digest verified by sipp's own verifyauth), its 200 handling and its MANSCDP keepalive MESSAGE.
const SIPP = spawnSync('sh', ['-c', 'command -v sipp'], { encoding: 'utf8' }).stdout.trim();
const SCENARIO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sipp', 'platform-register-keepalive.xml');
const DEVICE = '35020000001320000001';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface SippRun {
  code: number | null;
  output: string;
  errors: string;
  /** What sipp received and sent (-trace_msg). */
  messages: string;
}

function runSipp(port: number, qop: string, timeoutS: number, cwd: string): Promise<SippRun> {
  return new Promise((resolve) => {
    const args = ['-sf', SCENARIO, '-i', '127.0.0.1', '-p', String(port), '-bind_local', '-m', '2', '-trace_err', '-trace_msg', '-nostdin',
      '-key', 'password', '12345678', '-key', 'qop', qop, '-timeout', `${timeoutS}s`, '-timeout_error'];
    const p = spawn(SIPP, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('close', (code) => {
      const read = (suffix: string) => {
        const f = readdirSync(cwd).find((n) => n.endsWith(suffix));
        return f ? readFileSync(path.join(cwd, f), 'utf8') : '';
      };
      resolve({ code, output, errors: read('_errors.log'), messages: read('_messages.log') });
    });
  });
}

async function againstSipp(opts: { qop: string; password: string; timeoutS: number }): Promise<{ run: SippRun; sim: Simulator }> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'sharpeye-sipp-'));
  try {
    const port = await freeUdpPort();
    const running = runSipp(port, opts.qop, opts.timeoutS, cwd);
    await new Promise((r) => setTimeout(r, 300)); // sipp binding; the REGISTER is retransmitted anyway
    const sim = new Simulator({
      server: `127.0.0.1:${port}`,
      serverId: '35020000002000000001',
      domain: '3502000000',
      password: opts.password,
      devices: 1,
      channelsPerDevice: 1,
      keepalive: 1,
      log: createLogger('silent'),
    });
    await sim.start();
    const run = await running;
    await sim.stop(300);
    return { run, sim };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

test('sipp as platform accepts digest REGISTER (no qop), the Date 200 and a keepalive', { skip: !SIPP && 'sipp not installed', timeout: 30_000 }, async () => {
  const { run, sim } = await againstSipp({ qop: '', password: '12345678', timeoutS: 15 });
  assert.equal(run.code, 0, `sipp failed:\n${run.errors}\n${run.output.slice(-2000)}`);
  const s = sim.stats();
  assert.equal(s.registrations, 1);
  assert.ok(s.keepalivesSent >= 1);
  assert.doesNotMatch(run.messages, /qop=/);
  assert.match(run.messages, new RegExp(`^Authorization: Digest username="${DEVICE}", realm="3502000000", nonce="[0-9a-f]+", uri="sip:35020000002000000001@3502000000"`, 'm'));
  assert.match(run.messages, new RegExp(`^From: <sip:${DEVICE}@3502000000>;tag=`, 'm'));
  assert.match(run.messages, /<CmdType>Keepalive<\/CmdType>/);
});

test('sipp as platform accepts digest REGISTER with qop=auth', { skip: !SIPP && 'sipp not installed', timeout: 30_000 }, async () => {
  const { run, sim } = await againstSipp({ qop: ', qop="auth"', password: '12345678', timeoutS: 15 });
  assert.equal(run.code, 0, `sipp failed:\n${run.errors}\n${run.output.slice(-2000)}`);
  assert.equal(sim.stats().registrations, 1);
  assert.match(run.messages, /^Authorization: Digest .*qop=auth, nc=00000001, cnonce="[0-9a-f]+"/m);
});

test('sipp refuses a wrong password: the check is real and the device backs off on 403', { skip: !SIPP && 'sipp not installed', timeout: 30_000 }, async () => {
  const { run, sim } = await againstSipp({ qop: ', qop="auth"', password: 'wrong-password', timeoutS: 3 });
  assert.notEqual(run.code, 0, 'sipp must fail the call when the digest does not verify');
  const s = sim.stats();
  assert.equal(s.registrations, 0);
  assert.ok(s.forbidden >= 1, `expected a 403, stats ${JSON.stringify(s)}`);
  assert.equal(s.keepalivesSent, 0);
});
