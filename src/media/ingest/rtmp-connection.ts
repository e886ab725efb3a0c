import type net from 'node:net';
import type { Logger } from '../../core/logger.js';
import type { Amf0Object, Amf0Value } from '../../lib/flv/index.js';
import {
  acknowledgementMessage,
  ChunkReader,
  ChunkWriter,
  commandMessage,
  decodeCommand,
  decodeData,
  MessageType,
  onStatusMessage,
  parseUserControl,
  readControlValue,
  RtmpProtocolError,
  type RtmpCommand,
  type RtmpMessage,
  ServerHandshake,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  splitAggregate,
  statusInfo,
  UserControl,
  userControlMessage,
  windowAckSizeMessage,
} from '../../lib/rtmp/index.js';
import type { Stream } from '../../stream/index.js';
import { RtmpMediaConverter } from './rtmp-frames.js';

export interface RtmpPublishRequest {
  /** the application of the connect URL (`live`), without a query */
  app: string;
  /** the stream name without its query */
  name: string;
  /** the stream name's query (`key=…`), plus any parameter only the app's query had */
  query: URLSearchParams;
  /** the publisher's address */
  remote: string;
}

/**
 * What `authorize` returns: the hub stream to feed, or a refusal. `code` picks the onStatus code sent to the client
 * (default `Unauthorized`, i.e. NetStream.Publish.Unauthorized; `BadName` for a stream name that does not exist).
 */
export type RtmpAuthorizeResult = { stream: Stream } | { error: string; code?: 'BadName' | 'Unauthorized' };

/** What a connection needs from its server. */
export interface RtmpConnectionContext {
  readonly log: Logger;
  readonly idleTimeoutMs: number;
  readonly maxMessageBytes: number;
  authorize(req: RtmpPublishRequest): Promise<RtmpAuthorizeResult>;
  onPublishStart?(req: RtmpPublishRequest): void;
  onPublishEnd?(req: RtmpPublishRequest, reason: string): void;
  /** who publishes into a hub stream now: one publisher per stream */
  readonly publishers: Map<Stream, RtmpConnection>;
  readonly counters: { bytesIn: number; rejected: number; publishing: number };
}

/** The window we announce (the client acknowledges every this many bytes we send, §5.4.4), and the interval of our
 *  acknowledgements when the client announced none. */
const WINDOW_ACK_SIZE = 2_500_000;
/** chunk size we send with (our messages are small; a bigger size saves headers for the client's sake only) */
const OUT_CHUNK_SIZE = 4096;
/** a client that does not read what we send (pings, statuses) is cut off beyond this */
const MAX_WRITE_BACKLOG = 1024 * 1024;
/** media messages held while `authorize` runs (a client that does not wait for Publish.Start) */
const MAX_QUEUED_MESSAGES = 256;
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const MAX_MESSAGE_STREAMS = 8;
/** before a publish command, only commands are expected: small messages, little buffered (unauthenticated peers) */
const PRE_PUBLISH_LIMITS = { maxMessageSize: 64 * 1024, maxPendingBytes: 256 * 1024 };
/** after a graceful close, how long the peer gets to read the last status before the socket is destroyed */
const LINGER_MS = 2000;

interface Publish {
  req: RtmpPublishRequest;
  streamId: number;
  state: 'authorizing' | 'live';
  stream?: Stream;
  media?: RtmpMediaConverter;
  queue: RtmpMessage[];
  queuedBytes: number;
  onEnded?: () => void;
}

/** Splits `name?a=b` into the name and its query. */
function splitQuery(s: string): { path: string; query: URLSearchParams } {
  const i = s.indexOf('?');
  return i < 0 ? { path: s, query: new URLSearchParams() } : { path: s.slice(0, i), query: new URLSearchParams(s.slice(i + 1)) };
}

/**
 * One RTMP client connection (Adobe RTMP spec 1.0): handshake, chunk stream, NetConnection / NetStream commands for
 * publishing (connect, releaseStream, FCPublish, createStream, publish, FCUnpublish, deleteStream), protocol control
 * (Set Chunk Size, Abort, Acknowledgement, Window Acknowledgement Size, User Control ping), and the published audio /
 * video / data messages, which become Frames pushed into the hub stream `authorize` gave. One publish at a time per
 * connection. Anything unreadable closes the connection; nothing here throws into the server.
 */
export class RtmpConnection {
  readonly remote: string;
  private readonly hs = new ServerHandshake();
  private readonly reader: ChunkReader;
  private readonly writer = new ChunkWriter();
  private connected = false;
  private app = '';
  private appQuery = new URLSearchParams();
  private nextStreamId = 1;
  private readonly streamIds = new Set<number>();
  private publish: Publish | undefined;
  private closing = false;
  private closed = false;
  private closeReason = 'disconnected';
  private lingerTimer: NodeJS.Timeout | undefined;
  private bytesIn = 0;
  private ackedAt = 0;
  /** acknowledge every this many bytes received: the client's Window Acknowledgement Size, else (after connect) ours */
  private ackWindow = 0;
  private peerWindowSet = false;
  /** start of the current "not publishing" period (accept, or the last unpublish) */
  private waitingSince: number;
  /** last message of any kind while publishing */
  private lastMessageAt: number;
  private loggedPushError = false;
  private resolveGone!: () => void;
  /** resolves once the socket is closed and a publish on it has ended */
  readonly gone = new Promise<void>((resolve) => (this.resolveGone = resolve));

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
    private readonly ctx: RtmpConnectionContext,
    private readonly onGone: (c: RtmpConnection) => void,
  ) {
    const ra = socket.remoteAddress ?? '';
    this.remote = `${ra.startsWith('::ffff:') ? ra.slice(7) : ra}:${socket.remotePort ?? 0}`;
    this.waitingSince = this.lastMessageAt = Date.now();
    this.reader = new ChunkReader({
      maxMessageSize: Math.min(PRE_PUBLISH_LIMITS.maxMessageSize, ctx.maxMessageBytes),
      maxPendingBytes: PRE_PUBLISH_LIMITS.maxPendingBytes,
      maxChunkStreams: 64,
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => ctx.log.debug({ remote: this.remote, err: err.message }, 'rtmp connection error'));
    socket.on('close', () => this.onClose());
  }

  get isPublishing(): boolean {
    return this.publish?.state === 'live';
  }

  /**
   * Closes the connection; `graceful` lets the last queued bytes (an error status) go out first.
   * `reason` is what onPublishEnd gets.
   */
  close(reason: string, graceful = false): void {
    if (this.closed) return;
    if (!this.closing) this.closeReason = reason;
    if (!graceful) {
      this.closing = true;
      this.socket.destroy();
      return;
    }
    if (this.closing) return;
    this.closing = true;
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.lingerTimer.unref();
  }

  /** The server's periodic check: no publish within idleMs of the connect (or of the last unpublish), or a
   *  publisher silent for idleMs, is closed. */
  sweep(now: number, idleMs: number): void {
    if (this.closing) return;
    if (this.publish?.state === 'live') {
      if (now - this.lastMessageAt > idleMs) {
        this.ctx.log.info({ remote: this.remote, name: this.publish.req.name }, 'rtmp publisher silent: closing');
        this.close('timeout');
      }
    } else if (now - this.waitingSince > idleMs) {
      this.ctx.log.debug({ remote: this.remote, handshake: this.hs.done, connected: this.connected }, 'rtmp connection idle: closing');
      this.close('timeout');
    }
  }

  private send(m: RtmpMessage): void {
    if (this.closing || this.socket.destroyed) return;
    this.socket.write(this.writer.write(m));
    if (this.socket.writableLength > MAX_WRITE_BACKLOG) this.close('not reading');
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.bytesIn += chunk.length;
    this.ctx.counters.bytesIn += chunk.length;
    try {
      let data = chunk;
      if (!this.hs.done) {
        const step = this.hs.push(chunk);
        if (step.out) this.socket.write(step.out);
        if (!step.done) return;
        if (this.hs.clientVersion) this.ctx.log.debug({ remote: this.remote, version: this.hs.clientVersion.toString(16) }, 'rtmp: digest handshake client answered with the simple handshake');
        data = step.rest;
        if (!data.length) return;
      }
      for (const m of this.reader.push(data)) {
        if (this.closing) return;
        this.onMessage(m);
      }
      if (this.ackWindow > 0 && this.bytesIn - this.ackedAt >= this.ackWindow) {
        this.ackedAt = this.bytesIn;
        this.send(acknowledgementMessage(this.bytesIn % 0x1_0000_0000));
      }
    } catch (e) {
      const err = e as Error;
      const level = e instanceof RtmpProtocolError ? 'debug' : 'warn';
      this.ctx.log[level]({ remote: this.remote, err: err.message }, 'rtmp: unreadable input, closing');
      this.close('protocol error');
    }
  }

  private onMessage(m: RtmpMessage): void {
    if (this.publish?.state === 'live') this.lastMessageAt = Date.now();
    switch (m.type) {
      case MessageType.SET_CHUNK_SIZE:
      case MessageType.ABORT: // applied by the reader
      case MessageType.ACKNOWLEDGEMENT:
      case MessageType.SET_PEER_BANDWIDTH:
        return;
      case MessageType.WINDOW_ACK_SIZE:
        // §5.4.4: the client wants an Acknowledgement every this many bytes it sends (0: none)
        this.ackWindow = readControlValue(m.payload);
        this.peerWindowSet = true;
        return;
      case MessageType.USER_CONTROL: {
        const ev = parseUserControl(m.payload);
        if (ev.event === UserControl.PING_REQUEST) this.send(userControlMessage(UserControl.PING_RESPONSE, ev.value));
        return;
      }
      case MessageType.COMMAND_AMF0:
      case MessageType.COMMAND_AMF3:
        this.onCommand(decodeCommand(m.payload, m.type === MessageType.COMMAND_AMF3), m);
        return;
      case MessageType.AUDIO:
      case MessageType.VIDEO:
      case MessageType.DATA_AMF0:
      case MessageType.DATA_AMF3:
        this.onMedia(m);
        return;
      case MessageType.AGGREGATE:
        for (const sub of splitAggregate(m)) if (sub.type === MessageType.AUDIO || sub.type === MessageType.VIDEO || sub.type === MessageType.DATA_AMF0) this.onMedia(sub);
        return;
      default:
        return; // shared objects and anything else: not for a publish-only server
    }
  }

  private onCommand(cmd: RtmpCommand, m: RtmpMessage): void {
    if (!this.connected && cmd.name !== 'connect') {
      throw new RtmpProtocolError(`"${cmd.name}" before connect`);
    }
    switch (cmd.name) {
      case 'connect':
        return this.onConnect(cmd);
      case 'releaseStream':
      case 'FCPublish':
        if (cmd.transactionId > 0) this.send(commandMessage(0, '_result', cmd.transactionId, null));
        return;
      case 'createStream': {
        if (this.streamIds.size >= MAX_MESSAGE_STREAMS) {
          this.send(commandMessage(0, '_error', cmd.transactionId, null, statusInfo('error', 'NetConnection.Call.Failed', 'too many streams')));
          return;
        }
        const id = this.nextStreamId++;
        this.streamIds.add(id);
        this.send(commandMessage(0, '_result', cmd.transactionId, null, id));
        return;
      }
      case 'publish':
        return this.onPublish(cmd, m.streamId);
      case 'FCUnpublish':
      case 'closeStream':
      case 'deleteStream': {
        const p = this.publish;
        if (!p) return;
        const target = cmd.args[0];
        const matches =
          cmd.name === 'FCUnpublish' ? typeof target !== 'string' || splitQuery(target).path === p.req.name : cmd.name === 'deleteStream' ? target === p.streamId : m.streamId === p.streamId;
        if (!matches) return;
        if (cmd.name === 'deleteStream' && typeof target === 'number') this.streamIds.delete(target);
        if (p.state === 'live') this.send(onStatusMessage(p.streamId, statusInfo('status', 'NetStream.Unpublish.Success', `${p.req.name} is now unpublished.`)));
        this.endPublish('unpublished');
        return;
      }
      case 'play':
      case 'play2':
        this.send(onStatusMessage(m.streamId, statusInfo('error', 'NetStream.Play.Failed', 'this server only accepts publishing')));
        this.close('play refused', true);
        return;
      case '_result':
      case '_error':
      case 'onStatus':
      case '_checkbw':
      case 'getStreamLength':
      case 'receiveAudio':
      case 'receiveVideo':
        return;
      default:
        if (cmd.transactionId > 0) this.send(commandMessage(0, '_error', cmd.transactionId, null, statusInfo('error', 'NetConnection.Call.Failed', `unknown command ${cmd.name}`)));
        return;
    }
  }

  private onConnect(cmd: RtmpCommand): void {
    if (this.connected) throw new RtmpProtocolError('second connect');
    const o = cmd.object;
    const obj = o && typeof o === 'object' && !Array.isArray(o) && !(o instanceof Date) ? (o as Amf0Object) : undefined;
    const app = obj?.app;
    if (typeof app !== 'string') throw new RtmpProtocolError('connect without an app');
    const { path, query } = splitQuery(app);
    this.app = path.replace(/\/+$/, '');
    this.appQuery = query;
    this.connected = true;
    this.send(windowAckSizeMessage(WINDOW_ACK_SIZE));
    if (!this.peerWindowSet) this.ackWindow = WINDOW_ACK_SIZE;
    this.send(setPeerBandwidthMessage(WINDOW_ACK_SIZE));
    this.send(setChunkSizeMessage(OUT_CHUNK_SIZE));
    this.writer.setChunkSize(OUT_CHUNK_SIZE);
    this.send(
      commandMessage(
        0,
        '_result',
        cmd.transactionId || 1,
        // Enhanced RTMP clients announce fourCcList; tell them which video FourCCs this server takes
        { fmsVer: 'FMS/3,0,1,123', capabilities: 31, ...(Array.isArray(obj?.fourCcList) ? { fourCcList: ['avc1', 'hvc1'] } : {}) },
        statusInfo('status', 'NetConnection.Connect.Success', 'Connection succeeded.', { objectEncoding: 0 }),
      ),
    );
  }

  private refuse(streamId: number, code: 'BadName' | 'Unauthorized', text: string): void {
    this.ctx.counters.rejected++;
    this.send(onStatusMessage(streamId, statusInfo('error', `NetStream.Publish.${code}`, text)));
    this.close(`refused: ${text}`, true);
  }

  private onPublish(cmd: RtmpCommand, streamId: number): void {
    const raw = cmd.args[0];
    if (this.publish) {
      this.refuse(streamId, 'BadName', 'this connection is already publishing');
      return;
    }
    if (typeof raw !== 'string' || !raw) {
      this.refuse(streamId, 'BadName', 'no stream name');
      return;
    }
    const { path, query } = splitQuery(raw);
    for (const [k, v] of this.appQuery) if (!query.has(k)) query.append(k, v);
    const req: RtmpPublishRequest = { app: this.app, name: path, query, remote: this.remote };
    const p: Publish = { req, streamId, state: 'authorizing', queue: [], queuedBytes: 0 };
    this.publish = p;
    // media may follow at once (sequence headers, a key frame): from here on, messages up to the configured size
    this.reader.setLimits({ maxMessageSize: this.ctx.maxMessageBytes, maxPendingBytes: 2 * this.ctx.maxMessageBytes });
    let result: Promise<RtmpAuthorizeResult>;
    try {
      result = this.ctx.authorize(req);
    } catch (e) {
      result = Promise.reject(e);
    }
    result
      .then(
        (r) => this.authorized(p, r),
        (err: unknown) => {
          this.ctx.log.error({ err, name: req.name }, 'rtmp authorize failed');
          this.authorized(p, { error: 'internal error' });
        },
      )
      .catch((err: unknown) => {
        // e.g. authorize resolved to something that is neither { stream } nor { error }
        this.ctx.log.error({ err, name: req.name }, 'rtmp publish start failed');
        this.close('internal error');
      });
  }

  private authorized(p: Publish, r: RtmpAuthorizeResult): void {
    if (this.publish !== p || this.closing) return;
    const log = this.ctx.log;
    if ('error' in r) {
      log.info({ remote: this.remote, app: p.req.app, name: p.req.name, error: r.error }, 'rtmp publish refused');
      this.publish = undefined;
      this.refuse(p.streamId, r.code ?? 'Unauthorized', r.error);
      return;
    }
    const stream = r.stream;
    const other = this.ctx.publishers.get(stream);
    if (stream.ended || (other && other !== this)) {
      const why = stream.ended ? 'stream ended' : `${p.req.name} is already being published`;
      log.info({ remote: this.remote, name: p.req.name, by: other?.remote }, `rtmp publish refused: ${why}`);
      this.publish = undefined;
      this.refuse(p.streamId, 'BadName', why);
      return;
    }
    p.state = 'live';
    p.stream = stream;
    p.media = new RtmpMediaConverter();
    this.ctx.publishers.set(stream, this);
    this.ctx.counters.publishing++;
    this.lastMessageAt = Date.now();
    stream.sourceRestarted(); // RTMP time starts again at 0: the hub continues its timestamps
    p.onEnded = () => {
      log.info({ remote: this.remote, name: p.req.name }, 'rtmp: hub stream ended, closing the publisher');
      this.close('stream ended', true);
    };
    stream.once('ended', p.onEnded);
    this.send(userControlMessage(UserControl.STREAM_BEGIN, p.streamId));
    this.send(onStatusMessage(p.streamId, statusInfo('status', 'NetStream.Publish.Start', `${p.req.name} is now published.`, { details: p.req.name })));
    log.info({ remote: this.remote, app: p.req.app, name: p.req.name, stream: stream.key }, 'rtmp publish started');
    try {
      this.ctx.onPublishStart?.(p.req);
    } catch (err) {
      log.error({ err }, 'rtmp onPublishStart failed');
    }
    const queued = p.queue;
    p.queue = [];
    p.queuedBytes = 0;
    for (const m of queued) {
      if (this.publish !== p || this.closing) break;
      this.onMedia(m);
    }
  }

  private onMedia(m: RtmpMessage): void {
    const p = this.publish;
    if (!p || m.streamId !== p.streamId) return;
    if (p.state === 'authorizing') {
      if (p.queue.length < MAX_QUEUED_MESSAGES && p.queuedBytes + m.payload.length <= MAX_QUEUED_BYTES) {
        p.queue.push(m);
        p.queuedBytes += m.payload.length;
      }
      return;
    }
    const media = p.media!;
    if (m.type === MessageType.DATA_AMF0 || m.type === MessageType.DATA_AMF3) {
      let values: Amf0Value[];
      try {
        values = decodeData(m.payload, m.type === MessageType.DATA_AMF3);
      } catch {
        return; // unreadable metadata is no reason to drop the publisher
      }
      this.onData0(p, values);
      return;
    }
    const before = media.unsupported.size;
    const droppedBefore = media.stats.dropped;
    const frame = m.type === MessageType.VIDEO ? media.videoFrame(m.timestamp, m.payload) : media.audioFrame(m.timestamp, m.payload);
    if (media.unsupported.size > before) this.ctx.log.warn({ remote: this.remote, name: p.req.name, codec: [...media.unsupported].pop() }, 'rtmp: codec not supported, dropped');
    else if (media.stats.dropped > droppedBefore && media.stats.dropped <= 3 && media.lastError) this.ctx.log.debug({ remote: this.remote, err: media.lastError }, 'rtmp: media message dropped');
    if (!frame) return;
    try {
      p.stream!.push(frame);
    } catch (err) {
      if (!this.loggedPushError) this.ctx.log.error({ err, stream: p.stream!.key }, 'rtmp: stream push failed');
      this.loggedPushError = true;
    }
  }

  private onData0(p: Publish, values: Amf0Value[]): void {
    // @setDataFrame onMetaData {…} (or onMetaData {…} directly): informative only; the codecs come from the headers
    const v = values[0] === '@setDataFrame' ? values.slice(1) : values;
    if (v[0] !== 'onMetaData') return;
    const md = v[1];
    if (md && typeof md === 'object' && !Array.isArray(md) && !(md instanceof Date)) {
      const o = md as Amf0Object;
      this.ctx.log.debug(
        { name: p.req.name, width: o.width, height: o.height, framerate: o.framerate, videocodecid: o.videocodecid, audiocodecid: o.audiocodecid, encoder: o.encoder },
        'rtmp metadata',
      );
    }
  }

  /** Stops feeding the hub stream (unpublish or close). */
  private endPublish(reason: string): void {
    const p = this.publish;
    if (!p) return;
    this.publish = undefined;
    this.waitingSince = Date.now();
    if (p.state !== 'live' || !p.stream) return;
    if (p.onEnded) p.stream.off('ended', p.onEnded);
    if (this.ctx.publishers.get(p.stream) === this) this.ctx.publishers.delete(p.stream);
    this.ctx.counters.publishing--;
    const s = p.media!.stats;
    this.ctx.log.info({ remote: this.remote, name: p.req.name, reason, video: s.videoFrames, audio: s.audioFrames, dropped: s.dropped }, 'rtmp publish ended');
    try {
      this.ctx.onPublishEnd?.(p.req, reason);
    } catch (err) {
      this.ctx.log.error({ err }, 'rtmp onPublishEnd failed');
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.endPublish(this.closeReason);
    this.onGone(this);
    this.resolveGone();
  }
}
