import { buildQuery } from '../lib/manscdp/index.js';
import { newCallId, newTag } from '../sip/endpoint.js';
import type { GbDeps } from './context.js';
import { MANSCDP_TYPE, type Outbound } from './outbound.js';
import type { PendingQueries } from './pending-queries.js';

interface Sub {
  callId: string;
  fromTag: string;
  cseq: number;
  timer?: NodeJS.Timeout;
}

const EVENTS = ['Catalog', 'Alarm', 'MobilePosition'] as const;
/** Mobile transmission devices (type 138) report positions; others are not asked (most would refuse). */
const eventsFor = (deviceId: string) => EVENTS.filter((e) => e !== 'MobilePosition' || deviceId.slice(10, 13) === '138');
const EXPIRES = 3600;

/**
 * SUBSCRIBE to a device's Catalog and Alarm events (GB/T 28181-2016 §9.11), refreshed at 90 % of the expiry in the
 * same dialog. Devices that refuse get a device-log line; the platform then relies on queries and MESSAGE notifies.
 */
export class Subscriptions {
  private readonly subs = new Map<string, Sub>();

  constructor(
    private readonly deps: GbDeps,
    private readonly outbound: Outbound,
    private readonly queries: PendingQueries,
  ) {}

  /** Subscribes to every event the device offers; resolves when each SUBSCRIBE was answered (or refused). */
  async ensure(deviceId: string): Promise<void> {
    await Promise.all(eventsFor(deviceId).map((ev) => this.subscribe(deviceId, ev)));
  }

  private async subscribe(deviceId: string, event: (typeof EVENTS)[number]): Promise<void> {
    const key = `${deviceId}:${event}`;
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { callId: newCallId(), fromTag: newTag(), cseq: 1 };
      this.subs.set(key, sub);
    }
    let s;
    try {
      s = this.outbound.session(deviceId);
    } catch {
      this.drop(deviceId);
      return;
    }
    const sn = this.queries.nextSn();
    const extra = event === 'Alarm' ? { StartAlarmPriority: 0, EndAlarmPriority: 0, AlarmMethod: 0 } : event === 'MobilePosition' ? { Interval: 5 } : undefined;
    const headers = this.outbound.headersFor(s, 'SUBSCRIBE', { Event: `${event};id=${sn}`, Expires: String(EXPIRES), 'Content-Type': MANSCDP_TYPE, Contact: this.outbound.contact(s.peer) }, sub.callId, sub.fromTag, sub.cseq++);
    try {
      await this.outbound.expectOk(deviceId, 'SUBSCRIBE', () =>
        this.deps.endpoint.request(s.peer, { kind: 'request', method: 'SUBSCRIBE', uri: this.outbound.requestUri(s), headers, body: buildQuery(event, sn, deviceId, extra) }, { timeoutMs: 8000 }),
      );
      sub.timer = setTimeout(() => void this.subscribe(deviceId, event), EXPIRES * 900);
      sub.timer.unref();
    } catch (e) {
      this.subs.delete(key);
      this.deps.log.debug({ deviceId, event, err: (e as Error).message }, 'subscription refused');
    }
  }

  drop(deviceId: string): void {
    for (const ev of EVENTS) {
      const sub = this.subs.get(`${deviceId}:${ev}`);
      if (sub) clearTimeout(sub.timer);
      this.subs.delete(`${deviceId}:${ev}`);
    }
  }

  stopAll(): void {
    for (const s of this.subs.values()) clearTimeout(s.timer);
    this.subs.clear();
  }

  get size(): number {
    return this.subs.size;
  }
}
