import { AppError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { expandOrgIds } from '../store/repos/orgs.js';
import { ALL_CHANNELS, type ChannelScope } from '../store/scope.js';
import { API_KEY_SCOPES, isPermission, type Permission } from './permissions.js';

/**
 * The one access-check module (R6, R11). Every surface that touches channels (REST, exports, WebSocket pushes,
 * media tokens, playback, PTZ, downloads, cascade) asks here: function permission + channel scope.
 */
export interface Principal {
  kind: 'user' | 'apikey';
  userId: string;
  username: string;
  permissions: ReadonlySet<Permission>;
  scope: ChannelScope;
  tokenId?: string;
  apiKeyId?: string;
}

export function hasPermission(p: Principal, perm: Permission): boolean {
  return p.permissions.has(perm);
}

export function assertPermission(p: Principal, perm: Permission): void {
  if (!p.permissions.has(perm)) throw new AppError('FORBIDDEN', `Permission "${perm}" required (缺少权限 ${perm})`);
}

/** Synchronous check for pushes: the channel's own id and org must be in scope. */
export function channelVisible(p: Principal, ch: { id: string; orgId: string | null }): boolean {
  const s = p.scope;
  if (s.all) return true;
  return s.channelIds.includes(ch.id) || (ch.orgId !== null && s.orgIds.includes(ch.orgId));
}

export class AccessService {
  /** Short cache so a request burst does not reload roles each time; changes call `invalidate()`. */
  private cache = new Map<string, { at: number; p: Principal }>();
  private static readonly TTL_MS = 2000;

  constructor(private readonly store: Store) {}

  /** Verified sessions (token → principal), so a request burst costs no token/user queries. */
  private sessions = new Map<string, { until: number; p: Principal }>();

  /**
   * Drops every cached principal and session. Called on any change of users, roles, orgs or tokens; across
   * nodes the TTL bounds staleness (R11: a revoked session is cut within 5 s).
   */
  invalidate(): void {
    this.cache.clear();
    this.sessions.clear();
  }

  cachedSession(tokenId: string, nowMs: number): Principal | undefined {
    const s = this.sessions.get(tokenId);
    if (!s) return undefined;
    if (s.until > nowMs) return s.p;
    this.sessions.delete(tokenId);
    return undefined;
  }

  cacheSession(tokenId: string, p: Principal, expiresMs: number, nowMs: number): void {
    if (this.sessions.size > 10_000) this.sessions.clear();
    this.sessions.set(tokenId, { until: Math.min(expiresMs, nowMs + AccessService.TTL_MS), p });
  }

  async principalForUser(userId: string, username: string, extra: { tokenId?: string } = {}): Promise<Principal> {
    const key = `u:${userId}:${extra.tokenId ?? ''}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < AccessService.TTL_MS) return hit.p;
    const roleIds = await this.store.users.roleIds(userId);
    const roles = await this.store.roles.byIds(roleIds);
    const permissions = new Set<Permission>();
    for (const r of roles) for (const perm of r.permissions) if (isPermission(perm)) permissions.add(perm);
    let scope: ChannelScope;
    if (roles.some((r) => r.allChannels)) scope = ALL_CHANNELS;
    else {
      const orgRoots = roles.flatMap((r) => r.orgIds);
      const orgIds = orgRoots.length ? expandOrgIds(await this.store.orgs.all(), orgRoots) : [];
      scope = { all: false, orgIds, channelIds: [...new Set(roles.flatMap((r) => r.channelIds))] };
    }
    const p: Principal = { kind: 'user', userId, username, permissions, scope, ...extra };
    this.cache.set(key, { at: Date.now(), p });
    return p;
  }

  /** An API key acts with its owner's channel scope, limited to the permissions of its scopes. */
  async principalForApiKey(apiKeyId: string, ownerId: string, ownerName: string, scopes: string[]): Promise<Principal> {
    const owner = await this.principalForUser(ownerId, ownerName);
    const allowed = new Set(scopes.flatMap((s) => API_KEY_SCOPES[s] ?? []));
    const permissions = new Set([...owner.permissions].filter((x) => allowed.has(x)));
    return { kind: 'apikey', userId: ownerId, username: ownerName, permissions, scope: owner.scope, apiKeyId };
  }

  /** The channel if the principal may see it; a hidden channel is reported as absent (no existence leak). */
  async visibleChannel(p: Principal, channelId: string) {
    const ch = await this.store.channels.get(channelId, p.scope);
    if (!ch) throw new AppError('NOT_FOUND', `Channel ${channelId} not found (通道不存在或无权限)`);
    return ch;
  }

  async visibleDevice(p: Principal, deviceId: string) {
    const d = await this.store.devices.get(deviceId, p.scope);
    if (!d) throw new AppError('NOT_FOUND', `Device ${deviceId} not found (设备不存在或无权限)`);
    return d;
  }
}
