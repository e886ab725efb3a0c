import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/core/logger.js';
import { SipHeaders } from '../../src/lib/sip/index.js';
import { SipSockets } from '../../src/servers/sip-transport.js';
import { ClientDialog } from '../../src/sip/dialog.js';
import { newCallId, newTag, SipEndpoint } from '../../src/sip/endpoint.js';
import { freeUdpPort, SIPP_DIR } from '../helpers/sipp.js';

/** INVITE dialogs against sipp's own UAS (an independent implementation): 200 → ACK → BYE, and 486 → ACK. */
describe('INVITE client dialogs with sipp as the callee', () => {
  let sockets: SipSockets;
  let ep: SipEndpoint;
  before(async () => {
    sockets = await SipSockets.open({ host: '127.0.0.1', port: 0, log: createLogger('silent'), tcp: false });
    ep = new SipEndpoint(sockets, createLogger('silent'));
  });
  after(async () => {
    ep.close();
    await sockets.close();
  });

  function sipp(args: string[]): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      const p = spawn('sipp', [...args, '-m', '1', '-i', '127.0.0.1', '-nostdin', '-timeout', '15s', '-timeout_error'], { cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => resolve({ code, out: out.slice(-3000) }));
    });
  }

  function invite(port: number) {
    const sdp = Buffer.from('v=0\r\no=35020000002000000001 0 0 IN IP4 127.0.0.1\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 30000 RTP/AVP 96\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\ny=0350200001\r\n');
    return {
      kind: 'request' as const,
      method: 'INVITE',
      uri: `sip:35020000001310000001@127.0.0.1:${port}`,
      headers: SipHeaders.from({
        From: `<sip:35020000002000000001@3502000000>;tag=${newTag()}`,
        To: '<sip:35020000001310000001@3502000000>',
        'Call-ID': newCallId(),
        CSeq: '20 INVITE',
        Contact: `<sip:35020000002000000001@127.0.0.1:${sockets.local.port}>`,
        'Content-Type': 'APPLICATION/SDP',
        Subject: '35020000001310000001:0350200001,35020000002000000001:0',
      }),
      body: sdp,
    };
  }

  test('200 OK → our ACK → our BYE → 200; sipp (built-in uas) completes the call', async () => {
    const port = await freeUdpPort();
    const run = sipp(['-sn', 'uas', '-p', String(port)]);
    await new Promise((r) => setTimeout(r, 300));
    const provisional: number[] = [];
    const { response, dialog } = await ClientDialog.invite(ep, { transport: 'UDP', address: '127.0.0.1', port }, invite(port), { onProvisional: (r) => provisional.push(r.status) });
    assert.equal(response.status, 200);
    assert.ok(dialog);
    assert.ok(dialog.remoteTag, 'the 2xx To tag identifies the dialog');
    const bye = await dialog.bye();
    assert.equal(bye?.status, 200);
    const r = await run;
    assert.equal(r.code, 0, r.out);
  });

  test('486 Busy: no dialog, and the transaction ACKs the failure (sipp waits for that ACK)', async () => {
    const port = await freeUdpPort();
    const run = sipp(['-sf', path.join(SIPP_DIR, 'uas-busy.xml'), '-p', String(port)]);
    await new Promise((r) => setTimeout(r, 300));
    const { response, dialog } = await ClientDialog.invite(ep, { transport: 'UDP', address: '127.0.0.1', port }, invite(port));
    assert.equal(response.status, 486);
    assert.equal(dialog, undefined);
    const r = await run;
    assert.equal(r.code, 0, r.out);
  });
});
