import path from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import type { Store } from '../store/index.js';
import { ArchiveLookup } from './archive-lookup.js';
import type { ForwarderOptions } from './forwarder.js';
import { Forwarding } from './forwarding.js';
import { ImageFiles } from './image-files.js';
import { ImageIngest } from './ingest.js';
import { ImageRetention } from './retention.js';
import { SeedDigest, SeedKeys } from './seed-auth.js';
import { SeedServer } from './seed-server.js';

export interface ImagesOptions {
  /** forwarder timings (tests shorten them) */
  forwarder?: Partial<ForwarderOptions>;
  retentionIntervalMs?: number;
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
    this.retention = new ImageRetention({ store: o.store, files: this.files, clock: o.clock, tz: o.tz, days: o.retentionDays, log: o.log, intervalMs: o.opts?.retentionIntervalMs });
  }

  async start(): Promise<void> {
    await this.forwarding.start();
    this.retention.start();
  }

  async stop(): Promise<void> {
    this.retention.stop();
    await this.forwarding.stop();
  }
}
