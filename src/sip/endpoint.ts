import { randomBytes } from 'node:crypto';
import type { Logger } from '../core/logger.js';
import {
  BRANCH_COOKIE,
  formatVia,
  parseCSeq,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  SipHeaders,
  SipParseError,
  tagOf,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../lib/sip/index.js';
import { T1, T2, TRANSACTION_TIMEOUT } from './timers.js';
import type { Peer, SipTransport } from './transport.js';

export interface IncomingRequest {
  msg: SipRequest;
  peer: Peer;
  /**
   * Answers once (later calls are ignored); the answer is kept to re-send on retransmissions (RFC 3261 §17.2.2).
   */
  reply(status: number, reason?: string, extra?: Record<string, string>, body?: Buffer): void;
  /** the final answer sent by reply() (its To tag is the dialog's local tag) */
  sent?: SipResponse;
  /**
   * INVITE only, after a 2xx: resolves true when the ACK arrives, false after 64·T1 without it. Over UDP the 2xx is
   * re-sent at T1, 2·T1 … T2 until then (RFC 3261 §13.3.1.4) — the UAS core's job, which the transaction layer does.
   */
  acked?: Promise<boolean>;
}

export class SipTimeoutError extends Error {
  constructor(readonly method: string) {
    super(`${method} transaction timed out (no final response)`);
    this.name = 'SipTimeoutError';
  }
}

interface ClientTx {
  /** INVITE client transactions keep the request and peer to ACK a failure (§17.1.1.3). */
  invite?: { req: SipRequest; peer: Peer };
  resolve(r: SipResponse): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
  deadline: NodeJS.Timeout;
  onProvisional?: (r: SipResponse) => void;
}

interface ServerTx {
  response?: Buffer;
  peer: Peer;
  expires: number;
}

export const REASONS: Record<number, string> = {
  100: 'Trying',
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/**
 * Tags, branches and Call-IDs must be unique (RFC 3261 §8.1.1), not secret: a random per-process prefix plus a
 * counter is unique and ~10x cheaper than asking the CSPRNG for every message in a register storm.
 */
const PREFIX = randomBytes(6).toString('hex');
let counter = 0;
function unique(): string {
  counter = (counter + 1) % 0x7fffffff;
  return `${PREFIX}${counter.toString(36)}`;
}

export function newTag(): string {
  return unique();
}

export function newBranch(): string {
  return `${BRANCH_COOKIE}${unique()}`;
}

export function newCallId(): string {
  return unique();
}

/**
 * SIP transaction layer over a transport (RFC 3261 §17): client transactions with UDP retransmission (Timer A/E)
 * and timeout (Timer B/F), server transactions that absorb retransmitted requests by re-sending the stored answer.
 * Messages that fail to parse get 400 (requests) or are dropped (responses), and never reach the handlers.
 */
function unpooled(b: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}

export class SipEndpoint {
  private readonly clientTx = new Map<string, ClientTx>();
  private readonly serverTx = new Map<string, ServerTx>();
  /** ACKs sent for 2xx answers, kept 32 s to answer a repeated 2xx. */
  private readonly acks = new Map<string, { peer: Peer; buf: Buffer; expires: number }>();
  /** 2xx answers to INVITE waiting for their ACK, by Call-ID:CSeq */
  private readonly ackWaits = new Map<string, (ok: boolean) => void>();
  private requestHandler: (r: IncomingRequest) => void = (r) => r.reply(501);
  private readonly sweeper: NodeJS.Timeout;
  /** Counters for stats and benches. */
  readonly counters = { received: 0, sent: 0, parseErrors: 0, retransmitsAbsorbed: 0, timeouts: 0 };
  /** Messages by direction, kind and method (`in request REGISTER`, `out response MESSAGE`): read by /metrics (issue 14). */
  readonly byMethod = new Map<string, number>();

  private countMethod(dir: 'in' | 'out', m: SipMessage): void {
    let method: string;
    if (m.kind === 'request') method = m.method;
    else {
      const cseq = m.headers.get('cseq') ?? '';
      method = cseq.slice(cseq.lastIndexOf(' ') + 1).trim().toUpperCase() || '?';
    }
    const key = `${dir} ${m.kind} ${method}`;
    this.byMethod.set(key, (this.byMethod.get(key) ?? 0) + 1);
  }

  constructor(
    readonly transport: SipTransport,
    private readonly log: Logger,
    private readonly userAgent = 'sharpeye',
  ) {
    transport.onMessage((data, peer) => this.receive(data, peer));
    this.sweeper = setInterval(() => this.sweep(), 5000);
    this.sweeper.unref();
  }

  onRequest(h: (r: IncomingRequest) => void): void {
    this.requestHandler = h;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const finish of [...this.ackWaits.values()]) finish(false);
    for (const tx of this.clientTx.values()) {
      clearTimeout(tx.timer);
      clearTimeout(tx.deadline);
      tx.reject(new Error('endpoint closed'));
    }
    this.clientTx.clear();
  }

  /**
   * Both maps get entries with a fixed lifetime, so insertion order is expiry order: stop at the first live one.
   * (A full pass over the ~200,000 transactions of a register storm held the loop for ~100 ms every 5 s.)
   */
  private sweep(): void {
    const now = Date.now();
    for (const [k, tx] of this.serverTx) {
      if (tx.expires >= now) break;
      this.serverTx.delete(k);
    }
    for (const [k, a] of this.acks) {
      if (a.expires >= now) break;
      this.acks.delete(k);
    }
  }

  private send(peer: Peer, m: SipMessage): Buffer {
    const buf = serializeSipMessage(m);
    this.transport.send(peer, buf);
    this.counters.sent++;
    this.countMethod('out', m);
    return buf;
  }

  private receive(data: Buffer, peer: Peer): void {
    this.counters.received++;
    let msg: SipMessage;
    try {
      msg = parseSipMessage(data, { stream: peer.transport === 'TCP' });
    } catch (e) {
      this.counters.parseErrors++;
      this.log.debug({ peer, err: (e as Error).message }, 'unparseable SIP message');
      if (e instanceof SipParseError) this.answerUnparseable(data, peer, e);
      return;
    }
    this.countMethod('in', msg);
    try {
      if (msg.kind === 'response') this.receiveResponse(msg);
      else this.receiveRequest(msg, peer);
    } catch (e) {
      this.log.warn({ peer, err: e }, 'SIP message handling failed');
    }
  }

  /** Best effort 400 when at least the start line and the headers needed to route an answer are there. */
  private answerUnparseable(data: Buffer, peer: Peer, e: SipParseError): void {
    const text = data.subarray(0, 8192).toString('latin1');
    if (!/^[A-Z]+ \S+ SIP\/2\.0\r?\n/.test(text)) return;
    const h = (n: string) => new RegExp(`^${n}\\s*:\\s*(.*)$`, 'im').exec(text)?.[1]?.trim();
    const via = h('via') ?? h('v');
    const cseq = h('cseq');
    const callId = h('call-id') ?? h('i');
    if (!via || !cseq || !callId) return;
    const headers = SipHeaders.from({ Via: via, From: h('from') ?? h('f') ?? '', To: h('to') ?? h('t') ?? '', 'Call-ID': callId, CSeq: cseq });
    this.send(peer, { kind: 'response', status: e.status, reason: `${REASONS[e.status] ?? 'Bad Request'} (${e.message.slice(0, 60)})`, headers, body: Buffer.alloc(0) });
  }

  private receiveResponse(msg: SipResponse): void {
    const via = msg.headers.get('via');
    const cseq = msg.headers.get('cseq');
    if (!via || !cseq) return;
    const branch = parseVia(via).params.branch;
    const key = `${branch}:${parseCSeq(cseq).method}`;
    const tx = this.clientTx.get(key);
    if (!tx) {
      // A 2xx to INVITE repeated because our ACK was lost: ACK again (RFC 3261 §13.2.2.4).
      if (msg.status >= 200 && msg.status < 300 && parseCSeq(cseq).method === 'INVITE') {
        const ack = this.acks.get(`${msg.headers.get('call-id')}:${parseCSeq(cseq).seq}`);
        if (ack) this.transport.send(ack.peer, ack.buf);
      }
      return; // late or stray: ignored safely
    }
    if (msg.status < 200) {
      // §17.1.1.2: a provisional answer stops INVITE retransmissions.
      if (tx.invite) clearTimeout(tx.timer);
      tx.onProvisional?.(msg);
      return;
    }
    clearTimeout(tx.timer);
    clearTimeout(tx.deadline);
    this.clientTx.delete(key);
    if (tx.invite && msg.status >= 300) this.ackFailure(tx.invite, msg);
    tx.resolve(msg);
  }

  private receiveRequest(msg: SipRequest, peer: Peer): void {
    const viaRaw = msg.headers.get('via');
    const cseqRaw = msg.headers.get('cseq');
    if (!viaRaw || !cseqRaw || !msg.headers.get('call-id') || !msg.headers.get('from') || !msg.headers.get('to')) {
      return this.answerUnparseable(serializeSipMessage(msg), peer, new SipParseError('missing Via, From, To, Call-ID or CSeq', 'MISSING_HEADER'));
    }
    const via = parseVia(viaRaw);
    const cseq = parseCSeq(cseqRaw);
    const key = `${via.params.branch ?? `${msg.headers.get('call-id')}:${cseq.seq}`}:${cseq.method}:${peer.address}:${peer.port}`;
    if (msg.method === 'ACK') {
      // ACK for a 2xx goes to the dialog user; ACK for an error answer ends our server transaction.
      const wait = this.ackWaits.get(`${msg.headers.get('call-id')}:${cseq.seq}`);
      if (wait) wait(true);
      this.requestHandler({ msg, peer, reply: () => undefined });
      return;
    }
    const existing = this.serverTx.get(key);
    if (existing) {
      this.counters.retransmitsAbsorbed++;
      if (existing.response) this.transport.send(peer, existing.response);
      return;
    }
    const tx: ServerTx = { peer, expires: Date.now() + TRANSACTION_TIMEOUT };
    this.serverTx.set(key, tx);
    let answered = false;
    let acked: ((ok: boolean) => void) | undefined;
    const ackedP = msg.method === 'INVITE' ? new Promise<boolean>((resolve) => (acked = resolve)) : undefined;
    const incoming: IncomingRequest = { msg, peer, reply: () => undefined, acked: ackedP };
    incoming.reply = (status, reason, extra = {}, body = Buffer.alloc(0)) => {
      if (answered && status >= 200) return;
      if (status >= 200) answered = true;
      const res = this.buildResponse(msg, peer, status, reason, extra, body);
      const buf = this.send(peer, res);
      // kept 32 s to answer retransmissions: an exact copy, not a slice of Node's shared 8 KiB buffer pool (10,000
      // kept slices pinned a slab each and fed old-generation GC in the keepalive steady state)
      if (status >= 200) tx.response = unpooled(buf);
      if (acked && status >= 300) acked(false);
      if (acked && status >= 200 && status < 300) this.awaitAck(`${msg.headers.get('call-id')}:${cseq.seq}`, peer, buf, acked);
      if (status >= 200) incoming.sent = res;
    };
    this.requestHandler(incoming);
  }

  /** RFC 3261 §13.3.1.4: re-send a 2xx to INVITE over UDP until its ACK arrives; give up after 64·T1. */
  private awaitAck(key: string, peer: Peer, buf: Buffer, done: (ok: boolean) => void): void {
    let timer: NodeJS.Timeout | undefined;
    let interval = T1;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      clearTimeout(deadline);
      this.ackWaits.delete(key);
      done(ok);
    };
    const deadline = setTimeout(() => finish(false), 64 * T1);
    deadline.unref();
    if (peer.transport === 'UDP') {
      const again = () => {
        this.transport.send(peer, buf);
        interval = Math.min(interval * 2, T2);
        timer = setTimeout(again, interval);
        timer.unref();
      };
      timer = setTimeout(again, interval);
      timer.unref();
    }
    this.ackWaits.set(key, finish);
  }

  /** RFC 3261 §8.2.6: copies Via (with received/rport, RFC 3581), From, To (+tag), Call-ID, CSeq. */
  buildResponse(req: SipRequest, peer: Peer, status: number, reason: string | undefined, extra: Record<string, string>, body: Buffer): SipResponse {
    const headers = new SipHeaders();
    const vias = req.headers.getAll('via');
    vias.forEach((v, i) => {
      if (i === 0) {
        const via = parseVia(v);
        via.params.received = peer.address;
        if ('rport' in via.params) via.params.rport = String(peer.port);
        headers.append('Via', formatVia(via));
      } else headers.append('Via', v);
    });
    headers.append('From', req.headers.get('from')!);
    const to = req.headers.get('to')!;
    headers.append('To', status > 100 && !tagOf(to) ? `${to};tag=${newTag()}` : to);
    headers.append('Call-ID', req.headers.get('call-id')!);
    headers.append('CSeq', req.headers.get('cseq')!);
    headers.append('User-Agent', this.userAgent);
    for (const [k, v] of Object.entries(extra)) headers.append(k, v);
    return { kind: 'response', status, reason: reason ?? REASONS[status] ?? 'Unknown', headers, body };
  }

  /**
   * Sends a request as a client transaction and resolves with the final response. Adds our Via (with rport) and
   * Max-Forwards; UDP requests are retransmitted T1, 2·T1 … capped at T2 until answered or 64·T1 passes.
   */
  request(peer: Peer, req: SipRequest, opts: { onProvisional?: (r: SipResponse) => void; timeoutMs?: number } = {}): Promise<SipResponse> {
    const branch = newBranch();
    const { address, port } = this.localFor(peer);
    req.headers.prepend('Via', `SIP/2.0/${peer.transport} ${address}:${port};rport;branch=${branch}`);
    if (!req.headers.has('max-forwards')) req.headers.set('Max-Forwards', '70');
    if (!req.headers.has('user-agent')) req.headers.set('User-Agent', this.userAgent);
    const key = `${branch}:${req.method === 'ACK' ? 'ACK' : parseCSeq(req.headers.get('cseq')!).method}`;
    const buf = this.send(peer, req);
    if (req.method === 'ACK') {
      // ACK for a 2xx is its own transaction-less request (§13.2.2.4); remember it for repeated 2xx.
      const ackKey = `${req.headers.get('call-id')}:${parseCSeq(req.headers.get('cseq')!).seq}`;
      this.acks.delete(ackKey); // re-inserted at the end: the sweep relies on insertion order = expiry order
      this.acks.set(ackKey, { peer, buf, expires: Date.now() + TRANSACTION_TIMEOUT });
      return Promise.resolve({ kind: 'response', status: 200, reason: 'OK', headers: new SipHeaders(), body: Buffer.alloc(0) });
    }
    return new Promise<SipResponse>((resolve, reject) => {
      const tx: ClientTx = {
        invite: req.method === 'INVITE' ? { req, peer } : undefined,
        resolve,
        reject,
        onProvisional: opts.onProvisional,
        deadline: setTimeout(() => {
          clearTimeout(tx.timer);
          this.clientTx.delete(key);
          this.counters.timeouts++;
          reject(new SipTimeoutError(req.method));
        }, opts.timeoutMs ?? TRANSACTION_TIMEOUT),
      };
      tx.deadline.unref();
      if (peer.transport === 'UDP') {
        let interval = T1;
        const again = () => {
          this.transport.send(peer, buf);
          interval = Math.min(interval * 2, T2);
          tx.timer = setTimeout(again, interval);
          tx.timer.unref();
        };
        tx.timer = setTimeout(again, interval);
        tx.timer.unref();
      }
      this.clientTx.set(key, tx);
    });
  }

  /** §17.1.1.3: the transaction ACKs a non-2xx final answer itself, on the INVITE's branch. */
  private ackFailure(inv: { req: SipRequest; peer: Peer }, res: SipResponse): void {
    const headers = SipHeaders.from({
      Via: inv.req.headers.getAll('via')[0],
      From: inv.req.headers.get('from')!,
      To: res.headers.get('to') ?? inv.req.headers.get('to')!,
      'Call-ID': inv.req.headers.get('call-id')!,
      CSeq: `${parseCSeq(inv.req.headers.get('cseq')!).seq} ACK`,
      'Max-Forwards': '70',
    });
    this.send(inv.peer, { kind: 'request', method: 'ACK', uri: inv.req.uri, headers, body: Buffer.alloc(0) });
  }

  /** Where `peer` can reach us: goes into Via and Contact. */
  localFor(peer: Peer): { address: string; port: number } {
    return this.transport.localFor?.(peer) ?? this.transport.local;
  }

  get pending(): number {
    return this.clientTx.size;
  }
}
