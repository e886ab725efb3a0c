import { mkdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AccessService } from './auth/access.js';
import { AuthService } from './auth/auth-service.js';
import { DeviceArchive } from './archive/device-archive.js';
import type { Config } from './config/index.js';
import { systemClock, type Clock } from './core/clock.js';
import { EventBus } from './core/events.js';
import type { Logger } from './core/logger.js';
import { loadSecretKey } from './core/secret-key.js';
import { checkSecretKey } from './security/key-check.js';
import { createSecretBox } from './core/secrets.js';
import type { ApiDeps } from './api/context.js';
import { openDatabase } from './store/db.js';
import { createStore } from './store/index.js';
import { migrateToLatest } from './store/migrate.js';
import { DEFAULT_GB_SETTINGS, type GbSettings } from './gb28181/context.js';
import { GbService } from './gb28181/service.js';
import { SipSockets } from './servers/sip-transport.js';
import { SipEndpoint } from './sip/endpoint.js';
import { createMedia } from './media-wiring.js';
import { createClusterControl } from './cluster-wiring.js';
import { LocalDirectory } from './cluster/local-directory.js';
import { advertisedHost, type NodeDirectory } from './cluster/node-status.js';
import { OnvifService } from './onvif/onvif-service.js';
import { createRecording, type RecordWiringOptions } from './record-wiring.js';
import { CascadeService } from './cascade/cascade-service.js';
import { CascadeInvites } from './cascade/cascade-invites.js';
import { ImagesService } from './images/images-service.js';
import { PatrolService, type PatrolSettings } from './patrol/patrol-service.js';
import { PatrolCatalog } from './patrol/patrol-catalog.js';
import { AlarmFeed } from './alarms/alarm-feed.js';
import { TrackRecorder } from './map/track-recorder.js';
import { createAvailability } from './ops/availability/create.js';
import { createOperations } from './ops/operations.js';
import type { AlertEngineSettings } from './ops/alerts/alert-engine.js';

/** Builds every control-side component from a config: used by main.ts and by tests (no sockets opened here). */
export async function createPlatform(
  config: Readonly<Config>,
  log: Logger,
  clock: Clock = systemClock,
  gbOverrides: Partial<GbSettings> = {},
  recordOpts: RecordWiringOptions = {},
  patrolSettings: Partial<PatrolSettings> = {},
  alertSettings: Partial<AlertEngineSettings> = {},
): Promise<ApiDeps & { sipPort: number; close(): Promise<void> }> {
  mkdirSync(config.dataDir, { recursive: true });
  const database = openDatabase(config.databaseUrl);
  const applied = await migrateToLatest(database);
  if (applied.length) log.info({ component: 'store', applied }, 'database migrated');
  const store = createStore(database);
  const bus = new EventBus();
  const access = new AccessService(store);
  const auth = new AuthService(store, access, clock, bus, log.child({ component: 'auth' }));
  const archive = new DeviceArchive(store, clock, bus, log.child({ component: 'archive' }));
  const secretKey = loadSecretKey(config.secretKey, config.dataDir);
  const secrets = createSecretBox(secretKey);
  // R11: a wrong key refuses the start here, before anything opens a sealed secret (SECRET_KEY_MISMATCH)
  await checkSecretKey(store, secrets, config.secretKey ? 'SHARPEYE_SECRET_KEY' : `${config.dataDir}/secret.key`).catch(async (e) => {
    await database.close();
    throw e;
  });

  // GB/T 28181 signalling on the SIP port (UDP and TCP).
  const sipLog = log.child({ component: 'sip' });
  const sockets = await SipSockets.open({ host: config.host, port: config.sipPort, log: sipLog });
  const endpoint = new SipEndpoint(sockets, sipLog, 'sharpeye');
  const gb = new GbService({
    store,
    endpoint,
    clock,
    bus,
    log: log.child({ component: 'gb28181' }),
    secrets,
    settings: { sipId: config.sipId, domain: config.sipDomain, defaultPassword: config.sipPassword, autoAdmit: config.sipAutoAdmit, tz: config.tz, ...DEFAULT_GB_SETTINGS, ...gbOverrides },
  });
  await gb.start();
  // media: in this process (`all`), or on media nodes reached over NATS (`control`, issue 13)
  const local = config.role === 'all' ? await createMedia({ config, store, gb, bus, clock, log, secret: secretKey }) : undefined;
  const cluster = local ? undefined : await createClusterControl({ config, store, gb, bus, clock, log, secret: secretKey });
  const media = (local ?? cluster)!;
  await media.startAlwaysOn();
  const nodes: NodeDirectory = cluster
    ? cluster.directory
    : new LocalDirectory({ id: config.nodeId, node: local!.node, addresses: { http: `http://${advertisedHost(config)}:${config.httpPort}`, rtsp: `${advertisedHost(config)}:${local!.rtsp.port}`, rtpHost: config.mediaIp }, limits: { maxEgressKbps: config.mediaMaxEgressKbps, maxStreams: config.mediaMaxStreams } });
  const recording = await createRecording({ config, store, media: media.node, live: media.live, gb, tokens: media.tokens, bus, clock, log, opts: recordOpts });
  // Cascade (R1): we as a lower platform to the bureau's upper platforms, on the same SIP socket.
  const cascadeLog = log.child({ component: 'cascade' });
  const cascade = new CascadeService({ store, endpoint, gb, bus, clock, log: cascadeLog, secrets, settings: { tz: config.tz, platformName: 'sharpeye' } });
  cascade.invites = new CascadeInvites({ store, media: media.node, live: media.live, endpoint, clock, log: cascadeLog, mediaIp: config.mediaIp });
  gb.intercept = (r) => cascade.intercept(r);
  await cascade.start();
  // Electronic patrol (R4), real-time alarms and map tracks (issue 10): server-side, running with no browser open.
  const patrolEngine = new PatrolService({ store, access, bus, clock, log: log.child({ component: 'patrol' }), tz: config.tz, live: media.live, settings: patrolSettings });
  await patrolEngine.start();
  const patrol = { engine: patrolEngine, catalog: new PatrolCatalog({ store, clock, bus, engine: patrolEngine }) };
  const alarms = new AlarmFeed({ store, bus, clock, log: log.child({ component: 'alarms' }) });
  await alarms.start();
  const tracks = new TrackRecorder({ store, bus, clock, log: log.child({ component: 'map' }) });
  tracks.start();
  // Face and vehicle images (issue 12): served seed interfaces, capture store, retention, forwarding to the bureau.
  const images = new ImagesService({ store, secrets, clock, log: log.child({ component: 'images' }), dataDir: config.dataDir, tz: config.tz, user: config.imageUser, password: config.imagePassword, retentionDays: config.imageRetentionDays, maxBytes: config.imageMaxBytes, ingestDir: config.imageIngestDir });
  await images.start();
  // Event-loop delay, reported by /api/v1/gb/status (storm rule: never blocked > 200 ms).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // Metrics, alert rules, fault tickets and the status page (issue 14 §4); the node directory is read from the
  // returned object when needed, so cluster wiring may attach `nodes` after this point.
  const ops = createOperations({ config, store, bus, clock, log, gb, sip: endpoint, sipPort: sockets.local.port, media: media.node, cascade, images, nodes: () => platform.nodes, alertSettings });
  // Availability (完好率, R15: time booked per channel and day, rotating probe) and video quality diagnosis (R12)
  const fitness = await createAvailability({ config, store, bus, clock, log, media: media.node, live: media.live });
  const platform: ApiDeps & { sipPort: number; close(): Promise<void> } = {
    config,
    store,
    auth,
    access,
    archive,
    secrets,
    clock,
    bus,
    log,
    gb,
    live: media.live,
    media: media.node,
    recording,
    cascade,
    images,
    patrol,
    alarms,
    mediaFiles: local?.node,
    mediaHttp: local?.http,
    rtspPort: local?.rtsp.port,
    rtmpPort: local?.rtmp.port,
    nodes,
    routed: cluster?.node,
    onvif: new OnvifService({ store, secrets, clock, log: log.child({ component: 'onvif' }), domain: config.sipDomain }),
    pushKey: local ? (id: string) => local.tokens.pushKey(id) : undefined,
    loop,
    ops,
    availability: fitness.availability,
    quality: fitness.quality,
    sipPort: sockets.local.port,
    startedAt: Date.now(),
    async close() {
      loop.disable();
      // every part is stopped even when one fails, and the database is closed last whatever happened
      const step = async (name: string, fn: () => unknown) => {
        try {
          await fn();
        } catch (err) {
          log.error({ err, part: name }, 'error while stopping');
        }
      };
      await step('ops', () => ops.stop());
      await step('availability', () => fitness.stop());
      await step('images', () => images.stop());
      await step('tracks', () => tracks.stop());
      await step('alarms', () => alarms.stop());
      await step('patrolEngine', () => patrolEngine.stop());
      await step('cascade', () => cascade.stop());
      await step('recording', () => recording.close());
      await step('media', () => media.close());
      await step('gb', () => gb.stop());
      await step('endpoint', () => endpoint.close());
      await step('sockets', () => sockets.close());
      await database.close();
    },
  };
  return platform;
}
