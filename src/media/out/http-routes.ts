import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Logger } from '../../core/logger.js';
import type { Stream } from '../../stream/index.js';
import type { LocalMediaNode } from '../local-node.js';
import { FlvSink, sharedFlvFor } from './flv-sink.js';
import { HlsOutput } from './hls.js';
import type { MediaAuth } from './media-auth.js';

interface StreamParams {
  kind: string;
  channelId: string;
  file: string;
}

/**
 * HTTP-FLV, WS-FLV and HLS on the HTTP port (CONTRACT.md SHARPEYE_HTTP_PORT):
 *   /media/live/<channel>/<main|sub>.flv        HTTP-FLV, and WS-FLV on the same URL with a WebSocket upgrade
 *   /media/live/<channel>/<main|sub>/index.m3u8  HLS (fMP4 segments)
 *   /media/playback/<channel>/<session>.flv       recording playback, same outputs
 * Every URL carries `?token=` signed by the API for this user, session and stream (R11).
 */
export async function mediaHttpRoutes(app: FastifyInstance, node: LocalMediaNode, auth: MediaAuth, log: Logger): Promise<void> {
  const hls = new HlsOutput(node, auth, log);

  const open = (req: FastifyRequest, path: string): { stream: Stream; claims: { u: string; s: string } } | { error: number; code: string; message: string } => {
    const token = (req.query as { token?: string }).token;
    const a = auth.check(token, path);
    if (!a.ok) {
      log.warn({ path, ip: req.ip, reason: a.message }, 'media request refused');
      return { error: 401, code: a.code!, message: a.message! };
    }
    const stream = node.hub.get(path);
    if (!stream || stream.ended) return { error: 404, code: 'STREAM_NOT_FOUND', message: `stream ${path} is not running; start it with POST /api/v1/channels/{id}/live` };
    return { stream, claims: a.claims! };
  };

  app.route<{ Params: StreamParams }>({
    method: 'GET',
    url: '/media/:kind/:channelId/:file',
    config: { public: true },
    handler: async (req, reply) => {
      const { kind, channelId, file } = req.params;
      const m = flvName(kind, file);
      if (!m) return reply.code(404).send({ code: 'ROUTE_NOT_FOUND', message: 'expected <main|sub>.flv' });
      const r = open(req, `${kind}/${channelId}/${m[1]}`);
      if ('error' in r) return reply.code(r.error).send({ code: r.code, message: r.message });
      serveHttpFlv(req, reply, r.stream, r.claims);
      return reply;
    },
    wsHandler: (socket: WebSocket, req: FastifyRequest<{ Params: StreamParams }>) => {
      const { kind, channelId, file } = req.params;
      const m = flvName(kind, file);
      const r = m ? open(req, `${kind}/${channelId}/${m[1]}`) : { error: 404, code: 'ROUTE_NOT_FOUND', message: 'expected <main|sub>.flv' };
      if ('error' in r) {
        socket.close(r.error === 401 ? 4001 : 4004, r.message.slice(0, 120));
        return;
      }
      serveWsFlv(socket, req, r.stream, r.claims);
    },
  });

  app.get<{ Params: StreamParams & { variant: string } }>('/media/:kind/:channelId/:variant/:file', { config: { public: true } }, async (req, reply) => {
    const { kind, channelId, variant, file } = req.params;
    return hls.serve(req, reply, `${kind}/${channelId}/${variant}`, file);
  });

  app.addHook('onClose', async () => hls.close());
}

/** live: `<main|sub>[-h264].flv`; playback: `<session>.flv` */
function flvName(kind: string, file: string): RegExpExecArray | null {
  return kind === 'playback' ? /^([A-Za-z0-9_-]{6,40})\.flv$/.exec(file) : /^((?:main|sub)(?:-h264)?)\.flv$/.exec(file);
}

function serveHttpFlv(req: FastifyRequest, reply: FastifyReply, stream: Stream, claims: { u: string; s: string }): void {
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    'Content-Type': 'video/x-flv',
    'Cache-Control': 'no-cache, no-store',
    'Access-Control-Allow-Origin': '*',
    Connection: 'close',
  });
  res.socket?.setNoDelay(true);
  const sink = new FlvSink(sharedFlvFor(stream), {
    write: (b) => void res.write(b),
    backlog: () => res.writableLength,
    end: () => res.end(),
  });
  const { detach } = stream.attach(sink, { userId: claims.u, sessionId: claims.s, protocol: 'flv', remote: req.ip });
  res.on('close', detach);
}

function serveWsFlv(socket: WebSocket, req: FastifyRequest, stream: Stream, claims: { u: string; s: string }): void {
  const sink = new FlvSink(sharedFlvFor(stream), {
    write: (b) => socket.send(b, { binary: true }),
    backlog: () => socket.bufferedAmount,
    end: (reason) => socket.close(reason === 'revoked' ? 4001 : 1000, reason),
  });
  const { detach } = stream.attach(sink, { userId: claims.u, sessionId: claims.s, protocol: 'ws-flv', remote: req.ip });
  socket.on('close', detach);
  socket.on('error', detach);
}
