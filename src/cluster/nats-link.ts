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
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') log.warn({ nats: s.type, data: String(s.data) }, `NATS ${s.type}`);
    }
  })().catch(() => undefined);
  log.info({ nats: nc.getServer() }, 'NATS connected');
  return nc;
}
