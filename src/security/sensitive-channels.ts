import type { FastifyRequest, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { hasPermission, type Principal } from '../auth/access.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import type { Channel } from '../store/repos/channels.js';
import { methodsOf, prependRouteHook } from './route-hooks.js';

/** The permission of the roles named to see sensitive channels (敏感点位). */
export const SENSITIVE_PERMISSION = 'sensitive.view' as const;

export type MediaAction = 'live' | 'playback' | 'download' | 'snapshot';

/**
 * Every route that hands out a media URL or media bytes of one channel (R11 "cannot obtain any URL"). Media URLs carry a
 * token bound to their stream path that only these routes sign, so guarding them guards every protocol (FLV, WS-FLV,
 * HLS, RTSP). A route added later that serves a channel's media belongs here; test/security/sensitive.test.ts
 * fails when a `/channels/:id/...` media route is missing from this list.
 */
export const MEDIA_ROUTES: readonly { method: string; url: string; action: MediaAction }[] = [
  { method: 'POST', url: '/api/v1/channels/:id/live', action: 'live' },
  { method: 'POST', url: '/api/v1/channels/:id/playback', action: 'playback' },
  { method: 'GET', url: '/api/v1/channels/:id/download', action: 'download' },
  { method: 'POST', url: '/api/v1/channels/:id/device-downloads', action: 'download' },
  { method: 'POST', url: '/api/v1/channels/:id/snapshot', action: 'snapshot' },
  { method: 'POST', url: '/api/v1/channels/:id/snapshots', action: 'snapshot' },
  { method: 'POST', url: '/api/v1/channels/:id/snapshot-upload', action: 'snapshot' },
];

export const REASON_HEADER = 'x-access-reason';
const ReasonField = Type.Optional(Type.String({ maxLength: 200, description: 'why a sensitive channel is opened (required there; logged). Also accepted as ?reason= or the X-Access-Reason header (URL-encoded)' }));

/** `reason` from the query, the body or the X-Access-Reason header (percent-encoded UTF-8). */
export function reasonOf(req: FastifyRequest): string | undefined {
  const pick = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const q = pick((req.query as Record<string, unknown> | undefined)?.reason);
  if (q) return q;
  const body = req.body;
  const b = body && typeof body === 'object' && !Buffer.isBuffer(body) ? pick((body as Record<string, unknown>).reason) : undefined;
  if (b) return b;
  const h = req.headers[REASON_HEADER];
  if (typeof h === 'string' && h) {
    try {
      return pick(decodeURIComponent(h));
    } catch {
      return pick(h);
    }
  }
  return undefined;
}

/** An object schema that also accepts `reason` (closed schemas would refuse the field). */
function withReason(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as { type?: unknown; properties?: Record<string, unknown> };
  if (s.type !== 'object' || !s.properties) return schema;
  return { ...s, properties: { ...s.properties, reason: ReasonField } };
}

export interface SensitiveDeps {
  store: Store;
  clock: Clock;
}

/** The decision for one request; throws CHANNEL_FORBIDDEN or SENSITIVE_REASON_REQUIRED. */
export function decideSensitive(p: Principal, ch: Pick<Channel, 'id' | 'sensitive'>, reason: string | undefined): { reason: string } | null {
  if (!ch.sensitive) return null;
  if (!hasPermission(p, SENSITIVE_PERMISSION)) {
    throw new AppError('CHANNEL_FORBIDDEN', `Channel ${ch.id} is sensitive: only roles with "${SENSITIVE_PERMISSION}" may open it (敏感点位，仅授权角色可查看)`);
  }
  if (!reason || reason.length < 2) {
    throw new AppError('SENSITIVE_REASON_REQUIRED', `Channel ${ch.id} is sensitive: give a reason (reason, ?reason= or X-Access-Reason) (敏感点位，请填写查看事由)`);
  }
  return { reason: reason.slice(0, 200) };
}

/**
 * `onRoute` hook: the media routes of MEDIA_ROUTES also accept `reason`, and a pre-handler decides before the route
 * signs anything. Every attempt on a sensitive channel is in the user log (`sensitive.access`, with the reason or
 * the refusal). A channel outside the caller's scope is left to the route, which answers 404 (no existence leak).
 */
export function sensitiveChannelRoute(deps: SensitiveDeps): (route: RouteOptions) => void {
  return (route) => {
    const methods = methodsOf(route);
    const m = MEDIA_ROUTES.find((r) => r.url === route.url && methods.includes(r.method));
    if (!m) return;
    if (route.schema) {
      const s = { ...route.schema };
      if (s.body) s.body = withReason(s.body);
      if (s.querystring) s.querystring = withReason(s.querystring);
      route.schema = s;
    }
    prependRouteHook(route, 'preHandler', async (req: FastifyRequest) => {
      const p = req.principal;
      const id = (req.params as { id?: string }).id;
      if (!p || !id) return;
      const ch = await deps.store.channels.get(id, p.scope);
      if (!ch?.sensitive) return;
      const log = (result: 'ok' | 'fail', detail: string) =>
        deps.store.logs.appendUser({
          at: deps.clock.now().toISOString(),
          userId: p.userId,
          username: p.kind === 'apikey' ? `${p.username} (api key)` : p.username,
          action: 'sensitive.access',
          targetType: 'channel',
          targetId: ch.id,
          detail: `${m.action}: ${detail}`.slice(0, 300),
          ip: req.ip,
          result,
        });
      try {
        const d = decideSensitive(p, ch, reasonOf(req));
        await log('ok', d!.reason);
      } catch (e) {
        await log('fail', (e as AppError).code);
        throw e;
      }
    });
  };
}
