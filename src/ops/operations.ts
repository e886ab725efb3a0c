import type { Config } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { GbService } from '../gb28181/service.js';
import type { ImagesService } from '../images/images-service.js';
import type { CascadeService } from '../cascade/cascade-service.js';
import type { MediaNode } from '../media/node.js';
import type { NodeDirectory } from '../cluster/node-status.js';
import type { Store } from '../store/index.js';
import { AlertEngine, type AlertEngineSettings } from './alerts/alert-engine.js';
import { PlatformMetrics } from './metrics/platform-metrics.js';
import { ComponentStatus } from './status/component-status.js';
import { FaultTickets } from './tickets/fault-tickets.js';

export interface Operations {
  metrics: PlatformMetrics;
  alerts: AlertEngine;
  tickets: FaultTickets;
  status: ComponentStatus;
  stop(): Promise<void>;
}

/**
 * Metrics, alerts, fault tickets and the status page (issue 14 §4, R17), built from the platform's services.
 * `nodes` is read lazily: the node directory may be attached to the platform after this is built.
 */
export function createOperations(o: {
  config: Readonly<Config>;
  store: Store;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  gb?: GbService;
  sip?: { byMethod: ReadonlyMap<string, number>; counters: { parseErrors: number; timeouts: number } };
  sipPort?: number;
  media?: MediaNode;
  cascade?: CascadeService;
  images?: ImagesService;
  nodes: () => NodeDirectory | undefined;
  alertSettings?: Partial<AlertEngineSettings>;
}): Operations {
  const log = o.log.child({ component: 'ops' });
  const tickets = new FaultTickets({ store: o.store, clock: o.clock, bus: o.bus, tz: o.config.tz });
  const nodesNow = () => o.nodes();
  const alerts = new AlertEngine({
    store: o.store,
    bus: o.bus,
    clock: o.clock,
    log: log.child({ part: 'alerts' }),
    tickets,
    settings: o.alertSettings,
    sources: {
      store: o.store,
      clock: o.clock,
      tz: o.config.tz,
      media: o.media,
      cascade: o.cascade,
      images: o.images,
      get nodes() {
        return nodesNow();
      },
    },
  });
  const metrics = new PlatformMetrics({
    store: o.store,
    log,
    gb: o.gb,
    sip: o.sip,
    media: o.media,
    images: o.images,
    cascade: o.cascade,
    nodes: nodesNow,
    alerts: () => ({
      async firingByKind() {
        const out: Record<string, number> = {};
        for (const a of await alerts.active()) out[a.kind] = (out[a.kind] ?? 0) + 1;
        return out;
      },
      async unresolvedTickets() {
        return (await tickets.repo.list({ state: 'unresolved', pageSize: 1 })).total;
      },
    }),
  });
  const status = new ComponentStatus({ config: o.config, store: o.store, gb: o.gb, sipPort: o.sipPort, media: o.media, cascade: o.cascade, images: o.images, nodes: nodesNow });
  alerts.start();
  return {
    metrics,
    alerts,
    tickets,
    status,
    async stop() {
      await alerts.stop();
      metrics.close();
    },
  };
}
