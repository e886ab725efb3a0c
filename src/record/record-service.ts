import { AppError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { LiveService } from '../live/live-service.js';
import type { MediaNode, RecordError } from '../media/node.js';
import type { Channel } from '../store/repos/channels.js';
import type { RecordPlan } from '../store/repos/record-plans.js';
import { ALL_CHANNELS } from '../store/scope.js';
import type { Store } from '../store/index.js';
import { inSchedule, scheduleError } from './schedule.js';

export interface RecordSettings {
  segmentMs: number;
  tz: string;
  /** how often plans are checked against what runs */
  reconcileMs: number;
  /** wait after a failure (device offline, disk full) before trying a channel again */
  retryMs: number;
}

export interface ChannelRecordStatus {
  channelId: string;
  mode: RecordPlan['mode'];
  /** recording: writing segments; holding: alarm plan, pre-record buffer only; idle: outside the schedule; error */
  state: 'recording' | 'holding' | 'idle' | 'starting' | 'error';
  since: string;
  error?: { code: string; message: string };
  /** alarm recording: writing until */
  alarmUntil?: string;
}

interface Running {
  key: string;
  writing: boolean;
}

/**
 * Recording plans (issue 7): always, weekly schedule, on alarm (pre/post seconds) or off, enforced by a reconcile loop
 * that starts the channel's live stream and a recorder on the media node where the plan wants one and stops it where
 * not. Failures (device offline, disk full) are retried after a pause and are visible per channel.
 */
export class RecordService {
  private readonly running = new Map<string, Running>();
  private readonly status = new Map<string, ChannelRecordStatus>();
  private readonly retryAt = new Map<string, number>();
  private readonly alarmUntil = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private busy = false;
  private pass?: Promise<void>;
  private readonly offs: Array<() => void> = [];

  constructor(private readonly d: { store: Store; media: MediaNode; live: LiveService; bus: EventBus; clock: Clock; log: Logger; settings: RecordSettings }) {
    this.offs.push(d.media.on('record.error', (e) => void this.onRecordError(e)));
    this.offs.push(
      d.bus.on('event', (e) => {
        const data = e.data as { channelId?: string | null; deviceId?: string; platform?: boolean };
        if (e.type !== 'alarm' || data?.platform) return; // our own storage alarms do not trigger recording
        void this.onAlarm(e.channel?.id ?? data.channelId ?? undefined, e.deviceId).catch((err) => d.log.warn({ err }, 'alarm recording failed'));
      }),
    );
  }

  start(): void {
    const tick = async () => {
      if (this.busy) return;
      this.busy = true;
      try {
        this.pass = this.reconcile();
        await this.pass;
      } catch (err) {
        this.d.log.error({ err }, 'record plan check failed');
      } finally {
        this.busy = false;
      }
    };
    void tick();
    this.timer = setInterval(tick, this.d.settings.reconcileMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const off of this.offs) off();
    await this.pass?.catch(() => undefined);
    await Promise.all([...this.running.values()].map((r) => this.d.media.stopRecording(r.key).catch(() => undefined)));
    this.running.clear();
  }

  // plans -----------------------------------------------------------------------------------------------------------

  async getPlan(channelId: string): Promise<RecordPlan> {
    return (await this.d.store.recordPlans.get(channelId)) ?? defaultPlan(channelId, this.d.clock.now().toISOString());
  }

  async putPlan(p: Omit<RecordPlan, 'updatedAt'>): Promise<RecordPlan> {
    if (p.mode === 'schedule') {
      if (!p.schedule.length) throw new AppError('VALIDATION_FAILED', 'a schedule plan needs at least one window {days, from, to}');
      const err = scheduleError(p.schedule);
      if (err) throw new AppError('VALIDATION_FAILED', err);
    }
    const plan: RecordPlan = { ...p, updatedAt: this.d.clock.now().toISOString() };
    await this.d.store.recordPlans.put(plan);
    this.retryAt.delete(p.channelId);
    await this.reconcileOne(plan).catch((err) => this.d.log.warn({ err, channel: p.channelId }, 'record plan applied later'));
    return plan;
  }

  statusOf(channelId: string): ChannelRecordStatus | undefined {
    return this.status.get(channelId);
  }

  statuses(): ChannelRecordStatus[] {
    return [...this.status.values()];
  }

  // the loop --------------------------------------------------------------------------------------------------------

  async reconcile(): Promise<void> {
    const plans = await this.d.store.recordPlans.all();
    const planned = new Set<string>();
    for (const p of plans) {
      planned.add(p.channelId);
      await this.reconcileOne(p).catch((err) => this.d.log.warn({ err: (err as Error).message, channel: p.channelId }, 'record plan not applied'));
    }
    for (const id of [...this.running.keys()]) if (!planned.has(id)) await this.halt(id, 'plan removed');
    // recorders that died with their stream (device gone for good) are started again by the next pass
    const live = new Set((await this.d.media.recordingList()).map((r) => r.channelId));
    for (const [id] of this.running) if (!live.has(id)) this.running.delete(id);
  }

  private want(p: RecordPlan): 'write' | 'hold' | 'none' {
    const now = this.d.clock.now();
    if (p.mode === 'always') return 'write';
    if (p.mode === 'schedule') return inSchedule(p.schedule, now, this.d.settings.tz) ? 'write' : 'none';
    if (p.mode === 'alarm') return (this.alarmUntil.get(p.channelId) ?? 0) > now.getTime() ? 'write' : 'hold';
    return 'none';
  }

  private async reconcileOne(p: RecordPlan): Promise<void> {
    const want = this.want(p);
    const cur = this.running.get(p.channelId);
    if (want === 'none') {
      if (cur) await this.halt(p.channelId, 'outside plan');
      this.setStatus(p, 'idle');
      return;
    }
    if (cur && (cur.writing || want === 'hold')) return;
    if ((this.retryAt.get(p.channelId) ?? 0) > Date.now()) return;
    const channel = await this.d.store.channels.get(p.channelId, ALL_CHANNELS);
    if (!channel) {
      this.setStatus(p, 'error', { code: 'NOT_FOUND', message: 'channel no longer exists' });
      return;
    }
    if (!cur) this.setStatus(p, 'starting');
    try {
      const key = cur?.key ?? (await this.openStream(channel, p));
      const preBufferMs = p.mode === 'alarm' ? Math.max(0, p.preSeconds) * 1000 : 0;
      await this.d.media.startRecording({ key, channelId: p.channelId, segmentMs: this.d.settings.segmentMs, preBufferMs, writing: want === 'write' });
      if (want === 'write' && p.mode === 'alarm') await this.d.media.triggerRecording(key, this.alarmUntil.get(p.channelId) ?? 0);
      this.running.set(p.channelId, { key, writing: want === 'write' });
      this.setStatus(p, want === 'write' ? 'recording' : 'holding');
    } catch (e) {
      const code = (e as AppError).code ?? 'INTERNAL';
      this.retryAt.set(p.channelId, Date.now() + this.d.settings.retryMs);
      this.setStatus(p, 'error', { code, message: (e as Error).message });
    }
  }

  private async openStream(channel: Channel, p: RecordPlan): Promise<string> {
    const { info } = await this.d.live.openStream(channel, p.stream);
    return info.key;
  }

  private async halt(channelId: string, why: string): Promise<void> {
    const r = this.running.get(channelId);
    if (!r) return;
    this.running.delete(channelId);
    await this.d.media.stopRecording(r.key).catch(() => undefined);
    this.d.log.info({ channel: channelId, why }, 'recording stopped');
  }

  private setStatus(p: RecordPlan, state: ChannelRecordStatus['state'], error?: ChannelRecordStatus['error']): void {
    const prev = this.status.get(p.channelId);
    const until = this.alarmUntil.get(p.channelId);
    if (prev && prev.state === state && prev.mode === p.mode && prev.error?.message === error?.message) return;
    this.status.set(p.channelId, { channelId: p.channelId, mode: p.mode, state, since: this.d.clock.now().toISOString(), ...(error ? { error } : {}), ...(until ? { alarmUntil: new Date(until).toISOString() } : {}) });
  }

  // alarms and errors ----------------------------------------------------------------------------------------------

  /** A GB alarm on a channel (or on a device: all its channels) starts alarm recording where the plan says so. */
  async onAlarm(channelId: string | undefined, deviceId: string | undefined): Promise<void> {
    const plans = (await this.d.store.recordPlans.active()).filter((p) => p.mode === 'alarm');
    if (!plans.length) return;
    let targets: RecordPlan[];
    if (channelId) targets = plans.filter((p) => p.channelId === channelId);
    else if (deviceId) {
      const ids = new Set((await this.d.store.channels.list(ALL_CHANNELS, { deviceId, page: 1, pageSize: 1000 })).items.map((c) => c.id));
      targets = plans.filter((p) => ids.has(p.channelId));
    } else return;
    const now = this.d.clock.now().getTime();
    for (const p of targets) {
      const until = now + Math.max(1, p.postSeconds) * 1000;
      this.alarmUntil.set(p.channelId, Math.max(this.alarmUntil.get(p.channelId) ?? 0, until));
      const r = this.running.get(p.channelId);
      if (r) {
        await this.d.media.triggerRecording(r.key, this.alarmUntil.get(p.channelId)!);
        r.writing = true;
        this.setStatus(p, 'recording');
      } else {
        this.retryAt.delete(p.channelId);
        await this.reconcileOne(p);
      }
      this.d.log.info({ channel: p.channelId, until: new Date(until).toISOString() }, 'alarm recording triggered');
    }
  }

  private async onRecordError(e: RecordError): Promise<void> {
    this.running.delete(e.channelId);
    this.retryAt.set(e.channelId, Date.now() + this.d.settings.retryMs);
    const plan = await this.getPlan(e.channelId);
    this.setStatus(plan, 'error', { code: e.code, message: e.message });
    const ch = await this.d.store.channels.get(e.channelId, ALL_CHANNELS).catch(() => undefined);
    const at = this.d.clock.now().toISOString();
    await this.d.store.logs.appendAlarm({ at, deviceId: ch?.deviceId ?? e.channelId, channelId: e.channelId, alarmType: e.code === 'STORAGE_FULL' ? 'platform_storage_full' : 'platform_record_failed', priority: 1, method: 'platform', description: e.message });
    this.d.bus.emit('event', { type: 'alarm', at, deviceId: ch?.deviceId, channel: ch ? { id: ch.id, orgId: ch.orgId } : undefined, data: { alarmType: e.code, description: e.message, platform: true } });
  }
}

export function defaultPlan(channelId: string, at: string): RecordPlan {
  return { channelId, mode: 'off', schedule: [], preSeconds: 0, postSeconds: 0, stream: 'main', retentionDays: null, quotaMb: null, updatedAt: at, updatedBy: null };
}
