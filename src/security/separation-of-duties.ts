import type { Principal } from '../auth/access.js';
import type { Permission } from '../auth/permissions.js';
import { AppError } from '../core/errors.js';

/**
 * 等保 2.0 三员分立 (GB/T 22239-2019 level 3: 8.1.4.2 d) 管理用户的权限分离; 8.1.5.2–8.1.5.4 系统/审计/安全管理员):
 * the system, security and audit administrator duties are held by different people. These are the permissions of each
 * duty; everything else (watching, playback, PTZ …) belongs to no duty and mixes freely.
 */
export const DUTIES = {
  system: ['device.manage', 'org.manage', 'cascade.manage', 'system.config'],
  security: ['user.manage', 'role.manage', 'apikey.manage'],
  audit: ['log.view', 'log.export', 'audit.verify'],
} as const satisfies Record<string, readonly Permission[]>;
export type Duty = keyof typeof DUTIES;
const DUTY_NAMES: Record<Duty, string> = { system: '系统管理员 system', security: '安全管理员 security', audit: '审计管理员 audit' };

/** The built-in 超级管理员 role: all duties, for the first start (hand the three duties out, then disable it). */
export const SUPER_ROLE_ID = 'role-admin';

export function dutiesOf(perms: Iterable<string>): Set<Duty> {
  const out = new Set<Duty>();
  const set = new Set(perms);
  for (const [duty, list] of Object.entries(DUTIES) as [Duty, readonly string[]][]) if (list.some((p) => set.has(p))) out.add(duty);
  return out;
}

/** Holds every duty: the built-in super administrator (only such an actor hands out the other duties). */
export function isSuperAdmin(p: Principal): boolean {
  return dutiesOf(p.permissions).size === Object.keys(DUTIES).length;
}

const names = (d: Iterable<Duty>) => [...d].map((x) => DUTY_NAMES[x]).join(' + ');

/** Duties of `perms` the actor may not hand out: a non-super actor hands out only duties it holds itself. */
function foreignDuties(actor: Principal, perms: Iterable<string>): Duty[] {
  if (isSuperAdmin(actor)) return [];
  const own = dutiesOf(actor.permissions);
  return [...dutiesOf(perms)].filter((d) => !own.has(d));
}

/** A custom role's permissions: never two duties in one role, and only the actor's own duty unless super. */
export function checkRolePermissions(actor: Principal, perms: readonly string[]): void {
  const duties = dutiesOf(perms);
  if (duties.size > 1) throw new AppError('SOD_VIOLATION', `A role cannot mix duties (${names(duties)}): 三员分立，一个角色不能同时拥有两类管理员权限`, { duties: [...duties] });
  const foreign = foreignDuties(actor, perms);
  if (foreign.length) throw new AppError('SOD_VIOLATION', `You cannot grant ${names(foreign)} permissions (不能授予其他管理员的权限)`, { duties: foreign });
}

/**
 * Roles given to a user: never one's own; the resulting user holds at most one duty (the super role aside, which only a
 * super administrator hands out); a non-super actor grants no duty it does not hold itself.
 */
export function checkUserRoles(actor: Principal, targetUserId: string | null, roles: readonly { id: string; permissions: readonly string[] }[]): void {
  if (targetUserId !== null && targetUserId === actor.userId) {
    throw new AppError('SOD_VIOLATION', 'You cannot change your own roles (不能修改自己的角色)');
  }
  const superRole = roles.some((r) => r.id === SUPER_ROLE_ID);
  const perms = roles.flatMap((r) => r.permissions);
  if (superRole) {
    if (!isSuperAdmin(actor)) throw new AppError('SOD_VIOLATION', 'Only a super administrator can grant the super administrator role (只有超级管理员能授予超级管理员角色)');
    return;
  }
  const duties = dutiesOf(perms);
  if (duties.size > 1) throw new AppError('SOD_VIOLATION', `A user cannot hold two duties (${names(duties)}): 三员分立`, { duties: [...duties] });
  const foreign = foreignDuties(actor, perms);
  if (foreign.length) throw new AppError('SOD_VIOLATION', `You cannot grant ${names(foreign)} duties (不能授予其他管理员的权限)`, { duties: foreign });
}

/**
 * A role's permissions change: every user holding it must still hold at most one duty (a user with the system
 * role and this role would otherwise gain a second duty through the back door). Super administrators are exempt.
 */
export async function checkRoleHolders(
  store: { users: { usersWithRole(id: string): Promise<string[]>; roleIds(userId: string): Promise<string[]> }; roles: { byIds(ids: string[]): Promise<{ id: string; permissions: string[] }[]> } },
  roleId: string,
  newPermissions: readonly string[],
): Promise<void> {
  for (const userId of await store.users.usersWithRole(roleId)) {
    const others = (await store.roles.byIds((await store.users.roleIds(userId)).filter((r) => r !== roleId)));
    if (others.some((r) => r.id === SUPER_ROLE_ID)) continue;
    const duties = dutiesOf([...others.flatMap((r) => r.permissions), ...newPermissions]);
    if (duties.size > 1) throw new AppError('SOD_VIOLATION', `A user holding this role would hold two duties (${names(duties)}): 三员分立`, { duties: [...duties], userId });
  }
}
