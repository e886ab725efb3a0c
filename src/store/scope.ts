import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB } from './schema.js';

/**
 * Which channels a principal may see. Computed once per request by the access module (auth/access.ts) and
 * applied by every repository query that returns channels or devices, so no surface can forget it.
 * `orgIds` is already expanded with all descendants of the granted org nodes.
 */
export type ChannelScope = { all: true } | { all: false; orgIds: string[]; channelIds: string[] };

export const ALL_CHANNELS: ChannelScope = Object.freeze({ all: true });

/** `channels` row filter for a scope. */
export function channelInScope(eb: ExpressionBuilder<DB, 'channels'>, scope: ChannelScope): Expression<SqlBool> {
  if (scope.all) return sql<SqlBool>`1 = 1`;
  const ors: Expression<SqlBool>[] = [];
  if (scope.orgIds.length) ors.push(eb('channels.org_id', 'in', scope.orgIds));
  if (scope.channelIds.length) ors.push(eb('channels.id', 'in', scope.channelIds));
  return ors.length ? eb.or(ors) : sql<SqlBool>`1 = 0`;
}

/** `devices` row filter: a device is visible when its org is in scope or it has a visible channel. */
export function deviceInScope(eb: ExpressionBuilder<DB, 'devices'>, scope: ChannelScope): Expression<SqlBool> {
  if (scope.all) return sql<SqlBool>`1 = 1`;
  const ors: Expression<SqlBool>[] = [];
  if (scope.orgIds.length) ors.push(eb('devices.org_id', 'in', scope.orgIds));
  if (scope.orgIds.length || scope.channelIds.length) {
    // Uncorrelated IN (evaluated once), not a correlated EXISTS per device: 400x faster on SQLite at 20k channels.
    ors.push(
      eb(
        'devices.id',
        'in',
        eb
          .selectFrom('channels')
          .select('channels.device_id')
          .where((ceb) => channelInScope(ceb, scope)),
      ),
    );
  }
  return ors.length ? eb.or(ors) : sql<SqlBool>`1 = 0`;
}
