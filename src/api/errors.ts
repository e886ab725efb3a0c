import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCatalogue } from '../core/errors.js';

/** Maps every thrown thing to `{code, message}` once; unknown errors are logged and hidden. */
export function errorHandler(err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AppError) {
    void reply.status(err.status).send({ code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) });
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const where = fe.validationContext ?? 'body';
    const field = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    let message = `${where}${field ? `.${field}` : ''}: ${first?.message ?? 'invalid'}`;
    if (first?.keyword === 'additionalProperties') {
      message = `${where}${field ? `.${field}` : ''}: unknown field "${(first.params as { additionalProperty?: string }).additionalProperty}"`;
    }
    void reply.status(400).send({ code: 'VALIDATION_FAILED', message, details: fe.validation.map((v) => ({ path: v.instancePath, message: v.message, keyword: v.keyword })) });
    return;
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      void reply.status(400).send({ code: 'INVALID_JSON', message: `${ErrorCatalogue.INVALID_JSON.message}: ${fe.message}` });
      return;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      void reply.status(413).send({ code: 'PAYLOAD_TOO_LARGE', message: fe.message });
      return;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      void reply.status(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: fe.message });
      return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send({ code: 'VALIDATION_FAILED', message: fe.message });
    return;
  }
  if (isDatabaseUnreachable(err)) {
    // PostgreSQL restarting or unreachable (issue 13 bad input): a clear 503 the client may retry; nothing half-written
    req.log.warn({ err: err.message }, 'database unreachable');
    void reply.status(503).header('retry-after', '5').send({ code: 'DATABASE_UNAVAILABLE', message: `${ErrorCatalogue.DATABASE_UNAVAILABLE.message}: ${err.message}` });
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.status(500).send({ code: 'INTERNAL', message: 'Internal error; see the server log' });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ code: 'ROUTE_NOT_FOUND', message: `No such endpoint: ${req.method} ${req.url.split('?')[0]}` });
}

/** Connection-level failures of the database driver (not query errors): refused, reset, terminated, shutting down. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
export function isDatabaseUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.code && UNREACHABLE_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|server closed the connection/i.test(e.message ?? '');
}
