import type { DeviceLogEntry } from '../store/repos/logs.js';
import type { GbDeps } from './context.js';

/**
 * Device log + console events for signalling state (R8 device log). Writes never throw into the SIP path (a failing
 * write is itself logged) and are batched: a register storm writes thousands of lines a second, so they go out as
 * multi-row inserts at most 25 ms after they happen.
 */
export class DeviceJournal {
  private buffer: DeviceLogEntry[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: GbDeps) {}

  log(deviceId: string | null, event: string, level: 'info' | 'warn' | 'error', detail?: string, channelId?: string): void {
    this.buffer.push({ at: this.deps.clock.now().toISOString(), deviceId, channelId: channelId ?? null, event, level, detail: detail ?? null });
    if (this.buffer.length >= 500) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), 25);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (!batch.length) return;
    await this.deps.store.logs.appendDevices(batch).catch((e) => this.deps.log.error({ err: e, lines: batch.length }, 'device log write failed'));
  }

  push(type: string, deviceId: string, data: unknown, channel?: { id: string; orgId: string | null }): void {
    this.deps.bus.emit('event', { type, at: this.deps.clock.now().toISOString(), deviceId, channel, data });
  }
}
