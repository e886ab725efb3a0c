import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import type { SipEndpoint } from '../sip/endpoint.js';
import type { Store } from '../store/index.js';

/** GB/T 28181 settings from the start-up config (CONTRACT.md names). */
export interface GbSettings {
  sipId: string;
  domain: string;
  defaultPassword: string;
  autoAdmit: boolean;
  tz: string;
  /** keepalive interval we assume until the device tells (GB/T 28181-2016 §9.6: 60 s) */
  keepaliveInterval: number;
  /** missed keepalives before a device is offline */
  keepaliveMisses: number;
  /** ms a query waits for its answer */
  queryTimeoutMs: number;
}

export const DEFAULT_GB_SETTINGS = { keepaliveInterval: 60, keepaliveMisses: 3, queryTimeoutMs: 10_000 } as const;

export interface GbDeps {
  store: Store;
  endpoint: SipEndpoint;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  secrets: SecretBox;
  settings: GbSettings;
}
