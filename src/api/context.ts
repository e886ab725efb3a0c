import type { AccessService, Principal } from '../auth/access.js';
import type { AuthService } from '../auth/auth-service.js';
import type { Config } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import type { DeviceArchive } from '../archive/device-archive.js';
import type { Store } from '../store/index.js';
import type { GbService } from '../gb28181/service.js';
import type { LiveService } from '../live/live-service.js';
import type { MediaNode } from '../media/node.js';
import type { OnvifService } from '../onvif/onvif-service.js';
import type { Recording } from '../record-wiring.js';
import type { CascadeService } from '../cascade/cascade-service.js';
import type { LocalMediaNode } from '../media/local-node.js';
import type { ImagesService } from '../images/images-service.js';
import type { PatrolCatalog } from '../patrol/patrol-catalog.js';
import type { PatrolService } from '../patrol/patrol-service.js';
import type { AlarmFeed } from '../alarms/alarm-feed.js';

/** What the API layer needs; built in main.ts (or a test) and passed to `buildApp`. */
export interface ApiDeps {
  config: Readonly<Config>;
  store: Store;
  auth: AuthService;
  access: AccessService;
  archive: DeviceArchive;
  secrets: SecretBox;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  startedAt: number;
  /** GB/T 28181 signalling (absent on media-only nodes) */
  gb?: GbService;
  /** on-demand live video (absent on media-only nodes) */
  live?: LiveService;
  /** the media node this control node uses (local in `all` mode) */
  media?: MediaNode;
  /** registers the media outputs (HTTP-FLV, WS-FLV, HLS) on the HTTP server when this process is a media node */
  mediaHttp?: (app: import('fastify').FastifyInstance) => Promise<void>;
  /** cascade to upper platforms (issue 11) */
  cascade?: CascadeService;
  /** platform recording: plans, index, space, integrity, playback (issue 7) */
  recording?: Recording;
  /** the media node whose disks this process can read directly (downloads stream from its segment files) */
  mediaFiles?: LocalMediaNode;
  /** ONVIF cameras (discovery, add, PTZ) */
  onvif?: OnvifService;
  /** RTMP push key of a channel, and the RTMP input's actual port */
  pushKey?: (channelId: string) => string;
  rtmpPort?: number;
  /** the RTSP output's actual port (SHARPEYE_RTSP_PORT, or the one the OS chose for 0) */
  rtspPort?: number;
  /** electronic patrol: the server-side scheduler and the task/plan catalogue (issue 10) */
  patrol?: { engine: PatrolService; catalog: PatrolCatalog };
  /** real-time alarm feed and acknowledgement (issue 10) */
  alarms?: AlarmFeed;
  /** face/vehicle image interfaces, capture store and forwarding to the bureau (issue 12) */
  images?: ImagesService;
  /** nodes of the cluster and their load (issue 13); the local node alone in `all` mode */
  nodes?: import('../cluster/node-status.js').NodeDirectory;
  /** cluster mode: the routed media node (which node holds a stream, which node serves a new viewer) */
  routed?: import('../cluster/routed-media-node.js').RoutedMediaNode;
  /** metrics, alert rules and alerts, fault tickets, component status (issue 14 §4) */
  ops?: import('../ops/operations.js').Operations;
  /** availability (完好率, R15) and video quality diagnosis (R12), issue 14 §1–2 */
  availability?: import('../ops/availability/availability-service.js').AvailabilityService;
  quality?: import('../ops/quality/quality-service.js').QualityService;
  /** event-loop delay histogram (ns) */
  loop?: import('node:perf_hooks').IntervalHistogram;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Route needs no login (health, login, docs). */
    public?: boolean;
  }
}
