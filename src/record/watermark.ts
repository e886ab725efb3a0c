import type { Principal } from '../auth/access.js';
import type { Clock } from '../core/clock.js';
import { formatLocalDateTime } from '../core/time.js';
import type { WatermarkSpec } from '../media/node.js';
import type { WatermarkPolicy } from '../store/repos/watermark-policies.js';
import type { Store } from '../store/index.js';

export interface WatermarkDecision {
  spec: WatermarkSpec;
  /** the policies that asked for it (`channel:<id>`, `role:<id>`) */
  by: string[];
}

/**
 * Download and snapshot watermarks (issue 8): a channel policy marks everything taken from that channel, a role policy
 * everything its users take. Either is enough. What is burnt in: the user name and the time of taking (local time in
 * SHARPEYE_TZ), and each policy's own line (e.g. 内部资料 禁止外传).
 */
export class Watermarks {
  constructor(private readonly d: { store: Store; clock: Clock; tz: string }) {}

  /** The watermark this user gets for this channel, or undefined when no policy asks for one. */
  async forUser(p: Principal, channelId: string): Promise<WatermarkDecision | undefined> {
    // an API key acts for its owner: the owner's roles count
    const user = p.userId ? await this.d.store.users.get(p.userId, this.d.clock.now().toISOString()) : undefined;
    const policies = await this.d.store.watermarks.applicable(channelId, user?.roleIds ?? []);
    if (!policies.length) return undefined;
    // the display name (often Chinese) and the login name, which is unique
    const who = user && user.displayName && user.displayName !== p.username ? `${user.displayName} (${p.username})` : p.username;
    return { spec: this.spec(p.kind === 'apikey' ? `${who} [API]` : who, policies), by: policies.map((x) => `${x.kind}:${x.targetId}`) };
  }

  spec(who: string, policies: WatermarkPolicy[]): WatermarkSpec {
    const extra = [...new Set(policies.map((x) => x.text?.trim()).filter((t): t is string => !!t))];
    return { lines: [`${who}  ${formatLocalDateTime(this.d.clock.now(), this.d.tz)}`, ...extra] };
  }
}
