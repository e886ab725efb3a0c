import { buildApp } from './api/app.js';
import { loadConfig, unknownEnvKeys } from './config/index.js';
import { isAppError } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { hasTool } from './core/tools.js';
import { startRetention } from './ops/retention.js';
import { createPlatform } from './platform.js';
import { runMediaNode } from './media-process.js';

/** Wiring only: config → components → servers; stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    console.error(isAppError(e) ? `sharpeye: ${e.message}` : e);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  for (const k of unknownEnvKeys()) log.warn({ key: k }, `unknown variable ${k} ignored (typo?)`);

  if (config.role === 'media') {
    // a media node (issue 13): no database of its own, no signalling, no console; driven over NATS
    const node = await runMediaNode(config, log);
    const stopMedia = async (sig: string) => {
      log.info({ component: 'main', sig }, 'stopping');
      await node.close().catch(() => undefined);
      process.exit(0);
    };
    process.on('SIGINT', () => void stopMedia('SIGINT'));
    process.on('SIGTERM', () => void stopMedia('SIGTERM'));
    return;
  }

  const platform = await createPlatform(config, log);
  const boot = await platform.auth.bootstrap(config.adminPassword);
  if (boot.generatedPassword) {
    // Printed once, on the first start only (CONTRACT.md); it is not stored anywhere in clear.
    process.stdout.write(`\n  sharpeye: created user "admin" with password: ${boot.generatedPassword}\n  (shown only now; change it after logging in)\n\n`);
  }
  if (!hasTool('ffmpeg')) {
    log.warn({ component: 'tools' }, 'ffmpeg not found: server snapshots, transcoding and watermarks are off (apt-get install ffmpeg)');
  }

  const app = await buildApp(platform);
  const stopRetention = startRetention(platform.store, platform.clock, log.child({ component: 'retention' }));
  await app.listen({ host: config.host, port: config.httpPort });
  log.info(
    { component: 'main', http: `http://${config.host}:${config.httpPort}`, sip: `udp+tcp ${config.host}:${platform.sipPort} id ${config.sipId} domain ${config.sipDomain}`, database: platform.store.database.dialect, dataDir: config.dataDir, recordings: config.recordDirs.join(','), role: config.role },
    'sharpeye is running — console at / , API docs at /api/docs',
  );

  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ component: 'main', sig }, 'stopping');
    stopRetention();
    await app.close().catch(() => undefined);
    await platform.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error('sharpeye failed to start:', isAppError(e) ? `${e.code}: ${e.message}` : e);
  process.exit(1);
});
