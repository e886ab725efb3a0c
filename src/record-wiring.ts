import type { Config } from './config/index.js';
import { systemClock, type Clock } from './core/clock.js';
import type { EventBus } from './core/events.js';
import type { Logger } from './core/logger.js';
import type { MediaTokens } from './core/media-token.js';
import type { GbService } from './gb28181/service.js';
import type { LiveService } from './live/live-service.js';
import type { MediaNode } from './media/node.js';
import { PlaybackService } from './record/playback-service.js';
import { RecordService } from './record/record-service.js';
import { SegmentIndex } from './record/segment-index.js';
import { SpaceKeeper } from './record/space-keeper.js';
import { Verifier } from './record/verifier.js';
import { DownloadJobs } from './record/downloads.js';
import { DeviceDownloads, DEFAULT_DEVICE_DOWNLOAD_SETTINGS, type DeviceDownloadSettings } from './record/device-downloads.js';
import { DeviceRecords, type DeviceRecordSettings } from './record/device-records.js';
import { DeviceRetentionCheck, type RetentionSettings } from './record/device-retention.js';
import { DEFAULT_UPLOADER_SETTINGS, SegmentUploader, type UploaderSettings } from './record/segment-uploader.js';
import { Watermarks } from './record/watermark.js';
import type { Store } from './store/index.js';

export interface RecordWiringOptions {
  /** how often plans are reconciled (tests shorten it) */
  reconcileMs?: number;
  retryMs?: number;
  spaceIntervalMs?: number;
  verifyIntervalMs?: number;
  /** device recordings (issue 8): RecordInfo search, download and 30-day check settings (tests shorten timeouts) */
  deviceRecords?: Partial<DeviceRecordSettings>;
  deviceDownloads?: Partial<DeviceDownloadSettings>;
  deviceCheck?: Partial<RetentionSettings>;
  /** S3 upload queue (issue 8): poll interval, back-off (tests shorten them) */
  uploader?: Partial<UploaderSettings>;
}

/**
 * Platform recording on top of the media node (issue 7): the index follows the recorders (repaired first, so a crash
 * leaves nothing open), plans start and stop recorders, space and integrity are kept by periodic passes.
 */
export async function createRecording(o: { config: Readonly<Config>; store: Store; media: MediaNode; live: LiveService; gb?: GbService; tokens: MediaTokens; bus: EventBus; clock: Clock; log: Logger; opts?: RecordWiringOptions }) {
  const { config, store, media, bus } = o;
  // Recordings are stamped by the media node's wall clock, so everything that compares with them (ranges, retention,
  // schedules) uses the real clock too, not the platform clock tests move by hand.
  const clock: Clock = systemClock;
  const log = o.log.child({ component: 'record' });
  const index = new SegmentIndex({ store, media, clock, log });
  await index.repair(media.id);
  const service = new RecordService({
    store,
    media,
    live: o.live,
    bus,
    clock,
    log,
    settings: { segmentMs: config.recordSegment * 1000, tz: config.tz, reconcileMs: o.opts?.reconcileMs ?? 5000, retryMs: o.opts?.retryMs ?? 30_000 },
  });
  const space = new SpaceKeeper({
    store,
    media,
    clock,
    bus,
    log,
    settings: { defaultRetentionDays: config.recordRetentionDays, minFreeBytes: config.recordMinFreeMb * 2 ** 20, overwrite: config.recordOverwrite, intervalMs: o.opts?.spaceIntervalMs ?? 60_000 },
  });
  const verifier = new Verifier({ store, media, clock, log, intervalMs: o.opts?.verifyIntervalMs ?? 24 * 3600_000 });
  const playback = new PlaybackService({
    store,
    media,
    tokens: o.tokens,
    clock,
    log,
    tokenTtlSec: config.mediaTokenTtl,
    maxRangeMs: 7 * 24 * 3600_000,
    gb: o.gb,
    device: { firstFrameTimeoutMs: 10_000, stallMs: config.streamTimeout * 1000 },
  });
  // device recordings over GB/T 28181 (issue 8): search, download, 30-day check
  const devLog = o.log.child({ component: 'device-records' });
  const devices = o.gb ? new DeviceRecords({ gb: o.gb, log: devLog, settings: { tz: config.tz, ...o.opts?.deviceRecords } }) : undefined;
  const deviceDownloads = new DeviceDownloads({ store, gb: o.gb, media, log: devLog, settings: { ...DEFAULT_DEVICE_DOWNLOAD_SETTINGS, stallMs: config.streamTimeout * 1000, ...o.opts?.deviceDownloads } });
  const deviceCheck = devices
    ? new DeviceRetentionCheck({
        store,
        gb: o.gb,
        records: devices,
        log: devLog,
        settings: { tz: config.tz, requiredDays: 30, lookbackDays: 31, concurrency: config.deviceCheckConcurrency, at: config.deviceCheckAt, graceMs: 3600_000, ...o.opts?.deviceCheck },
      })
    : undefined;
  // S3 storage (issue 8): closed segments are uploaded by the node holding them; on when SHARPEYE_S3_BUCKET is set
  const uploader = config.s3
    ? new SegmentUploader({ store, media, log: o.log.child({ component: 'record-upload' }), settings: { ...DEFAULT_UPLOADER_SETTINGS, keepLocalMs: config.s3.keepLocalHours * 3600_000, ...o.opts?.uploader } })
    : undefined;
  const watermarks = new Watermarks({ store, clock, tz: config.tz });
  service.start();
  space.start();
  verifier.start();
  deviceCheck?.start();
  await uploader?.start();
  return {
    index,
    service,
    space,
    verifier,
    playback,
    downloads: new DownloadJobs(),
    devices,
    deviceDownloads,
    deviceCheck,
    uploader,
    watermarks,
    async close() {
      await uploader?.stop();
      deviceCheck?.stop();
      await deviceDownloads.close();
      await verifier.stop();
      await space.stop();
      await playback.closeAll();
      await service.stop();
      await index.settled();
    },
  };
}

export type Recording = Awaited<ReturnType<typeof createRecording>>;
