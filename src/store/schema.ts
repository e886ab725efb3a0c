import type { Generated } from 'kysely';

/**
 * Database schema shared by SQLite and PostgreSQL. Portable column choices: times are ISO 8601 UTC text
 * (sorts lexically), booleans are integers 0/1, structured values are JSON text.
 */
export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  enabled: number;
  must_change_password: number;
  failed_count: number;
  locked_until: string | null;
  phone: string | null;
  email: string | null;
  password_changed_at: string;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface RolesTable {
  id: string;
  name: string;
  description: string;
  permissions: string; // JSON string[]
  all_channels: number;
  builtin: number;
  created_at: string;
  updated_at: string;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
}

export interface RoleScopesTable {
  role_id: string;
  kind: 'org' | 'channel';
  target_id: string;
}

export interface TokensTable {
  id: string; // sha256 of the token
  user_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string; // JSON string[]
  user_id: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface OrgsTable {
  id: string;
  name: string;
  parent_id: string | null;
  type: 'region' | 'business_group' | 'virtual_org';
  sort: number;
  created_at: string;
  updated_at: string;
  /** recording retention for channels under this org (issue 7); null = inherit */
  record_retention_days?: number | null;
}

export interface DevicesTable {
  id: string;
  name: string;
  type_code: string;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  ip: string | null;
  port: number | null;
  transport: string;
  password_sealed: string | null;
  online: number;
  registered_at: string | null;
  last_keepalive_at: string | null;
  install_address: string | null;
  longitude: number | null;
  latitude: number | null;
  org_id: string | null;
  site_category: string | null;
  owner_unit: string | null;
  contact_person: string | null;
  contact_phone: string | null;
  install_date: string | null;
  capabilities: string; // JSON
  remark: string | null;
  source: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  keepalive_interval: number | null;
  charset: string | null;
  catalog_at: string | null;
  user_agent: string | null;
  media_transport: string | null;
  stream_profile: string | null;
  onvif_xaddr: string | null;
  onvif_username: string | null;
}

export interface ChannelsTable {
  id: string;
  device_id: string;
  name: string;
  org_id: string | null;
  online: number;
  manufacturer: string | null;
  model: string | null;
  install_address: string | null;
  longitude: number | null;
  latitude: number | null;
  site_category: string | null;
  capabilities: string; // JSON
  ptz_type: number | null;
  source_url: string | null;
  sensitive: number;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate_kbps: number | null;
  /** frames per GOP measured by the hub (R12, migration 010_availability) */
  gop: number | null;
  media_at: string | null;
  source_type: string | null;
  pull_mode: string | null;
  pull_transport: string | null;
  sub_source_url: string | null;
  onvif_profile: string | null;
  source_state: string | null;
  created_at: string;
  updated_at: string;
  parent_id: string | null;
  civil_code: string | null;
  business_group_id: string | null;
  owner: string | null;
  block: string | null;
  parental: number | null;
  secrecy: number | null;
  ip: string | null;
  port: number | null;
  status: string | null;
  position_at: string | null;
  speed: string | null;
  direction: string | null;
}

export interface MaintenanceRecordsTable {
  id: Generated<number>;
  device_id: string;
  date: string;
  person: string;
  content: string;
  created_by: string | null;
  created_at: string;
}

export interface PhotosTable {
  id: string;
  device_id: string;
  filename: string;
  mime: string;
  size: number;
  path: string;
  created_at: string;
}

export interface UserLogsTable {
  id: Generated<number>;
  at: string;
  user_id: string | null;
  username: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: string | null;
  ip: string | null;
  result: string;
  prev_hash: string;
  hash: string;
}

export interface DeviceLogsTable {
  id: Generated<number>;
  at: string;
  device_id: string | null;
  channel_id: string | null;
  event: string;
  level: string;
  detail: string | null;
}

export interface AlarmLogsTable {
  id: Generated<number>;
  at: string;
  device_id: string | null;
  channel_id: string | null;
  alarm_type: string;
  priority: number | null;
  method: string | null;
  description: string | null;
  longitude: number | null;
  latitude: number | null;
  acked_by: string | null;
  acked_at: string | null;
  ack_comment: string | null;
}

export interface SettingsTable {
  key: string;
  value: string; // JSON
}

export interface RecordPlansTable {
  channel_id: string;
  mode: string;
  schedule: string | null;
  pre_seconds: number;
  post_seconds: number;
  stream: string;
  retention_days: number | null;
  quota_mb: number | null;
  updated_at: string;
  updated_by: string | null;
}

export interface RecordSegmentsTable {
  id: Generated<number>;
  channel_id: string;
  /** Unix ms; bigint columns come back as strings from PostgreSQL, so readers wrap them in Number() */
  start_ms: number | string;
  end_ms: number | string;
  size: number | string;
  path: string;
  node_id: string;
  codec: string | null;
  checksum: string | null;
  state: string;
  error: string | null;
  verified_at: string | null;
  // S3 storage (008): upload queue state local | uploading | s3, the object, whether the local file is still there
  storage: Generated<string>;
  object_key: string | null;
  etag: string | null;
  uploaded_at: string | null;
  local_copy: Generated<number>;
  upload_attempts: Generated<number>;
  upload_after: string | null;
  upload_error: string | null;
}

/** Download/snapshot watermark policy (008): per channel or per role. */
export interface WatermarkPoliciesTable {
  kind: string;
  target_id: string;
  enabled: number;
  text: string | null;
  updated_at: string;
  updated_by: string | null;
}

export interface UpperPlatformsTable {
  id: string;
  name: string;
  server_id: string;
  domain: string;
  host: string;
  port: number;
  transport: string;
  local_id: string;
  username: string | null;
  password_sealed: string | null;
  expires: number;
  keepalive_interval: number;
  keepalive_misses: number;
  charset: string;
  catalog_mode: string;
  catalog_page_size: number;
  ptz_allowed: number;
  record_source: string;
  time_sync: number;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export interface UpperChannelsTable {
  upper_id: string;
  channel_id: string;
  custom_id: string | null;
}

export interface UpperOrgsTable {
  upper_id: string;
  org_id: string;
}

/** Patrol (006): tasks, plans (a task in time windows on a wall) and the scheduler's run state. */
export interface PatrolTasksTable {
  id: string;
  name: string;
  layout: number;
  dwell_seconds: number;
  source: string;
  org_id: string | null;
  include_children: number;
  items: string; // JSON [{channelId, dwellSeconds?}]
  preload: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface PatrolPlansTable {
  id: string;
  name: string;
  task_id: string;
  wall: string;
  windows: string; // JSON [{days?, dates?, from, to}]
  enabled: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface PatrolRunsTable {
  key: string;
  kind: string;
  ref_id: string;
  running: number;
  paused: number;
  page: number;
  page_started_at: string | null;
  remaining_ms: number | null;
  manual: number;
  suppressed_until: string | null;
  run_as: string | null;
  cycle: number;
  started_at: string | null;
  updated_at: string;
}

/** Mobile-position track points (006), for the map. */
export interface ChannelTracksTable {
  id: Generated<number>;
  channel_id: string;
  at: string;
  longitude: number;
  latitude: number;
  speed: number | null;
  direction: number | null;
}

/** cluster nodes (issue 13) */
export interface ClusterNodesTable {
  id: string;
  role: string;
  /** JSON NodeAddresses */
  addresses: string;
  /** JSON NodeLimits */
  limits: string;
  started_at: string;
  last_seen: string;
}

export interface DB {
  cluster_nodes: ClusterNodesTable;
  users: UsersTable;
  roles: RolesTable;
  user_roles: UserRolesTable;
  role_scopes: RoleScopesTable;
  tokens: TokensTable;
  api_keys: ApiKeysTable;
  orgs: OrgsTable;
  devices: DevicesTable;
  channels: ChannelsTable;
  maintenance_records: MaintenanceRecordsTable;
  photos: PhotosTable;
  user_logs: UserLogsTable;
  device_logs: DeviceLogsTable;
  alarm_logs: AlarmLogsTable;
  settings: SettingsTable;
  record_plans: RecordPlansTable;
  record_segments: RecordSegmentsTable;
  watermark_policies: WatermarkPoliciesTable;
  upper_platforms: UpperPlatformsTable;
  upper_channels: UpperChannelsTable;
  upper_orgs: UpperOrgsTable;
  patrol_tasks: PatrolTasksTable;
  patrol_plans: PatrolPlansTable;
  patrol_runs: PatrolRunsTable;
  channel_tracks: ChannelTracksTable;
}
