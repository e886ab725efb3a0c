/**
 * PS over RTP sent to an upper platform (cascade, GB/T 28181-2016 附录C/D): the MediaNode vocabulary for it,
 * serialisable (a cluster carries it over NATS). Re-exported by media/node.ts.
 */
export type SendTransport = 'udp' | 'tcp-active' | 'tcp-passive';

export interface SendRequest {
  /** the stream in the hub to send: `live/<channel>/<main|sub>`, `playback/<channel>/<session>` … */
  key: string;
  /**
   * udp: we send to host:port. tcp-active: we connect to host:port (the upper offered `a=setup:passive`, our answer
   * says `a=setup:active`). tcp-passive: we listen on the returned port and the upper connects (it offered
   * `a=setup:active`, our answer says `a=setup:passive`). TCP carries RFC 4571 length-prefixed packets.
   */
  transport: SendTransport;
  /** the upper's media address from its SDP (`c=` and `m=`): required for udp and tcp-active */
  host?: string;
  port?: number;
  /** the upper's `y=` (GB/T 28181-2016 附录F) */
  ssrc: number;
  /** default 96 (`a=rtpmap:96 PS/90000`) */
  payloadType?: number;
  /** who asked, for listing (e.g. the upper platform's ID) */
  owner?: string;
  /** tcp-passive: how long after startSend the upper may take to connect; tcp-active: the connect timeout (default 10 s) */
  connectTimeoutMs?: number;
}

export interface SendOpened {
  id: string;
  /** our port for the answer's `m=` line: udp sends from it, tcp-passive listens on it, tcp-active connects from it */
  localPort: number;
  /** the address for the answer's `c=`; undefined = the address the signalling socket uses toward the upper */
  localHost?: string;
}

export type SendState = 'opened' | 'connecting' | 'waiting-peer' | 'sending';

export interface SendInfo {
  id: string;
  key: string;
  transport: SendTransport;
  state: SendState;
  localPort: number;
  /** `host:port` of the upper (tcp-passive: once it has connected) */
  peer?: string;
  ssrc: number;
  payloadType: number;
  owner?: string;
  frames: number;
  packets: number;
  bytes: number;
  /** video frames the hub skipped because the upper read too slowly (TCP) */
  dropped: number;
  /** ISO time of openSend */
  startedAt: string;
}

/**
 * stopped: stopSend (BYE). stream-ended: the source stream was closed or ended. peer-closed: the upper closed or
 * reset the TCP connection. connect-failed: tcp-active could not connect. no-connection: tcp-passive, the upper did
 * not connect in time. slow: the upper read so slowly that the hub dropped it. not-started: openSend without
 * startSend within a minute (no ACK). revoked / node-stopping: cut by the node.
 */
export type SendEndReason = 'stopped' | 'stream-ended' | 'peer-closed' | 'connect-failed' | 'no-connection' | 'slow' | 'not-started' | 'revoked' | 'node-stopping';

export interface SendEnded {
  id: string;
  key: string;
  reason: SendEndReason;
  /** human detail (the socket error, the timeout) */
  message?: string;
  owner?: string;
  frames: number;
  packets: number;
  bytes: number;
}
