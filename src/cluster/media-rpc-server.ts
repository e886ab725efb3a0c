import type { NatsConnection } from 'nats';
import type { Logger } from '../core/logger.js';
import type { MediaNode } from '../media/node.js';
import { MEDIA_EVENTS, MEDIA_METHODS } from './media-methods.js';
import { decodeValue, encodeValue, errorReply, type RpcReply } from './rpc-codec.js';
import { fromBytes, toBytes } from './nats-link.js';
import type { ClusterNames } from './subjects.js';

const allowed = new Set<string>(MEDIA_METHODS);

/**
 * A media node answering MediaNode calls from control nodes over NATS request/reply, and publishing its events
 * (idle, stalled, segment, reader open/close ...) for them. Only interface methods are callable.
 */
export function serveMediaNode(o: { nc: NatsConnection; names: ClusterNames; node: MediaNode; log: Logger }): () => void {
  const { nc, names, node, log } = o;
  const sub = nc.subscribe(names.rpc(node.id), {
    callback: (err, msg) => {
      if (err) return;
      void (async () => {
        let reply: RpcReply;
        try {
          const req = fromBytes(msg.data) as { m?: string; a?: unknown[] };
          if (typeof req.m !== 'string' || !allowed.has(req.m) || !Array.isArray(req.a)) throw new Error(`not a media call: ${String(req.m)}`);
          const fn = (node as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[req.m];
          const v = await fn.apply(node, decodeValue(req.a) as unknown[]);
          reply = { ok: true, v: encodeValue(v) };
        } catch (e) {
          reply = errorReply(e);
        }
        try {
          msg.respond(toBytes(reply));
        } catch (e) {
          log.warn({ err: (e as Error).message }, 'media reply not sent');
        }
      })();
    },
  });
  const offs = MEDIA_EVENTS.map((e) =>
    node.on(e, ((...args: unknown[]) => {
      try {
        nc.publish(names.events(node.id), toBytes({ e, a: encodeValue(args) }));
      } catch {
        // NATS reconnecting: the event is lost, the control side reconciles from streams() (its lists are authoritative)
      }
    }) as never),
  );
  return () => {
    sub.unsubscribe();
    for (const off of offs) off();
  };
}
