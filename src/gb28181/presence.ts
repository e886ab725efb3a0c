import type { GbDeps } from './context.js';
import type { DeviceJournal } from './device-journal.js';
import type { Registry } from './registry.js';
import { yieldToLoop } from '../core/wait.js';

const FLUSH_CHUNK = 500;

/**
 * Online/offline from keepalives (GB/T 28181-2016 §9.6): offline after `keepaliveMisses` intervals without one,
 * or when the registration expires. Keepalive times are flushed to the database in batches.
 */
export class Presence {
  private timer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly deps: GbDeps,
    private readonly registry: Registry,
    private readonly journal: DeviceJournal,
    private readonly goOffline: (deviceId: string, why: string) => Promise<void>,
  ) {}

  /** Restart recovery: registrations that had not expired are live again, with a fresh keepalive grace period. */
  async restore(): Promise<number> {
    const now = this.deps.clock.now();
    const rows = await this.deps.store.gb.liveRegistrations(now.toISOString());
    for (const r of rows) {
      if (!r.ip || !r.port) continue;
      this.registry.set({
        deviceId: r.id,
        peer: { transport: r.transport === 'tcp' ? 'TCP' : 'UDP', address: r.ip, port: r.port },
        expiresAt: Date.parse(r.expires_at!),
        lastSeen: now.getTime(),
        keepaliveInterval: r.keepalive_interval ?? this.deps.settings.keepaliveInterval,
        online: true,
      });
    }
    // Devices marked online whose registration lapsed while we were down are offline now.
    const live = new Set(rows.map((r) => r.id));
    // They have no session to go through, so they are marked here directly.
    for (const id of await this.deps.store.gb.onlineGbIds()) {
      if (live.has(id)) continue;
      await this.deps.store.gb.setDeviceOnline(id, false, now.toISOString());
      this.journal.log(id, 'device.offline', 'info', 'registration expired while the platform was stopped');
      this.journal.push('device.offline', id, { id, reason: 'registration expired while the platform was stopped' });
    }
    return rows.length;
  }

  // keepalive times are written once a minute: they feed the console and the "silent for hours" alert, not presence
  start(checkEveryMs = 5000, flushEveryMs = 60_000): void {
    this.timer = setInterval(() => void this.check(), checkEveryMs);
    this.flushTimer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
    this.flushTimer.unref();
  }

  private checking?: Promise<void>;

  /** One pass at a time: a pass that yields mid-way (mass outage) must not overlap the next timer tick. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const { keepaliveMisses } = this.deps.settings;
    let transitions = 0;
    for (const s of [...this.registry.all()]) {
      if (!s.online) continue;
      let why: string | undefined;
      if (now > s.expiresAt) why = 'registration expired without refresh';
      else if (now - s.lastSeen > keepaliveMisses * s.keepaliveInterval * 1000) why = `${keepaliveMisses} keepalives missed (interval ${s.keepaliveInterval}s)`;
      if (!why) continue;
      // A mass outage takes thousands of devices offline in one check: a few DB writes each, in slices.
      if (++transitions % 50 === 0) await yieldToLoop();
      await this.goOffline(s.deviceId, why).catch((e) => this.deps.log.error({ err: e }, 'offline transition failed'));
    }
  }

  async flush(): Promise<void> {
    const dirty = this.registry.takeDirty();
    if (!dirty.length) return;
    const newest = new Date(dirty.reduce((m, [, at]) => Math.max(m, at), 0)).toISOString();
    // 20,000 devices are 40 UPDATEs of 500: the loop gets a turn between them (SQLite runs them synchronously).
    for (let i = 0; i < dirty.length; i += FLUSH_CHUNK) {
      if (i) await yieldToLoop();
      await this.deps.store.gb.flushKeepalives(dirty.slice(i, i + FLUSH_CHUNK).map(([id]) => id), newest).catch((e) => this.deps.log.error({ err: e }, 'keepalive flush failed'));
    }
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.flushTimer);
  }

  /** A keepalive (or any request) from a registered device: online again if it had been marked offline. */
  async heard(deviceId: string): Promise<void> {
    const s = this.registry.get(deviceId);
    if (!s) return;
    const now = this.deps.clock.now();
    this.registry.seen(deviceId, now.getTime());
    if (!s.online) {
      s.online = true;
      await this.deps.store.gb.setDeviceOnline(deviceId, true, now.toISOString());
      this.journal.log(deviceId, 'device.online', 'info', 'keepalive received again');
      this.journal.push('device.online', deviceId, { id: deviceId });
    }
  }
}
