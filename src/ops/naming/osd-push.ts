/**
 * Pushes a channel's name to the camera's on-screen display: a GB/T 28181-2022 DeviceConfig MESSAGE with OSDConfig
 * (附录 A.2.1.12) to the device holding the channel, then the device's Response (Result OK/ERROR, §A.2.6) awaited.
 *
 * Errors: DEVICE_OFFLINE (not registered), DEVICE_TIMEOUT (no SIP answer or no Response in time), DEVICE_REJECTED
 * (a SIP refusal such as 403/486/503), UNSUPPORTED_BY_DEVICE (Result ERROR, or a SIP 400/405/415/488/501: what a
 * GB/T 28181-2016 device, which has no OSD configuration, answers; not a GB/T 28181 channel).
 */
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { encodeManscdp } from '../../lib/manscdp/index.js';
import type { GbService } from '../../gb28181/service.js';
import { osdConfigFields, osdTextProblem, type OsdLayout } from './osd-config.js';

/** SIP answers meaning "I do not understand this body/command" rather than "not now" (RFC 3261 §21.4). */
const NOT_UNDERSTOOD = new Set([400, 404, 405, 415, 488, 501]);

export interface OsdTarget {
  id: string;
  deviceId: string;
  sourceType: string | null;
  width: number | null;
  height: number | null;
}

export interface OsdPushResult {
  channelId: string;
  text: string;
  /** the device's Result element */
  result: string;
  ms: number;
}

export class OsdPusher {
  constructor(
    private readonly gb: GbService | undefined,
    private readonly log: Logger,
    /** mutable: tests shorten the timeout */
    readonly opts: { timeoutMs: number; textCorner: OsdLayout['textCorner'] } = { timeoutMs: 5000, textCorner: 'bottom-right' },
  ) {}

  async push(ch: OsdTarget, text: string): Promise<OsdPushResult> {
    const started = Date.now();
    if (!this.gb) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling does not run on this node');
    if ((ch.sourceType ?? 'gb') !== 'gb') throw new AppError('UNSUPPORTED_BY_DEVICE', `Channel ${ch.id} is a ${ch.sourceType} source, not a GB/T 28181 channel: its OSD cannot be set over SIP`);
    const problem = osdTextProblem(text);
    if (problem) throw new AppError('VALIDATION_FAILED', `Channel ${ch.id}: ${problem}`);
    const gb = this.gb;
    gb.outbound.session(ch.deviceId); // DEVICE_OFFLINE before anything is queued
    const sn = gb.queries.nextSn();
    const fields = osdConfigFields(text, { width: ch.width ?? 1920, height: ch.height ?? 1080, textCorner: this.opts.textCorner });
    const answer = gb.queries.wait(ch.deviceId, 'DeviceConfig', sn, { timeoutMs: this.opts.timeoutMs, paged: false });
    answer.catch(() => undefined);
    try {
      await gb.outbound.message(ch.deviceId, encodeManscdp({ root: 'Control', cmdType: 'DeviceConfig', sn, deviceId: ch.id, fields }), Math.min(8000, this.opts.timeoutMs));
    } catch (e) {
      gb.queries.cancel(ch.deviceId, 'DeviceConfig', sn);
      if (e instanceof AppError && e.code === 'DEVICE_REJECTED') {
        const status = Number((e.details as { status?: number } | undefined)?.status);
        if (NOT_UNDERSTOOD.has(status)) throw new AppError('UNSUPPORTED_BY_DEVICE', `Device ${ch.deviceId} does not take OSDConfig (SIP ${status}); GB/T 28181-2016 devices have no OSD configuration (设备不支持 OSD 配置)`, { status });
      }
      throw e;
    }
    const r = await answer;
    const body = (r.parts[0]?.body ?? {}) as Record<string, unknown>;
    const result = String(body.Result ?? '').trim();
    if (result.toUpperCase() !== 'OK') {
      this.log.info({ channelId: ch.id, deviceId: ch.deviceId, result }, 'device refused OSDConfig');
      throw new AppError('UNSUPPORTED_BY_DEVICE', `Device ${ch.deviceId} answered DeviceConfig/OSDConfig with Result ${result || '(none)'}; GB/T 28181-2016 devices have no OSD configuration (设备不支持 OSD 配置)`, { result });
    }
    return { channelId: ch.id, text, result, ms: Date.now() - started };
  }
}
