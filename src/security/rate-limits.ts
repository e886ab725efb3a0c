import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../core/errors.js';
import { failBody, SEED_OPS, type SeedOp } from '../images/seed-protocol.js';
import { methodsOf, prependRouteHook } from './route-hooks.js';
import { TokenBuckets } from './token-bucket.js';

export const LOGIN_URL = '/api/v1/auth/login';
const SEED_PREFIX = '/redis/rest/';

export interface RateLimitOptions {
  /** login attempts per minute per user name; per IP 6× (an office behind one NAT) */
  loginPerMin: number;
  /** seed image interface requests per second per IP; burst 2× */
  seedPerSec: number;
  now?: () => number;
}

/**
 * Rate limits (R11): password guessing on the login (per IP and per user name, on top of the 5-failure lockout,
 * which counts only wrong passwords of existing users) and floods on the served image interfaces (per IP).
 * Answer: 429 RATE_LIMITED with Retry-After; the seed interfaces answer in the seed's own format.
 */
export function rateLimitRoute(o: RateLimitOptions): (route: RouteOptions) => void {
  const now = o.now ?? Date.now;
  const perUser = new TokenBuckets(o.loginPerMin, o.loginPerMin / 60, now);
  const perIp = new TokenBuckets(o.loginPerMin * 6, (o.loginPerMin * 6) / 60, now);
  const seed = new TokenBuckets(Math.ceil(o.seedPerSec * 2), o.seedPerSec, now);

  const limited = (reply: FastifyReply, wait: number, what: string) => {
    reply.header('Retry-After', String(wait));
    return new AppError('RATE_LIMITED', `Too many ${what}; try again in ${wait} s (请求过于频繁，请 ${wait} 秒后再试)`, { retryAfter: wait });
  };

  return (route) => {
    const methods = methodsOf(route);
    if (route.url === LOGIN_URL && methods.includes('POST')) {
      prependRouteHook(route, 'preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
        const ipWait = perIp.take(req.ip);
        if (ipWait) throw limited(reply, ipWait, `login attempts from ${req.ip}`);
        const name = (req.body as { username?: unknown } | undefined)?.username;
        if (typeof name === 'string' && name) {
          const userWait = perUser.take(name.toLowerCase());
          if (userWait) throw limited(reply, userWait, `login attempts for "${name}"`);
        }
      });
    } else if (route.url.startsWith(SEED_PREFIX)) {
      const op = (/\/([A-Za-z]+)\.json$/.exec(route.url)?.[1] ?? 'saveImageData') as SeedOp;
      const seedOp = (SEED_OPS as readonly string[]).includes(op) ? op : 'saveImageData';
      prependRouteHook(route, 'onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        const wait = seed.take(req.ip);
        if (!wait) return;
        // answered here: the seed's error handler would turn a thrown error into EC006 "storage failure"
        const body = { ...failBody(seedOp, 'EC006', `too many requests from ${req.ip}; retry in ${wait} s (请求过于频繁)`), code: 'RATE_LIMITED' };
        return reply.code(429).header('Retry-After', String(wait)).type('application/json;charset=UTF-8').send(JSON.stringify(body));
      });
    }
  };
}
