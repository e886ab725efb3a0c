/**
 * The one permission catalogue (R6). Function permissions are checked by `access.ts`; which channels a user may
 * touch is the separate channel scope of their roles.
 */
export const PERMISSIONS = {
  'device.view': { group: 'device', zh: '查看设备档案', en: 'View device archive' },
  'device.manage': { group: 'device', zh: '管理设备与通道', en: 'Manage devices and channels' },
  'org.manage': { group: 'device', zh: '管理组织机构', en: 'Manage organisations' },
  'live.view': { group: 'video', zh: '实时视频', en: 'Live video' },
  'playback.view': { group: 'video', zh: '录像回放', en: 'Recording playback' },
  'record.download': { group: 'video', zh: '录像下载', en: 'Recording download' },
  'ptz.control': { group: 'video', zh: '云台控制', en: 'PTZ control' },
  'patrol.manage': { group: 'video', zh: '电子巡逻', en: 'Electronic patrol' },
  'alarm.handle': { group: 'video', zh: '报警处理', en: 'Handle alarms' },
  'image.view': { group: 'video', zh: '人脸/车辆图片', en: 'Face/vehicle images' },
  // R11: sensitive channels (敏感点位) open only for roles holding this, with a logged reason (security/sensitive-channels.ts)
  'sensitive.view': { group: 'video', zh: '查看敏感点位', en: 'View sensitive channels' },
  'cascade.manage': { group: 'system', zh: '级联平台管理', en: 'Manage upper platforms' },
  'system.config': { group: 'system', zh: '系统设置', en: 'System settings' },
  'user.manage': { group: 'security', zh: '用户管理', en: 'Manage users' },
  'role.manage': { group: 'security', zh: '角色权限管理', en: 'Manage roles and permissions' },
  'apikey.manage': { group: 'security', zh: '接口密钥管理', en: 'Manage API keys' },
  'log.view': { group: 'audit', zh: '查看日志', en: 'View logs' },
  'log.export': { group: 'audit', zh: '导出日志', en: 'Export logs' },
  'audit.verify': { group: 'audit', zh: '审计日志校验', en: 'Verify audit log' },
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(s: string): s is Permission {
  return s in PERMISSIONS;
}

/**
 * Built-in roles. 等保 2.0 三员分立: the system, security and audit administrators hold disjoint duties;
 * `admin` (超级管理员) holds all and exists for the first start.
 */
export const BUILTIN_ROLES: { id: string; name: string; description: string; permissions: Permission[]; allChannels: boolean }[] = [
  { id: 'role-admin', name: '超级管理员', description: 'All permissions, all channels', permissions: ALL_PERMISSIONS, allChannels: true },
  {
    id: 'role-sysadmin',
    name: '系统管理员',
    description: 'Devices, organisations, cascade, settings (三员: system)',
    permissions: ['device.view', 'device.manage', 'org.manage', 'cascade.manage', 'system.config', 'live.view', 'ptz.control', 'patrol.manage'],
    allChannels: true,
  },
  {
    id: 'role-secadmin',
    name: '安全管理员',
    description: 'Users, roles, API keys (三员: security)',
    permissions: ['user.manage', 'role.manage', 'apikey.manage', 'device.view'],
    allChannels: false,
  },
  {
    id: 'role-auditor',
    name: '审计管理员',
    description: 'Logs and audit verification (三员: audit)',
    permissions: ['log.view', 'log.export', 'audit.verify'],
    allChannels: false,
  },
  {
    id: 'role-operator',
    name: '操作员',
    description: 'Watch, play back, PTZ, patrol on granted channels',
    permissions: ['device.view', 'live.view', 'playback.view', 'ptz.control', 'patrol.manage', 'alarm.handle', 'image.view'],
    allChannels: false,
  },
];

/** API-key scopes (R13) and the permissions each allows; the key's owner's channel scope still applies. */
export const API_KEY_SCOPES: Record<string, Permission[]> = {
  'basic:read': ['device.view'],
  service: ['device.view', 'live.view', 'playback.view', 'record.download', 'ptz.control'],
  collect: ['image.view'],
};
