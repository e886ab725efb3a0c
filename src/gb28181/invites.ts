import { AppError } from '../core/errors.js';
import { ClientDialog } from '../sip/dialog.js';
import { newCallId, newTag, SipTimeoutError, type IncomingRequest } from '../sip/endpoint.js';
import type { GbDeps } from './context.js';
import { deviceDomain, type Outbound } from './outbound.js';

export type InviteSubject = 'Play' | 'Playback' | 'Download';

export interface InviteRequest {
  deviceId: string;
  channelId: string;
  /** the 10-digit SSRC string we put in `y=` and the Subject header */
  ssrc: string;
  sdp: string;
  timeoutMs?: number;
  /** s= of the offer (default Play): Playback/Download dialogs receive MediaStatus 121 */
  subject?: InviteSubject;
  /** this dialog's own handlers (playback/download sessions); without them a remote BYE goes to `onRemoteBye` */
  onBye?: (d: MediaDialog) => void;
  onMediaStatus?: (d: MediaDialog, notifyType: number | null) => void;
}

export interface MediaDialog {
  callId: string;
  deviceId: string;
  channelId: string;
  answerSdp: string;
  dialog: ClientDialog;
  subject: InviteSubject;
  onBye?: (d: MediaDialog) => void;
  onMediaStatus?: (d: MediaDialog, notifyType: number | null) => void;
}

/**
 * Media INVITE dialogs toward devices (GB/T 28181-2016 §9.2 live, §9.8 playback, §9.9 download): INVITE with our
 * SDP offer, ACK, BYE from either side. The caller (live/playback services) decides what to do when a device ends a
 * dialog on its own (`onRemoteBye`).
 */
export class GbInvites {
  private readonly dialogs = new Map<string, MediaDialog>();
  private ssrcSeq = 0;
  onRemoteBye: (d: MediaDialog) => void = () => undefined;

  constructor(
    private readonly deps: GbDeps,
    private readonly outbound: Outbound,
  ) {}

  /**
   * SSRC per GB/T 28181-2016 附录F: 10 decimal digits, first 0 = live / 1 = history, then digits 4-8 of the SIP domain,
   * then a 4-digit sequence.
   */
  nextSsrc(history: boolean): string {
    this.ssrcSeq = (this.ssrcSeq % 9999) + 1;
    return `${history ? 1 : 0}${this.deps.settings.domain.slice(3, 8)}${String(this.ssrcSeq).padStart(4, '0')}`;
  }

  async invite(req: InviteRequest): Promise<MediaDialog> {
    const s = this.outbound.session(req.deviceId);
    const { sipId } = this.deps.settings;
    const headers = this.outbound.headersFor(s, 'INVITE', {
      Contact: this.outbound.contact(s.peer),
      'Content-Type': 'APPLICATION/SDP',
      // §9.2.2.1: media sender ID : sender stream sequence, receiver ID : receiver stream sequence
      Subject: `${req.channelId}:${req.ssrc},${sipId}:0`,
    }, newCallId(), newTag(), 1);
    // The To header names the channel (the media source), not the device.
    headers.set('To', `<sip:${req.channelId}@${deviceDomain(req.channelId)}>`);
    const uri = `sip:${req.channelId}@${s.peer.address}:${s.peer.port}`;
    let res;
    try {
      res = await ClientDialog.invite(this.deps.endpoint, s.peer, { kind: 'request', method: 'INVITE', uri, headers, body: Buffer.from(req.sdp) }, { timeoutMs: req.timeoutMs ?? 10_000 });
    } catch (e) {
      if (e instanceof SipTimeoutError) throw new AppError('DEVICE_TIMEOUT', `Device ${req.deviceId} did not answer the INVITE for ${req.channelId} (设备无响应)`);
      throw e;
    }
    if (!res.dialog) {
      throw new AppError('DEVICE_REJECTED', `Device ${req.deviceId} refused video of ${req.channelId}: ${res.response.status} ${res.response.reason}`, { status: res.response.status });
    }
    const d: MediaDialog = {
      callId: res.dialog.callId,
      deviceId: req.deviceId,
      channelId: req.channelId,
      answerSdp: res.response.body.toString('utf8'),
      dialog: res.dialog,
      subject: req.subject ?? 'Play',
      onBye: req.onBye,
      onMediaStatus: req.onMediaStatus,
    };
    this.dialogs.set(d.callId, d);
    return d;
  }

  async bye(callId: string, timeoutMs = 8000): Promise<void> {
    const d = this.dialogs.get(callId);
    if (!d) return;
    this.dialogs.delete(callId);
    await d.dialog.bye(timeoutMs).catch((e) => this.deps.log.debug({ callId, err: (e as Error).message }, 'BYE not answered'));
  }

  /** A BYE from a device: 200 for our dialogs, 481 otherwise (RFC 3261 §15.1.2). Returns true when handled. */
  handleBye(r: IncomingRequest): void {
    const callId = r.msg.headers.get('call-id') ?? '';
    const d = this.dialogs.get(callId);
    if (!d) return r.reply(481);
    this.dialogs.delete(callId);
    d.dialog.ended = true;
    r.reply(200);
    if (d.onBye) d.onBye(d);
    else this.onRemoteBye(d);
  }

  /** The media dialog a Call-ID belongs to (a device's in-dialog MESSAGE, e.g. MediaStatus, names the channel in From). */
  byCallId(callId: string | undefined): MediaDialog | undefined {
    return callId ? this.dialogs.get(callId) : undefined;
  }

  /**
   * MediaStatus from a device (GB/T 28181-2016 §9.8.2/§9.9.2, NotifyType 121 = the file was sent to its end). Matched by
   * the dialog's Call-ID (in-dialog MESSAGE, as the standard's flow shows); a device that sends it out of dialog is
   * matched by the DeviceID in the body (channel, else device) when exactly one Playback/Download dialog fits.
   * Returns true when a dialog took it.
   */
  mediaStatus(callId: string | undefined, deviceId: string, target: string, notifyType: number | null): boolean {
    let d = this.byCallId(callId);
    if (!d) {
      const history = [...this.dialogs.values()].filter((x) => x.subject !== 'Play' && x.deviceId === deviceId && x.onMediaStatus);
      const fits = history.filter((x) => x.channelId === target);
      const pick = fits.length ? fits : target === deviceId ? history : [];
      if (pick.length !== 1) {
        this.deps.log.warn({ deviceId, target, callId, candidates: pick.length }, 'MediaStatus matches no single playback/download dialog');
        return false;
      }
      d = pick[0];
    }
    d.onMediaStatus?.(d, notifyType);
    return !!d.onMediaStatus;
  }

  /** In-dialog INFO with a MANSRTSP body (playback control, §9.8.2). */
  async info(callId: string, body: string): Promise<void> {
    const d = this.dialogs.get(callId);
    if (!d) throw new AppError('STREAM_NOT_FOUND', 'media dialog ended');
    const res = await d.dialog.request('INFO', { 'Content-Type': 'Application/MANSRTSP' }, Buffer.from(body));
    if (res.status >= 300) throw new AppError('DEVICE_REJECTED', `Device answered INFO with ${res.status} ${res.reason}`);
  }

  get size(): number {
    return this.dialogs.size;
  }

  /** Ends every dialog (shutdown). */
  async byeAll(): Promise<void> {
    await Promise.all([...this.dialogs.keys()].map((id) => this.bye(id, 1500)));
  }
}
