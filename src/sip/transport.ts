/** Where a SIP message came from / goes to. For TCP, `connId` names the connection to answer on. */
export interface Peer {
  transport: 'UDP' | 'TCP';
  address: string;
  port: number;
  connId?: string;
}

/**
 * The socket side of SIP, implemented by `servers/sip-transport.ts` (UDP + TCP) and by test doubles.
 * Framing (TCP) happens below this interface: handlers get whole messages.
 */
export interface SipTransport {
  /** Sends; over TCP, on `peer.connId` when open, else on a new connection to address:port. */
  send(peer: Peer, data: Buffer): void;
  onMessage(handler: (data: Buffer, peer: Peer) => void): void;
  /** A TCP peer sent bytes that cannot be framed; the transport closed that connection. */
  onError?(handler: (err: Error, peer: Peer) => void): void;
  /** Address and port to put in Via/Contact. */
  readonly local: { address: string; port: number };
  /** The address this host is reached at by that peer (a wildcard bind serves several networks). */
  localFor?(peer: Peer): { address: string; port: number };
  close(): Promise<void>;
}

export function peerKey(p: Peer): string {
  return `${p.transport}:${p.address}:${p.port}`;
}
