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
import { availabilityRoutes } from './availability.js';
import { qualityRoutes } from './quality.js';
import { nodeRoutes } from './nodes.js';
import { auditViewRoutes } from './audit-views.js';
import { alertRoutes } from './alerts.js';
import { ticketRoutes } from './tickets.js';
import { statusRoutes } from './status.js';
import { namingRoutes } from './naming.js';

export async function registerRoutes(api: FastifyInstance, deps: ApiDeps): Promise<void> {
  for (const r of [healthRoutes, authRoutes, userRoutes, roleRoutes, orgRoutes, deviceFileRoutes, deviceRoutes, channelRoutes, logRoutes, apiKeyRoutes, settingsRoutes, eventRoutes, gbRoutes, liveRoutes, onvifRoutes, recordRoutes, deviceRecordRoutes, cascadeRoutes, patrolRoutes, alarmRoutes, mapRoutes]) {
    await r(api, deps);
  }
  await nodeRoutes(api, deps); // cluster nodes and load (issue 13)
  await watermarkRoutes(api, deps); // download/snapshot watermark policies (issue 8)
  await auditViewRoutes(api, deps); // who watched what (R11, issue 14 §6)
  await imageRoutes(api, deps); // face captures, vehicle passes, forwarding to the bureau (issue 12)
  for (const r of [availabilityRoutes, qualityRoutes]) await r(api, deps); // 完好率 and video quality diagnosis (issue 14 §1–2)
  await api.register(async (s) => snapshotRoutes(s, deps)); // GB/T 28181-2022 snapshot upload (issue 12 §4): own body parsers
  for (const r of [alertRoutes, ticketRoutes, statusRoutes]) await r(api, deps); // alerts, fault tickets, status page (issue 14 §4)
  await namingRoutes(api, deps); // GA/T 751-2008 channel naming: report, bulk fix, OSD push (issue 14 §3)
}
