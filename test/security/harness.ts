import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/index.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createPlatform } from '../../src/platform.js';
import { freshDatabase } from '../helpers/databases.js';

export const ADMIN_PASSWORD = 'Admin@12345';

/** The real platform and app (like test/helpers/platform.ts) with every log line captured at trace level. */
export async function startCapturedApp(kind: 'sqlite' | 'postgres', env: Record<string, string> = {}) {
  const db = await freshDatabase(kind);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sharpeye-sec-'));
  const config = loadConfig({ SHARPEYE_DATA_DIR: dataDir, SHARPEYE_DATABASE_URL: db.url, SHARPEYE_WEB_DIR: path.join(dataDir, 'no-web'), SHARPEYE_SIP_PORT: '0', SHARPEYE_RTSP_PORT: '0', SHARPEYE_RTMP_PORT: '0', SHARPEYE_HOST: '127.0.0.1', ...env });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const clock = new ManualClock(Date.parse('2026-11-25T02:00:00Z'));
  const platform = await createPlatform(config, createLogger('trace', sink), clock);
  await platform.auth.bootstrap(ADMIN_PASSWORD);
  const app: FastifyInstance = await buildApp(platform);
  const login = async (username: string, password: string) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    if (r.statusCode !== 200) throw new Error(`login ${username} failed: ${r.statusCode} ${r.body}`);
    return { authorization: `Bearer ${r.json().token}`, id: r.json().user?.id as string | undefined };
  };
  const admin = await login('admin', ADMIN_PASSWORD);
  return {
    app,
    platform,
    clock,
    dataDir,
    lines,
    login,
    admin: { authorization: admin.authorization },
    async close() {
      await app.close();
      await platform.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
