import { EventEmitter } from 'node:events';
import type { NatsConnection } from 'nats';
import { AppError } from '../core/errors.js';
import type { MediaNode, MediaNodeEvents } from '../media/node.js';
import { MEDIA_METHODS, rpcTimeoutMs, type MediaMethod } from './media-methods.js';
import { decodeValue, encodeValue, replyError, type RpcReply } from './rpc-codec.js';
import { fromBytes, linkOf, toBytes } from './nats-link.js';
import type { ClusterNames } from './subjects.js';

/** after our own reconnect, peers get this long to re-subscribe before "no responders" means they are gone */
const RECONNECT_GRACE_MS = 3_000;

export interface RemoteMediaNode extends MediaNode {
  close(): void;
}

/**
 * A media node in another process, reached over NATS (issue 13): every MediaNode call is a request/reply carrying the
 * typed error back; events arrive on the node's event subject. An unreachable node answers NODE_UNAVAILABLE.
 */
export function remoteMediaNode(nc: NatsConnection, names: ClusterNames, id: string, onUnreachable?: (id: string) => void): RemoteMediaNode {
  const ee = new EventEmitter();
  ee.setMaxListeners(0);
  const sub = nc.subscribe(names.events(id), {
    callback: (err, msg) => {
      if (err) return;
      try {
        const m = fromBytes(msg.data) as { e: string; a: unknown[] };
        ee.emit(m.e, ...(decodeValue(m.a) as unknown[]));
      } catch {
        // a malformed event is dropped; nothing else depends on it
      }
    },
  });
  const link = linkOf(nc);
  const call = async (method: MediaMethod, args: unknown[]): Promise<unknown> => {
    const timeout = rpcTimeoutMs(method, args);
    // not sent into a dropped connection (its reply could be lost across the reconnect): wait for the link first
    if (!(await link.ready(Math.min(timeout, 5_000)))) throw new AppError('CLUSTER_UNAVAILABLE', `NATS is unreachable: media node ${id} cannot be asked ${method}`, { nodeId: id });
    let raw;
    for (let attempt = 0; ; attempt++) {
      try {
        raw = await nc.request(names.rpc(id), toBytes({ m: method, a: encodeValue(args) }), { timeout });
        break;
      } catch (e) {
        const code = (e as { code?: string }).code;
        // just back from a NATS outage: the node may not have re-subscribed yet — ask once more after a breath
        if (attempt === 0 && code === '503' && link.sinceReconnect() < RECONNECT_GRACE_MS) {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        // "no responders": the node's subscription is gone (process dead) — faster news than a missing report
        if (code === '503') onUnreachable?.(id);
        throw new AppError('NODE_UNAVAILABLE', `media node ${id} did not answer ${method}: ${(e as Error).message}`, { nodeId: id });
      }
    }
    const r = fromBytes(raw.data) as RpcReply;
    if (!r.ok) throw replyError(r, id);
    return decodeValue(r.v);
  };
  const node: Record<string, unknown> = {
    id,
    on(event: keyof MediaNodeEvents, fn: (...a: unknown[]) => void) {
      ee.on(event, fn);
      return () => ee.off(event, fn);
    },
    close() {
      sub.unsubscribe();
      ee.removeAllListeners();
    },
  };
  for (const m of MEDIA_METHODS) node[m] = (...args: unknown[]) => call(m, args);
  return node as unknown as RemoteMediaNode;
}
