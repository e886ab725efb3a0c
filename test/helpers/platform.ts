import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createPlatform } from '../../src/platform.js';
import type { GbSettings } from '../../src/gb28181/context.js';
import type { RecordWiringOptions } from '../../src/record-wiring.js';
import { freshDatabase } from './databases.js';

export const ADMIN_PASSWORD = 'Admin@12345';

export interface TestApp {
  app: FastifyInstance;
  platform: Awaited<ReturnType<typeof createPlatform>>;
  clock: ManualClock;
  dataDir: string;
  /** logs in and returns the bearer header */
  login(username: string, password: string): Promise<Record<string, string>>;
  admin: Record<string, string>;
  close(): Promise<void>;
}

/** The real platform and HTTP app on a fresh database of the given kind; requests go through `inject()`. */
export async function startTestApp(kind: 'sqlite' | 'postgres', env: Record<string, string> = {}, gbOverrides: Partial<GbSettings> = {}, recordOpts: RecordWiringOptions = {}): Promise<TestApp> {
  const db = await freshDatabase(kind);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-test-'));
  const config = loadConfig({ SHARPEYE_DATA_DIR: dataDir, SHARPEYE_DATABASE_URL: db.url, SHARPEYE_WEB_DIR: path.join(dataDir, 'no-web'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HOST: '127.0.0.1', ...env });
  const clock = new ManualClock(Date.parse('2026-11-25T02:00:00Z'));
  const platform = await createPlatform(config, createLogger(process.env.SHARPEYE_TEST_LOG ?? 'silent'), clock, gbOverrides, recordOpts);
  await platform.auth.bootstrap(ADMIN_PASSWORD);
  const app = await buildApp(platform);
  const login = async (username: string, password: string) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
    return { authorization: `Bearer ${r.json().token}` };
  };
  const admin = await login('admin', ADMIN_PASSWORD);
  return {
    app,
    platform,
    clock,
    dataDir,
    login,
    admin,
    async close() {
      await app.close();
      await platform.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
