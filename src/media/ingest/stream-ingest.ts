import type { Logger } from '../../core/logger.js';
import type { Frame } from '../../lib/av/frame.js';
import { ReorderBuffer } from '../../lib/rtp/index.js';
import type { Stream } from '../../stream/index.js';
import type { ReceiveAnswer, RtpTransport } from '../node.js';
import { PayloadDemux } from './payload-demux.js';
import { RtpReceiver } from './rtp-receiver.js';

/**
 * One source feeding one hub Stream from RTP: receiver (socket, SSRC filter) → reorder buffer (loss, duplicates) →
 * payload demux (PS/TS) → Stream.push. Replaced as a whole when the stream is re-INVITEd.
 */
export class StreamIngest {
  private readonly reorder: ReorderBuffer;
  private readonly demux: PayloadDemux;
  private errors = 0;

  private constructor(
    readonly receiver: RtpReceiver,
    readonly transport: RtpTransport,
    reorder: ReorderBuffer,
    demux: PayloadDemux,
  ) {
    this.reorder = reorder;
    this.demux = demux;
  }

  /** `push`: where frames go instead of `stream.push` (a retiming stage for device playback). */
  static async open(opts: { stream: Stream; transport: RtpTransport; host: string; port: number; ssrc: number; log: Logger; tcpIdleMs?: number; push?: (f: Frame) => void }): Promise<StreamIngest> {
    const { stream, log } = opts;
    let self: StreamIngest | undefined;
    const push = opts.push ?? ((f: Frame) => stream.push(f));
    const demux = new PayloadDemux({
      onFrame: push,
      onError: (code, detail) => {
        if (self && self.errors++ % 100 === 0) log.warn({ stream: stream.key, code, detail, count: self.errors }, 'media demux error');
      },
    });
    const reorder = new ReorderBuffer({ onPacket: (p) => demux.push(p), onLoss: () => demux.loss(), window: 64 });
    const receiver = await RtpReceiver.open({ transport: opts.transport, host: opts.host, port: opts.port, log, tcpIdleMs: opts.tcpIdleMs, onPacket: (p) => reorder.push(p) });
    receiver.expectSsrc(opts.ssrc);
    self = new StreamIngest(receiver, opts.transport, reorder, demux);
    return self;
  }

  async confirm(answer: ReceiveAnswer): Promise<void> {
    if (answer.ssrc !== undefined) this.receiver.expectSsrc(answer.ssrc);
    if (answer.rtpmap) this.demux.setRtpmap(answer.rtpmap);
    if (this.transport === 'tcp-active') {
      if (!answer.host || !answer.port) throw new Error('device answer lacks the address to connect to (tcp-active)');
      await this.receiver.connect(answer.host, answer.port);
    }
  }

  get format(): string {
    return this.demux.format;
  }

  stats(): { received: number; lost: number; reordered: number; badSsrc: number } {
    return { received: this.reorder.stats.received, lost: this.reorder.stats.lost, reordered: this.reorder.stats.reordered, badSsrc: this.receiver.stats.badSsrc };
  }

  async close(): Promise<void> {
    await this.receiver.close();
  }
}
