import type { FastifyRequest } from 'fastify';
import { assertPermission, hasPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';

/** Operations pages (issue 14 §4): reading needs `log.view` or `system.config`, changing needs `system.config`. */
export function opsAccess(deps: ApiDeps) {
  return {
    ops() {
      if (!deps.ops) throw new AppError('FEATURE_UNAVAILABLE', 'operations (alerts, tickets, status) run on control nodes only');
      return deps.ops;
    },
    reader(req: FastifyRequest) {
      const p = principalOf(req);
      if (!hasPermission(p, 'log.view') && !hasPermission(p, 'system.config')) throw new AppError('FORBIDDEN', 'needs log.view or system.config (无权查看运维信息)');
      return p;
    },
    writer(req: FastifyRequest) {
      const p = principalOf(req);
      assertPermission(p, 'system.config');
      return p;
    },
  };
}
