import path from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import type { Store } from '../store/index.js';
import { ArchiveLookup } from './archive-lookup.js';
import type { ForwarderOptions } from './forwarder.js';
import { Forwarding } from './forwarding.js';
import { ImageFiles } from './image-files.js';
import { IngestDirectory, type IngestDirOptions } from './ingest-dir.js';
import { ImageIngest } from './ingest.js';
import { ImageRetention } from './retention.js';
import { SeedDigest, SeedKeys } from './seed-auth.js';
import { SeedServer } from './seed-server.js';
import { SnapshotSessions } from './snapshot-sessions.js';

export interface ImagesOptions {
  /** forwarder timings (tests shorten them) */
  forwarder?: Partial<ForwarderOptions>;
  retentionIntervalMs?: number;
  /** ingest directory timings (tests shorten them) */
  ingestDir?: IngestDirOptions;
}

/**
 * Face and vehicle images (issue 12, R13/R14): the served seed interfaces, the store of captures, retention, and
 * forwarding to the bureau. Built once by the platform; the HTTP routes (`api/routes/seed-images.ts`,
 * `api/routes/images.ts`) are thin adapters over it.
 */
export class ImagesService {
  readonly files: ImageFiles;
  readonly archive: ArchiveLookup;
  readonly ingest: ImageIngest;
  readonly server: SeedServer;
  readonly forwarding: Forwarding;
  readonly retention: ImageRetention;
  readonly maxBytes: number;
  /** GB/T 28181-2022 snapshot upload sessions (issue 12 §4) */
  readonly snapshots: SnapshotSessions;
  /** the FTP ingest directory, when SHARPEYE_IMAGE_INGEST_DIR is set */
  readonly ingestDir: IngestDirectory | null;

  constructor(o: {
    store: Store;
    secrets: SecretBox;
    clock: Clock;
    log: Logger;
    dataDir: string;
    tz: string;
    user: string;
    password: string;
    retentionDays: number;
    maxBytes: number;
    /** SHARPEYE_IMAGE_INGEST_DIR; null = off */
    ingestDir?: string | null;
    opts?: ImagesOptions;
  }) {
    this.maxBytes = o.maxBytes;
    this.files = new ImageFiles(path.join(o.dataDir, 'images'));
    this.archive = new ArchiveLookup(o.store);
    this.forwarding = new Forwarding({ store: o.store, files: this.files, secrets: o.secrets, clock: o.clock, tz: o.tz, log: o.log.child({ part: 'forward' }), opts: o.opts?.forwarder });
    this.ingest = new ImageIngest({
      store: o.store,
      files: this.files,
      archive: this.archive,
      clock: o.clock,
      tz: o.tz,
      maxBytes: o.maxBytes,
      log: o.log,
      targetsOf: (kind) => this.forwarding.targetIds(kind),
      onSaved: (kind, gate) => this.forwarding.notify(kind, gate),
    });
    const credentials = { username: o.user, password: o.password };
    this.server = new SeedServer({ keys: new SeedKeys(o.store, o.clock), digest: new SeedDigest(() => credentials), archive: this.archive, ingest: this.ingest, clock: o.clock, tz: o.tz, log: o.log });
    this.snapshots = new SnapshotSessions(o.clock);
    this.ingestDir = o.ingestDir ? new IngestDirectory(o.ingestDir, this.ingest, o.log.child({ part: 'ingest-dir' }), o.opts?.ingestDir) : null;
    this.retention = new ImageRetention({ store: o.store, files: this.files, clock: o.clock, tz: o.tz, days: o.retentionDays, log: o.log, intervalMs: o.opts?.retentionIntervalMs });
  }

  async start(): Promise<void> {
    await this.forwarding.start();
    this.retention.start();
    await this.ingestDir?.start();
  }

  async stop(): Promise<void> {
    await this.ingestDir?.stop();
    this.retention.stop();
    await this.forwarding.stop();
  }
}
