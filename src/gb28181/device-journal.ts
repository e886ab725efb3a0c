import type { GbDeps } from './context.js';

/**
 * Device log + console events for signalling state (R8 device log). Writes never throw into the SIP path:
 * a failing log write is itself logged.
 */
export class DeviceJournal {
  constructor(private readonly deps: GbDeps) {}

  log(deviceId: string | null, event: string, level: 'info' | 'warn' | 'error', detail?: string, channelId?: string): void {
    this.deps.store.logs
      .appendDevice({ at: this.deps.clock.now().toISOString(), deviceId, channelId: channelId ?? null, event, level, detail: detail ?? null })
      .catch((e) => this.deps.log.error({ err: e }, 'device log write failed'));
  }

  push(type: string, deviceId: string, data: unknown, channel?: { id: string; orgId: string | null }): void {
    this.deps.bus.emit('event', { type, at: this.deps.clock.now().toISOString(), deviceId, channel, data });
  }
}
