import type { Logger } from '../core/logger.js';
import { buildCatalogNotify, type CatalogEvent, type CatalogItemInput, type ManscdpMessage } from '../lib/manscdp/index.js';
import { SipHeaders, tagOf, uriOf } from '../lib/sip/index.js';
import type { IncomingRequest, SipEndpoint } from '../sip/endpoint.js';
import type { Peer } from '../sip/transport.js';
import type { UpperPlatform } from '../store/repos/upper-platforms.js';

type Kind = 'catalog' | 'alarm' | 'mobileposition';

interface Sub {
  upperId: string;
  kind: Kind;
  callId: string;
  /** the upper's tag (From of its SUBSCRIBE) and ours (To of our 200) */
  remoteTag: string;
  localTag: string;
  localUri: string;
  remoteUri: string;
  target: string;
  peer: Peer;
  event: string;
  sn: number;
  cseq: number;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

/**
 * Subscriptions an upper holds on us (GB/T 28181-2016 §9.11, RFC 6665 as GB uses it): Catalog, Alarm and
 * MobilePosition. Accepted with 200 + Expires; NOTIFYs go in the subscription's dialog; a refresh moves the expiry,
 * Expires 0 ends it. Catalog changes (ON/OFF/ADD/DEL) of shared channels are NOTIFYed as they happen.
 */
export class UpperSubscriptions {
  private readonly subs = new Map<string, Sub>();

  constructor(private readonly d: { endpoint: SipEndpoint; log: Logger }) {}

  accept(u: UpperPlatform, r: IncomingRequest, m: ManscdpMessage | undefined): void {
    const h = r.msg.headers;
    const callId = h.get('call-id') ?? '';
    const expires = Math.max(0, Math.min(86_400, Number(h.get('expires') ?? 3600) || 0));
    const cmd = (m?.cmdType ?? (h.get('event') ?? '').split(';')[0]).toLowerCase();
    const kind: Kind | undefined = cmd === 'catalog' ? 'catalog' : cmd === 'alarm' ? 'alarm' : cmd === 'mobileposition' ? 'mobileposition' : undefined;
    if (!kind) return r.reply(489, 'Bad Event');
    const key = `${u.id}:${callId}`;
    const old = this.subs.get(key);
    if (expires === 0) {
      if (old) this.drop(key);
      return r.reply(200, 'OK', { Expires: '0' });
    }
    const l = this.d.endpoint.localFor(r.peer);
    r.reply(200, 'OK', { Expires: String(expires), Contact: `<sip:${u.localId}@${l.address}:${l.port}>`, ...(h.get('event') ? { Event: h.get('event')! } : {}) });
    if (old) {
      clearTimeout(old.timer);
      old.expiresAt = Date.now() + expires * 1000;
      old.timer = this.expiry(key, expires);
      return;
    }
    const sent = r.sent;
    const contact = h.get('contact');
    this.subs.set(key, {
      upperId: u.id,
      kind,
      callId,
      remoteTag: tagOf(h.get('from') ?? '') ?? '',
      localTag: tagOf(sent?.headers.get('to') ?? '') ?? '',
      localUri: `sip:${u.localId}@${u.localId.slice(0, 10)}`,
      remoteUri: `sip:${u.serverId}@${u.domain}`,
      target: uriOf(contact) ?? `sip:${u.serverId}@${r.peer.address}:${r.peer.port}`,
      peer: r.peer,
      event: h.get('event') ?? (kind === 'catalog' ? 'Catalog' : kind === 'alarm' ? 'presence' : 'presence'),
      sn: m?.sn ?? 1,
      cseq: 1,
      expiresAt: Date.now() + expires * 1000,
      timer: this.expiry(key, expires),
    });
    this.d.log.info({ upper: u.id, kind, expires }, 'upper platform subscribed');
  }

  private expiry(key: string, s: number): NodeJS.Timeout {
    const t = setTimeout(() => this.drop(key), s * 1000);
    t.unref();
    return t;
  }

  private drop(key: string): void {
    const s = this.subs.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    this.subs.delete(key);
  }

  dropUpper(upperId: string): void {
    for (const [k, s] of this.subs) if (s.upperId === upperId) this.drop(k);
  }

  stopAll(): void {
    for (const k of [...this.subs.keys()]) this.drop(k);
  }

  has(upperId: string, kind: Kind): boolean {
    for (const s of this.subs.values()) if (s.upperId === upperId && s.kind === kind) return true;
    return false;
  }

  /** Catalog NOTIFY of changed items to the upper's catalog subscriptions. */
  catalog(upperId: string, event: CatalogEvent, items: CatalogItemInput[], u: UpperPlatform): void {
    for (const s of this.subs.values()) {
      if (s.upperId !== upperId || s.kind !== 'catalog') continue;
      this.notify(s, buildCatalogNotify(s.sn, u.localId, event, items, { charset: u.charset }));
    }
  }

  /** Sends a ready body on the upper's subscriptions of that kind; false when it has none. */
  notifyRaw(upperId: string, kind: Kind, body: Buffer): boolean {
    let sent = false;
    for (const s of this.subs.values()) {
      if (s.upperId !== upperId || s.kind !== kind) continue;
      this.notify(s, body);
      sent = true;
    }
    return sent;
  }

  private notify(s: Sub, body: Buffer): void {
    const left = Math.max(0, Math.round((s.expiresAt - Date.now()) / 1000));
    const h = SipHeaders.from({
      From: `<${s.localUri}>;tag=${s.localTag}`,
      To: `<${s.remoteUri}>;tag=${s.remoteTag}`,
      'Call-ID': s.callId,
      CSeq: `${++s.cseq} NOTIFY`,
      Event: s.event,
      'Subscription-State': `active;expires=${left}`,
      'Content-Type': 'Application/MANSCDP+xml',
    });
    this.d.endpoint.request(s.peer, { kind: 'request', method: 'NOTIFY', uri: s.target, headers: h, body }, { timeoutMs: 8000 }).then(
      (res) => {
        if (res.status === 481) this.drop(`${s.upperId}:${s.callId}`); // the upper forgot the subscription
      },
      (err: Error) => this.d.log.debug({ upper: s.upperId, err: err.message }, 'NOTIFY to upper platform unanswered'),
    );
  }
}
