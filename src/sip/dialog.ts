import { parseCSeq, parseNameAddr, SipHeaders, tagOf, type SipRequest, type SipResponse } from '../lib/sip/index.js';
import type { SipEndpoint } from './endpoint.js';
import type { Peer } from './transport.js';

/**
 * The platform's side of an INVITE dialog (RFC 3261 §12, §13.2.2.4): created from the INVITE and its 2xx, sends the
 * ACK, in-dialog requests (INFO with MANSRTSP for playback control, GB/T 28181-2016 §9.8) and BYE.
 * Requests go to the remote target from the 2xx Contact, over the same peer (GB devices answer on their address).
 */
export class ClientDialog {
  private cseq: number;
  readonly callId: string;
  readonly remoteTarget: string;
  private readonly from: string;
  private readonly to: string;
  ended = false;

  private constructor(
    private readonly ep: SipEndpoint,
    readonly peer: Peer,
    invite: SipRequest,
    readonly answer: SipResponse,
  ) {
    this.callId = invite.headers.get('call-id')!;
    this.cseq = parseCSeq(invite.headers.get('cseq')!).seq;
    this.from = invite.headers.get('from')!;
    this.to = answer.headers.get('to') ?? invite.headers.get('to')!;
    const contact = answer.headers.get('contact');
    let target = invite.uri;
    if (contact) {
      try {
        target = parseNameAddr(contact).rawUri;
      } catch {
        /* keep the request URI */
      }
    }
    this.remoteTarget = target;
  }

  get remoteTag(): string | undefined {
    return tagOf(this.to);
  }

  /**
   * Sends the INVITE; on 2xx returns the confirmed dialog (ACK already sent). A failure answer resolves with
   * `dialog: undefined` (the transaction layer ACKs it).
   */
  static async invite(ep: SipEndpoint, peer: Peer, req: SipRequest, opts: { timeoutMs?: number; onProvisional?: (r: SipResponse) => void } = {}): Promise<{ response: SipResponse; dialog?: ClientDialog }> {
    const response = await ep.request(peer, req, opts);
    if (response.status < 200 || response.status >= 300) return { response };
    const d = new ClientDialog(ep, peer, req, response);
    await d.send('ACK', {}, Buffer.alloc(0), parseCSeq(req.headers.get('cseq')!).seq);
    return { response, dialog: d };
  }

  private headers(method: string, seq: number, extra: Record<string, string>): SipHeaders {
    return SipHeaders.from({ From: this.from, To: this.to, 'Call-ID': this.callId, CSeq: `${seq} ${method}`, ...extra });
  }

  private send(method: string, extra: Record<string, string>, body: Buffer, seq = ++this.cseq, timeoutMs?: number): Promise<SipResponse> {
    return this.ep.request(this.peer, { kind: 'request', method, uri: this.remoteTarget, headers: this.headers(method, seq, extra), body }, timeoutMs ? { timeoutMs } : {});
  }

  /** In-dialog request, e.g. INFO with `Content-Type: Application/MANSRTSP`. */
  request(method: string, extra: Record<string, string> = {}, body: Buffer = Buffer.alloc(0)): Promise<SipResponse> {
    return this.send(method, extra, body);
  }

  /** `timeoutMs` bounds the wait for the answer (shutdown must not wait Timer F's 32 s per dead device). */
  async bye(timeoutMs?: number): Promise<SipResponse | undefined> {
    if (this.ended) return undefined;
    this.ended = true;
    return this.send('BYE', {}, Buffer.alloc(0), ++this.cseq, timeoutMs);
  }
}
