import type { Config } from '../../config/index.js';
import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/logger.js';
import type { LiveService } from '../../live/live-service.js';
import type { MediaNode } from '../../media/node.js';
import type { Store } from '../../store/index.js';
import { QualityService } from '../quality/quality-service.js';
import { AvailabilityService } from './availability-service.js';

/** Availability (完好率, R15) and video quality diagnosis (R12) for a control node (issue 14 §1–2). */
export async function createAvailability(d: { config: Readonly<Config>; store: Store; bus: EventBus; clock: Clock; log: Logger; media?: MediaNode; live?: LiveService }) {
  const { config } = d;
  const availability = new AvailabilityService({
    store: d.store,
    media: d.media,
    live: d.live,
    bus: d.bus,
    clock: d.clock,
    log: d.log.child({ component: 'availability' }),
    tz: config.tz,
    settings: { concurrency: config.availabilityProbeConcurrency, intervalMs: config.availabilityProbeIntervalMin * 60_000, targetPercent: config.availabilityTarget },
  });
  await availability.start();
  const quality = new QualityService({ store: d.store, live: d.live, clock: d.clock, log: d.log.child({ component: 'quality' }), settings: { seconds: 5, concurrency: 2 } });
  return { availability, quality, stop: () => availability.stop() };
}
