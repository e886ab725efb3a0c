import { EventEmitter } from 'node:events';

/** Platform events pushed to consoles (filtered per user by the access module) and used between services. */
export interface PlatformEvent {
  type: string;
  at: string;
  /** Channel the event concerns, for per-channel visibility; device-only events carry deviceId. */
  channel?: { id: string; orgId: string | null };
  deviceId?: string;
  data: unknown;
  /** Function permission a user needs to receive the event (e.g. `alarm.handle`). */
  permission?: string;
  /**
   * Per-user shaping of `data`: given the user's channel visibility, what that user may see (a patrol page pushed
   * without the channels outside their scope). Without it every receiver gets `data`.
   */
  view?: (visible: (ch: { id: string; orgId: string | null }) => boolean) => unknown;
}

export interface EventMap {
  event: [PlatformEvent];
  /** token ids or user ids whose sessions were cut: live connections (WebSocket, media) must close. */
  'sessions.revoked': [{ tokenIds: string[]; userId?: string }];
}

export class EventBus {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(0);
  }
  emit<K extends keyof EventMap>(k: K, ...args: EventMap[K]): void {
    this.ee.emit(k, ...args);
  }
  on<K extends keyof EventMap>(k: K, fn: (...args: EventMap[K]) => void): () => void {
    this.ee.on(k, fn as (...a: unknown[]) => void);
    return () => this.ee.off(k, fn as (...a: unknown[]) => void);
  }
}
