import { mkdirSync } from 'node:fs';
import { AccessService } from './auth/access.js';
import { AuthService } from './auth/auth-service.js';
import { DeviceArchive } from './archive/device-archive.js';
import type { Config } from './config/index.js';
import { systemClock, type Clock } from './core/clock.js';
import { EventBus } from './core/events.js';
import type { Logger } from './core/logger.js';
import { loadSecretKey } from './core/secret-key.js';
import { createSecretBox } from './core/secrets.js';
import type { ApiDeps } from './api/context.js';
import { openDatabase } from './store/db.js';
import { createStore } from './store/index.js';
import { migrateToLatest } from './store/migrate.js';

/** Builds every control-side component from a config: used by main.ts and by tests (no sockets opened here). */
export async function createPlatform(config: Readonly<Config>, log: Logger, clock: Clock = systemClock): Promise<ApiDeps & { close(): Promise<void> }> {
  mkdirSync(config.dataDir, { recursive: true });
  const database = openDatabase(config.databaseUrl);
  const applied = await migrateToLatest(database);
  if (applied.length) log.info({ component: 'store', applied }, 'database migrated');
  const store = createStore(database);
  const bus = new EventBus();
  const access = new AccessService(store);
  const auth = new AuthService(store, access, clock, bus, log.child({ component: 'auth' }));
  const archive = new DeviceArchive(store, clock, bus, log.child({ component: 'archive' }));
  const secrets = createSecretBox(loadSecretKey(config.secretKey, config.dataDir));
  return { config, store, auth, access, archive, secrets, clock, bus, log, startedAt: Date.now(), close: () => database.close() };
}
