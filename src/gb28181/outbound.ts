import { AppError } from '../core/errors.js';
import { SipHeaders, type SipResponse } from '../lib/sip/index.js';
import { newCallId, newTag, SipTimeoutError } from '../sip/endpoint.js';
import type { GbDeps } from './context.js';
import type { Registry, Session } from './registry.js';

export const MANSCDP_TYPE = 'Application/MANSCDP+xml';

/** The SIP domain of a device: the first 10 digits of its ID (GB/T 28181-2016 Appendix D). */
export function deviceDomain(id: string): string {
  return id.slice(0, 10);
}

/** Builds and sends requests from the platform to a registered device (MESSAGE, SUBSCRIBE). */
export class Outbound {
  private cseq = 1;

  constructor(
    private readonly deps: GbDeps,
    private readonly registry: Registry,
  ) {}

  session(deviceId: string): Session {
    const s = this.registry.get(deviceId);
    if (!s || !s.online) throw new AppError('DEVICE_OFFLINE', `Device ${deviceId} is not registered or offline (设备离线)`);
    return s;
  }

  headersFor(s: Session, method: string, extra: Record<string, string> = {}, callId = newCallId(), fromTag = newTag(), cseq = this.cseq++): SipHeaders {
    const { sipId, domain } = this.deps.settings;
    const h = SipHeaders.from({
      From: `<sip:${sipId}@${domain}>;tag=${fromTag}`,
      To: `<sip:${s.deviceId}@${deviceDomain(s.deviceId)}>`,
      'Call-ID': callId,
      CSeq: `${cseq} ${method}`,
      ...extra,
    });
    return h;
  }

  /** Our Contact as seen from that device (GB/T 28181 devices send NOTIFYs and responses there, not always to the source). */
  contact(peer: Session['peer']): string {
    const l = this.deps.endpoint.localFor(peer);
    return `<sip:${this.deps.settings.sipId}@${l.address}:${l.port}>`;
  }

  requestUri(s: Session): string {
    return `sip:${s.deviceId}@${s.peer.address}:${s.peer.port}`;
  }

  /** MESSAGE with a MANSCDP body; resolves on 200, throws a typed error otherwise. */
  async message(deviceId: string, body: Buffer, timeoutMs = 8000): Promise<SipResponse> {
    const s = this.session(deviceId);
    const headers = this.headersFor(s, 'MESSAGE', { 'Content-Type': MANSCDP_TYPE });
    return this.expectOk(deviceId, 'MESSAGE', () => this.deps.endpoint.request(s.peer, { kind: 'request', method: 'MESSAGE', uri: this.requestUri(s), headers, body }, { timeoutMs }));
  }

  async expectOk(deviceId: string, method: string, send: () => Promise<SipResponse>): Promise<SipResponse> {
    let res: SipResponse;
    try {
      res = await send();
    } catch (e) {
      if (e instanceof SipTimeoutError) throw new AppError('DEVICE_TIMEOUT', `Device ${deviceId} did not answer the ${method} (设备无响应)`);
      throw e;
    }
    if (res.status >= 300) throw new AppError('DEVICE_REJECTED', `Device ${deviceId} answered ${method} with ${res.status} ${res.reason}`, { status: res.status });
    return res;
  }
}
