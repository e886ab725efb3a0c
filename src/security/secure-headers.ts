import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Content-Security-Policy the built console works under: scripts only from our origin (no inline script, no eval);
 * inline styles are allowed because Element Plus and Leaflet set style attributes; images, media and connections
 * may also come from other hosts because map tiles come from the customer's tile server and media URLs from
 * other media nodes in a cluster; nothing may frame us but ourselves.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: http: https:",
  "media-src 'self' blob: http: https:",
  "connect-src 'self' http: https: ws: wss:",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

/**
 * Secure response headers (R11) on every answer, streamed ones included (set on the raw response, so FLV and
 * download writers that hijack the reply carry them too). Swagger UI at /api/docs keeps its own inline script, so
 * it gets no CSP. HSTS only when we serve TLS (RFC 6797 §7.2: not over plain HTTP).
 */
export function secureHeaders(o: { tls: boolean }) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const res = reply.raw;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    // media and download URLs carry tokens: never leak them in a Referer
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    if (!req.url.startsWith('/api/docs')) res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    if (o.tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  };
}
