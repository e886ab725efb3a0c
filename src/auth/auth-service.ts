import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { UserRow } from '../store/repos/users.js';
import { AccessService, type Principal } from './access.js';
import { API_KEY_SCOPES, BUILTIN_ROLES } from './permissions.js';
import { checkPasswordPolicy, generatePassword, hashPassword, verifyPassword } from './password.js';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface LoginResult {
  token: string;
  expiresAt: string;
  principal: Principal;
  user: UserRow;
}

export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly access: AccessService,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  /** First start: built-in roles and the `admin` user. Returns the generated password when one was made. */
  async bootstrap(adminPassword: string | undefined): Promise<{ createdAdmin: boolean; generatedPassword?: string }> {
    const now = this.now();
    for (const r of BUILTIN_ROLES) {
      const existing = await this.store.roles.get(r.id);
      if (!existing) await this.store.roles.create(r.id, r, true, now);
      else await this.store.roles.update(r.id, { permissions: r.permissions, allChannels: r.allChannels }, now);
    }
    if (await this.store.users.rowByUsername('admin')) return { createdAdmin: false };
    const generated = adminPassword ? undefined : generatePassword();
    const pw = adminPassword ?? generated!;
    await this.store.users.create(
      {
        id: randomUUID(),
        username: 'admin',
        display_name: '超级管理员',
        password_hash: await hashPassword(pw),
        enabled: 1,
        must_change_password: 0,
        failed_count: 0,
        locked_until: null,
        phone: null,
        email: null,
        password_changed_at: now,
        last_login_at: null,
        created_at: now,
        updated_at: now,
      },
      ['role-admin'],
    );
    return { createdAdmin: true, generatedPassword: generated };
  }

  async login(username: string, password: string, ttlMinutes: number, meta: { ip?: string; userAgent?: string }): Promise<LoginResult> {
    const user = await this.store.users.rowByUsername(username);
    const now = this.clock.now();
    const nowIso = now.toISOString();
    if (!user) {
      // Same work and answer as a wrong password, so user names cannot be probed by timing.
      await verifyPassword(password, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
      throw new AppError('AUTH_INVALID_CREDENTIALS', 'Wrong username or password (用户名或密码错误)');
    }
    if (user.locked_until && user.locked_until > nowIso) {
      throw new AppError('AUTH_ACCOUNT_LOCKED', `Account locked until ${user.locked_until} after ${MAX_FAILED_LOGINS} failed logins (账号已锁定)`, {
        lockedUntil: user.locked_until,
      });
    }
    if (!(await verifyPassword(password, user.password_hash))) {
      const failed = user.failed_count + 1;
      const lock = failed >= MAX_FAILED_LOGINS;
      await this.store.users.update(user.id, {
        failed_count: lock ? 0 : failed,
        locked_until: lock ? new Date(now.getTime() + LOCKOUT_MS).toISOString() : user.locked_until,
      });
      if (lock) {
        this.log.warn({ username }, 'account locked after repeated failed logins');
        const lockedUntil = new Date(now.getTime() + LOCKOUT_MS).toISOString();
        throw new AppError('AUTH_ACCOUNT_LOCKED', `Account locked for 15 minutes after ${MAX_FAILED_LOGINS} failed logins (连续失败 5 次，账号锁定 15 分钟)`, { lockedUntil });
      }
      throw new AppError('AUTH_INVALID_CREDENTIALS', `Wrong username or password, ${MAX_FAILED_LOGINS - failed} attempts left (用户名或密码错误)`);
    }
    if (!user.enabled) throw new AppError('AUTH_ACCOUNT_DISABLED', 'Account disabled (账号已停用)');
    await this.store.users.update(user.id, { failed_count: 0, locked_until: null, last_login_at: nowIso });
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + ttlMinutes * 60_000).toISOString();
    const tokenId = sha256(token);
    await this.store.tokens.insert({
      id: tokenId,
      user_id: user.id,
      created_at: nowIso,
      expires_at: expiresAt,
      revoked_at: null,
      ip: meta.ip ?? null,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
    });
    const principal = await this.access.principalForUser(user.id, user.username, { tokenId });
    return { token, expiresAt, principal, user };
  }

  /** Resolves `Authorization: Bearer` tokens and API keys (`sk_...`). */
  async authenticate(credential: string): Promise<Principal> {
    if (credential.startsWith('sk_')) return this.authenticateApiKey(credential);
    const tokenId = sha256(credential);
    const cached = this.access.cachedSession(tokenId, this.clock.now().getTime());
    if (cached) return cached;
    const t = await this.store.tokens.get(tokenId);
    const now = this.now();
    if (!t || t.revoked_at || t.expires_at <= now) throw new AppError('AUTH_TOKEN_INVALID', 'Session expired or revoked, please log in again (会话已失效，请重新登录)');
    const user = await this.store.users.row(t.user_id);
    if (!user || !user.enabled) throw new AppError('AUTH_TOKEN_INVALID', 'Account disabled or removed (账号已停用)');
    const p = await this.access.principalForUser(user.id, user.username, { tokenId });
    this.access.cacheSession(tokenId, p, Date.parse(t.expires_at), this.clock.now().getTime());
    return p;
  }

  async logout(p: Principal): Promise<void> {
    if (!p.tokenId) return;
    await this.store.tokens.revoke(p.tokenId, this.now());
    this.access.invalidate();
    this.bus.emit('sessions.revoked', { tokenIds: [p.tokenId] });
  }

  /** Cuts every session of a user (disabled, deleted, password changed); `keep` survives a self change. */
  async revokeUserSessions(userId: string, keep?: string): Promise<void> {
    const ids = await this.store.tokens.revokeAllOf(userId, this.now(), keep);
    this.access.invalidate();
    this.bus.emit('sessions.revoked', { tokenIds: ids, userId: keep ? undefined : userId });
  }

  async changePassword(p: Principal, oldPassword: string, newPassword: string): Promise<void> {
    const user = await this.store.users.row(p.userId);
    if (!user) throw new AppError('NOT_FOUND', 'User not found');
    if (!(await verifyPassword(oldPassword, user.password_hash))) throw new AppError('PASSWORD_WRONG', 'Current password is wrong (原密码错误)');
    checkPasswordPolicy(newPassword, user.username);
    if (await verifyPassword(newPassword, user.password_hash)) throw new AppError('PASSWORD_POLICY', 'New password must differ from the old one (新密码不能与原密码相同)');
    const now = this.now();
    await this.store.users.update(user.id, { password_hash: await hashPassword(newPassword), password_changed_at: now, must_change_password: 0, updated_at: now });
    await this.revokeUserSessions(user.id, p.tokenId);
  }

  async createApiKey(owner: Principal, name: string, scopes: string[], expiresAt: string | null): Promise<{ id: string; key: string; prefix: string }> {
    for (const s of scopes) if (!(s in API_KEY_SCOPES)) throw new AppError('VALIDATION_FAILED', `Unknown API key scope "${s}" (known: ${Object.keys(API_KEY_SCOPES).join(', ')})`);
    const key = `sk_${randomBytes(24).toString('base64url')}`;
    const id = randomUUID();
    await this.store.apiKeys.insert({
      id,
      name,
      prefix: key.slice(0, 10),
      key_hash: sha256(key),
      scopes: JSON.stringify(scopes),
      user_id: owner.userId,
      created_at: this.now(),
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
    });
    return { id, key, prefix: key.slice(0, 10) };
  }

  private async authenticateApiKey(key: string): Promise<Principal> {
    const k = await this.store.apiKeys.byHash(sha256(key));
    const now = this.now();
    if (!k || k.revokedAt || (k.expiresAt && k.expiresAt <= now)) throw new AppError('AUTH_TOKEN_INVALID', 'API key invalid, expired or revoked');
    const owner = await this.store.users.row(k.userId);
    if (!owner || !owner.enabled) throw new AppError('AUTH_TOKEN_INVALID', 'API key owner disabled');
    void this.store.apiKeys.touch(k.id, now).catch(() => undefined);
    return this.access.principalForApiKey(k.id, owner.id, owner.username, k.scopes);
  }
}
