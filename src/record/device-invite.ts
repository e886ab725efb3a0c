import { AppError } from '../core/errors.js';
import type { MediaDialog } from '../gb28181/invites.js';
import type { GbService } from '../gb28181/service.js';
import { buildGbInviteSdp, parseGbAnswer } from '../lib/sdp/index.js';
import type { MediaNode, StreamRef } from '../media/node.js';
import type { Store } from '../store/index.js';
import { ALL_CHANNELS } from '../store/scope.js';

export interface HistoryInvite {
  ref: StreamRef;
  deviceId: string;
  channelId: string;
  subject: 'Playback' | 'Download';
  /** t= window, Unix ms (sent as whole seconds) */
  fromMs: number;
  toMs: number;
  /** Download: a=downloadspeed */
  downloadSpeed?: number;
  onBye: (d: MediaDialog) => void;
  onMediaStatus: (d: MediaDialog, notifyType: number | null) => void;
}

/**
 * INVITE for a device's recordings (GB/T 28181-2016 §9.8 Playback, §9.9 Download): a receive port on the media node
 * (the stream and its readers survive a repeated INVITE), `s=Playback|Download`, `u=<channel>:0`, `t=<start> <end>` in
 * Unix seconds, `y=` with the history digit 1, the device's transport; the answer's SSRC and address go to the node.
 */
export async function inviteHistory(d: { store: Store; gb: GbService; media: MediaNode }, o: HistoryInvite): Promise<MediaDialog> {
  const device = await d.store.devices.get(o.deviceId, ALL_CHANNELS);
  if (!device) throw new AppError('NOT_FOUND', `device ${o.deviceId} of channel ${o.channelId} is not in the archive`);
  d.gb.outbound.session(o.deviceId); // DEVICE_OFFLINE before a port is taken
  const ssrc = d.gb.invites.nextSsrc(true);
  const port = await d.media.openReceive({ stream: o.ref, transport: device.mediaTransport, ssrc: Number(ssrc) });
  let dialog: MediaDialog;
  try {
    const sdp = buildGbInviteSdp({
      subject: o.subject,
      deviceChannelId: o.channelId,
      ip: port.host ?? d.gb.localAddressFor(o.deviceId),
      port: port.port,
      transport: device.mediaTransport,
      ssrc,
      // whole seconds keeping the length asked for (a 30 s range is 30 s of t=, whatever the milliseconds)
      startTime: Math.floor(o.fromMs / 1000),
      endTime: Math.floor(o.fromMs / 1000) + Math.max(1, Math.round((o.toMs - o.fromMs) / 1000)),
      downloadSpeed: o.subject === 'Download' ? o.downloadSpeed : undefined,
    });
    dialog = await d.gb.invites.invite({ deviceId: o.deviceId, channelId: o.channelId, ssrc, sdp, subject: o.subject, onBye: o.onBye, onMediaStatus: o.onMediaStatus });
  } catch (e) {
    await d.media.stopReceive(o.ref.key).catch(() => undefined);
    throw e;
  }
  try {
    const answer = parseGbAnswer(dialog.answerSdp);
    await d.media.confirmReceive(o.ref.key, { ssrc: answer.ssrcNumber ?? Number(ssrc), host: answer.ip, port: answer.port, rtpmap: answer.rtpmap });
  } catch (e) {
    await d.gb.invites.bye(dialog.callId).catch(() => undefined);
    await d.media.stopReceive(o.ref.key).catch(() => undefined);
    throw e;
  }
  return dialog;
}
