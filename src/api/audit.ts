import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from './context.js';

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  detail?: string;
  result?: 'ok' | 'fail';
  /** for events before a principal exists (login) */
  username?: string;
  userId?: string | null;
}

/** Writes one row of the tamper-evident user log (R8/R11): who, what, target, when, from where, result. */
export async function audit(deps: ApiDeps, req: FastifyRequest, e: AuditEntry): Promise<void> {
  const p = req.principal;
  await deps.store.logs.appendUser({
    at: deps.clock.now().toISOString(),
    userId: e.userId !== undefined ? e.userId : (p?.userId ?? null),
    username: e.username ?? (p ? (p.kind === 'apikey' ? `${p.username} (api key)` : p.username) : null),
    action: e.action,
    targetType: e.targetType ?? null,
    targetId: e.targetId ?? null,
    detail: e.detail ?? null,
    ip: req.ip,
    result: e.result ?? 'ok',
  });
}

/** The principal of an authenticated route (the onRequest hook guarantees it). */
export function principalOf(req: FastifyRequest) {
  if (!req.principal) throw new Error('route reached without authentication');
  return req.principal;
}

/** Changed field names only: values may be secrets and the log must not hold them. */
export function changedFields(body: object): string {
  return Object.keys(body)
    .filter((k) => (body as Record<string, unknown>)[k] !== undefined)
    .join(',');
}
