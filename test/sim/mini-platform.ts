import { createLogger } from '../../src/core/logger.js';
import { decodeManscdp, type ManscdpMessage } from '../../src/lib/manscdp/index.js';
import { formatChallenge, parseAuthParams, parseNameAddr, SipHeaders, tagOf, userOf, verifyDigest, type SipRequest, type SipResponse } from '../../src/lib/sip/index.js';
import { SipSockets } from '../../src/servers/sip-transport.js';
import { newCallId, newTag, SipEndpoint } from '../../src/sip/endpoint.js';
import type { Peer } from '../../src/sip/transport.js';

export const SERVER_ID = '35020000002000000001';
export const DOMAIN = '3502000000';
export const PASSWORD = '12345678';

interface Registration {
  peer: Peer;
  contact: string;
  expires: number;
  count: number;
}

/**
 * A tiny GB/T 28181 platform for simulator tests: digest registrar (qop, fixed realm), MESSAGE sink that decodes
 * MANSCDP, and a UAC to query devices. Not the real server: that one lives in src/gb28181 and has its own tests.
 */
export class MiniPlatform {
  readonly registrations = new Map<string, Registration>();
  readonly unregistered: string[] = [];
  /** Every MANSCDP body devices sent, decoded, in arrival order. */
  readonly received: { from: string; method: string; msg: ManscdpMessage }[] = [];
  /** Status to answer keepalives with (400: a platform that forgot the device; 0: no answer at all). */
  keepaliveStatus = 200;
  /** Password the registrar checks. */
  password = PASSWORD;
  /** Keep received bodies in `received` (off for long benches). */
  keep = true;
  /** BYEs devices sent (media sessions they ended themselves). */
  readonly byes: { callId: string; from: string; fromTag?: string; toTag?: string; uri: string; cseq: string }[] = [];
  registerCount = 0;
  forbiddenCount = 0;
  private waiters: (() => void)[] = [];
  private sn = 100;

  private constructor(
    readonly ep: SipEndpoint,
    readonly sockets: SipSockets,
  ) {
    ep.onRequest((r) => this.onRequest(r.msg, r.peer, r.reply));
  }

  static async start(): Promise<MiniPlatform> {
    const log = createLogger('silent');
    const sockets = await SipSockets.open({ host: '127.0.0.1', port: 0, log, udp: true, tcp: true });
    return new MiniPlatform(new SipEndpoint(sockets, log, 'mini-platform'), sockets);
  }

  get address(): string {
    return `127.0.0.1:${this.sockets.local.port}`;
  }

  async close(): Promise<void> {
    this.ep.close();
    await this.sockets.close();
  }

  private changed(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred` holds (checked on every received message), or rejects after `ms`. */
  async until(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  private onRequest(msg: SipRequest, peer: Peer, reply: (s: number, r?: string, extra?: Record<string, string>) => void): void {
    const from = userOf(msg.headers.get('from')) ?? '';
    if (msg.method === 'REGISTER') {
      this.registerCount++;
      const auth = msg.headers.get('authorization');
      if (!auth) {
        reply(401, 'Unauthorized', { 'WWW-Authenticate': formatChallenge(DOMAIN, newTag() + newTag(), { qop: true }) });
        return;
      }
      const { params } = parseAuthParams(auth);
      if (params.username !== from || !verifyDigest(params, 'REGISTER', this.password)) {
        this.forbiddenCount++;
        reply(403, 'Forbidden');
        this.changed();
        return;
      }
      const expires = Number(msg.headers.get('expires') ?? '3600');
      if (expires === 0) {
        this.registrations.delete(from);
        this.unregistered.push(from);
      } else {
        const prev = this.registrations.get(from);
        this.registrations.set(from, { peer, contact: parseNameAddr(msg.headers.get('contact')!).rawUri, expires, count: (prev?.count ?? 0) + 1 });
      }
      reply(200, 'OK', { Date: '2026-11-24T09:40:00.000', Expires: String(expires) });
      this.changed();
      return;
    }
    if (msg.method === 'MESSAGE' || msg.method === 'NOTIFY') {
      let m: ManscdpMessage | undefined;
      try {
        m = msg.body.length ? decodeManscdp(msg.body) : undefined;
      } catch {
        reply(400);
        return;
      }
      if (m?.cmdType === 'Keepalive' && this.keepaliveStatus === 0) return; // a platform that went silent
      if (m?.cmdType === 'Keepalive' && (this.keepaliveStatus !== 200 || !this.registrations.has(from))) {
        reply(this.keepaliveStatus === 200 ? 400 : this.keepaliveStatus);
        this.changed();
        return;
      }
      reply(200);
      if (m && this.keep) this.received.push({ from, method: msg.method, msg: m });
      this.changed();
      return;
    }
    if (msg.method === 'BYE') {
      // a device ending a media session it was INVITEd to (src/sim/media)
      this.byes.push({ callId: msg.headers.get('call-id') ?? '', from, fromTag: tagOf(msg.headers.get('from')), toTag: tagOf(msg.headers.get('to')), uri: msg.uri, cseq: msg.headers.get('cseq') ?? '' });
      reply(200);
      this.changed();
      return;
    }
    reply(405);
  }

  nextSn(): number {
    return ++this.sn;
  }

  /** Sends a MANSCDP body to a registered device (MESSAGE, or SUBSCRIBE with `event`); resolves with the SIP answer. */
  send(deviceId: string, body: Buffer, opts: { method?: 'MESSAGE' | 'SUBSCRIBE'; event?: string; expires?: number; target?: string } = {}): Promise<SipResponse> {
    const reg = this.registrations.get(deviceId);
    if (!reg) throw new Error(`${deviceId} not registered`);
    const method = opts.method ?? 'MESSAGE';
    const target = opts.target ?? deviceId;
    const h = SipHeaders.from({
      From: `<sip:${SERVER_ID}@${DOMAIN}>;tag=${newTag()}`,
      To: `<sip:${target}@${DOMAIN}>`,
      'Call-ID': newCallId(),
      CSeq: `1 ${method}`,
      'Content-Type': 'Application/MANSCDP+xml',
    });
    if (method === 'SUBSCRIBE') {
      h.set('Event', opts.event ?? 'Catalog');
      h.set('Expires', String(opts.expires ?? 3600));
      h.set('Contact', `<sip:${SERVER_ID}@${this.sockets.local.address}:${this.sockets.local.port}>`);
    }
    const uri = reg.contact.replace(/^sip:[^@]+@/, `sip:${target}@`);
    return this.ep.request(reg.peer, { kind: 'request', method, uri, headers: h, body });
  }

  /** Bodies received with this SN and CmdType. */
  answers(sn: number, cmdType: string): ManscdpMessage[] {
    return this.received.filter((r) => r.msg.sn === sn && r.msg.cmdType === cmdType).map((r) => r.msg);
  }
}
