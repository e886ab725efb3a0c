import { connect, type NatsConnection } from 'nats';
import type { Logger } from '../core/logger.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const toBytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export const fromBytes = (b: Uint8Array): unknown => JSON.parse(dec.decode(b));

/**
 * One NATS connection per process, reconnecting for ever (a NATS restart must not need an operator, issue 13 bad
 * input); subscriptions survive reconnects in the client. Status changes are logged once each.
 */
export async function openNats(url: string, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    pingInterval: 2_000,
    maxPingOut: 2,
  });
  const link = new LinkState();
  links.set(nc, link);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') log.warn({ nats: s.type, data: String(s.data) }, `NATS ${s.type}`);
      if (s.type === 'disconnect') link.down();
      else if (s.type === 'reconnect') link.up();
    }
  })().catch(() => undefined);
  log.info({ nats: nc.getServer() }, 'NATS connected');
  return nc;
}

/**
 * Whether this process's NATS connection is up, and since when. A request published while the connection is down
 * is buffered by the client and can lose its reply across the reconnect (measured: the first live request after a
 * NATS restart waited out the whole 10 s RPC timeout); callers wait for `ready()` instead and retry once when the
 * peer has not re-subscribed yet.
 */
export class LinkState {
  private connected = true;
  private upAt = 0;
  private waiters: Array<() => void> = [];

  down(): void {
    this.connected = false;
  }

  up(): void {
    this.connected = true;
    this.upAt = Date.now();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once connected (at once when it is), false after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = () => {
        clearTimeout(t);
        resolve(true);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** ms since the last reconnect (Infinity when it never dropped) */
  sinceReconnect(): number {
    return this.upAt ? Date.now() - this.upAt : Infinity;
  }
}

const links = new WeakMap<NatsConnection, LinkState>();

/** The link state of a connection opened with `openNats` (a connection made elsewhere counts as always up). */
export function linkOf(nc: NatsConnection): LinkState {
  let l = links.get(nc);
  if (!l) links.set(nc, (l = new LinkState()));
  return l;
}
