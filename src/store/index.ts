import type { Database } from './db.js';
import { ApiKeyRepo } from './repos/api-keys.js';
import { ChannelRepo } from './repos/channels.js';
import { DeviceRepo } from './repos/devices.js';
import { GbStateRepo } from './repos/gb-state.js';
import { LogRepo } from './repos/logs.js';
import { MaintenanceRepo } from './repos/maintenance.js';
import { OrgRepo } from './repos/orgs.js';
import { PhotoRepo } from './repos/photos.js';
import { RecordPlanRepo } from './repos/record-plans.js';
import { RecordSegmentRepo } from './repos/record-segments.js';
import { UpperPlatformRepo } from './repos/upper-platforms.js';
import { RoleRepo } from './repos/roles.js';
import { SettingsRepo } from './repos/settings.js';
import { TokenRepo } from './repos/tokens.js';
import { UserRepo } from './repos/users.js';
import { ImageStore } from './repos/images.js';
import { PatrolRepo } from './repos/patrol.js';
import { AlarmRepo } from './repos/alarms.js';
import { MapRepo } from './repos/map.js';
import { WatermarkPolicyRepo } from './repos/watermark-policies.js';

/** Every repository over one database; built once at start and handed to services. */
export interface Store {
  database: Database;
  users: UserRepo;
  roles: RoleRepo;
  tokens: TokenRepo;
  apiKeys: ApiKeyRepo;
  orgs: OrgRepo;
  devices: DeviceRepo;
  channels: ChannelRepo;
  maintenance: MaintenanceRepo;
  photos: PhotoRepo;
  logs: LogRepo;
  settings: SettingsRepo;
  gb: GbStateRepo;
  recordPlans: RecordPlanRepo;
  segments: RecordSegmentRepo;
  uppers: UpperPlatformRepo;
  /** face captures, vehicle passes, image keys, bureau targets and the forwarding queue (issue 12) */
  images: ImageStore;
  /** patrol tasks, plans, run state (issue 10) */
  patrol: PatrolRepo;
  /** the alarm console's view of the alarm log */
  alarms: AlarmRepo;
  /** map positions and mobile-position tracks */
  map: MapRepo;
  /** download/snapshot watermark policies (issue 8) */
  watermarks: WatermarkPolicyRepo;
}

export function createStore(database: Database): Store {
  const { db } = database;
  return {
    database,
    users: new UserRepo(db),
    roles: new RoleRepo(db),
    tokens: new TokenRepo(db),
    apiKeys: new ApiKeyRepo(db),
    orgs: new OrgRepo(db),
    devices: new DeviceRepo(db),
    channels: new ChannelRepo(db),
    maintenance: new MaintenanceRepo(db),
    photos: new PhotoRepo(db),
    logs: new LogRepo(db),
    settings: new SettingsRepo(db),
    gb: new GbStateRepo(db),
    recordPlans: new RecordPlanRepo(db),
    segments: new RecordSegmentRepo(db),
    uppers: new UpperPlatformRepo(db),
    images: new ImageStore(db),
    patrol: new PatrolRepo(db),
    alarms: new AlarmRepo(db),
    map: new MapRepo(db),
    watermarks: new WatermarkPolicyRepo(db),
  };
}
