import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { formatLocalDateTime } from '../../core/time.js';
import { writeTable } from '../../lib/table/spreadsheet.js';
import { viewReport } from '../../security/view-report.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IsoTime } from '../schemas.js';
import { sendFile, stamp } from './download.js';

const ViewQuery = Type.Object(
  {
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    channelId: Type.Optional(Type.String({ pattern: '^[0-9]{20}$' })),
    username: Type.Optional(Type.String({ maxLength: 64 })),
    by: Type.Optional(Type.Union([Type.Literal('channel'), Type.Literal('user')], { description: 'sort per channel (default) or per user' })),
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')])),
  },
  Closed,
);

/** "Who watched what" (R11): live views, playbacks, downloads and snapshots per channel and per user, exportable. */
export async function auditViewRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  api.get('/audit/views', { schema: { tags: ['logs'], querystring: ViewQuery, summary: 'Who watched what: per channel and user, counts of live views, playbacks, downloads, snapshots, player connections and seconds watched; ?format=csv|xlsx exports' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'log.view');
    const q = req.query;
    const iso = (s?: string) => (s ? new Date(s).toISOString() : undefined);
    const items = await viewReport(deps.store.database.db, { from: iso(q.from), to: iso(q.to), channelId: q.channelId, username: q.username }, q.by ?? 'channel');
    if (!q.format) return { items, total: items.length };
    assertPermission(p, 'log.export');
    const local = (s: string) => formatLocalDateTime(new Date(s), deps.config.tz);
    const table = {
      headers: ['通道编码', '通道名称', '用户', '实时浏览', '录像回放', '录像下载', '抓拍', '播放连接', '观看时长(秒)', '敏感点位查看', '被拒绝/失败', '首次', '最近'],
      rows: items.map((r) => [r.channelId, r.channelName, r.username, r.live, r.playback, r.download, r.snapshot, r.connections, r.watchedSeconds, r.sensitive, r.refused, local(r.first), local(r.last)]),
    };
    const body = await writeTable(table, q.format, '查看记录');
    await audit(deps, req, { action: 'log.export', targetType: 'log', targetId: 'views', detail: `${items.length} rows as ${q.format}` });
    return sendFile(reply, body, `查看记录-${stamp(deps.clock.now())}`, q.format);
  });
}
