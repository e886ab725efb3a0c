import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.js';
import { apiKeyRoutes } from './api-keys.js';
import { authRoutes } from './auth.js';
import { channelRoutes } from './channels.js';
import { deviceFileRoutes } from './device-files.js';
import { deviceRoutes } from './devices.js';
import { eventRoutes } from './events.js';
import { gbRoutes } from './gb.js';
import { liveRoutes } from './live.js';
import { onvifRoutes } from './onvif.js';
import { recordRoutes } from './records.js';
import { cascadeRoutes } from './cascade.js';
import { deviceRecordRoutes } from './device-records.js';
import { healthRoutes } from './health.js';
import { logRoutes } from './logs.js';
import { orgRoutes } from './orgs.js';
import { roleRoutes } from './roles.js';
import { settingsRoutes } from './settings.js';
import { userRoutes } from './users.js';
import { watermarkRoutes } from './watermarks.js';
import { patrolRoutes } from './patrol.js';
import { alarmRoutes } from './alarms.js';
import { mapRoutes } from './map.js';
import { imageRoutes } from './images.js';
import { snapshotRoutes } from './snapshots.js';

export async function registerRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  for (const r of [healthRoutes, authRoutes, userRoutes, roleRoutes, orgRoutes, deviceFileRoutes, deviceRoutes, channelRoutes, logRoutes, apiKeyRoutes, settingsRoutes, eventRoutes, gbRoutes, liveRoutes, onvifRoutes, recordRoutes, deviceRecordRoutes, cascadeRoutes, patrolRoutes, alarmRoutes, mapRoutes]) {
    await r(api, deps);
  }
  await watermarkRoutes(api, deps); // download/snapshot watermark policies (issue 8)
  await imageRoutes(api, deps); // face captures, vehicle passes, forwarding to the bureau (issue 12)
  await api.register(async (s) => snapshotRoutes(s, deps)); // GB/T 28181-2022 snapshot upload (issue 12 §4): own body parsers
}
