import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { formatLocalDateTime } from '../../core/time.js';
import { writeTable, type Table } from '../../lib/table/spreadsheet.js';
import type { AlarmLog, DeviceLog, UserLog } from '../../store/repos/logs.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { IsoTime, PageQuery } from '../schemas.js';
import { sendFile, stamp } from './download.js';

/** Largest export in one file; beyond it the operator narrows the time range. */
const EXPORT_MAX = 200_000;
const Format = Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]));
const Common = { from: Type.Optional(IsoTime), to: Type.Optional(IsoTime), q: Type.Optional(Type.String({ maxLength: 100 })), format: Format, ...PageQuery };

export async function logRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const local = (iso: string | null) => (iso ? formatLocalDateTime(new Date(iso), deps.config.tz) : null);
  /** Query times may carry any offset; stored times are UTC, so normalise before comparing text. */
  const norm = <T extends { from?: string; to?: string }>(q: T): T => ({
    ...q,
    from: q.from ? new Date(q.from).toISOString() : undefined,
    to: q.to ? new Date(q.to).toISOString() : undefined,
  });

  const tables = {
    user: (items: UserLog[]): Table => ({
      headers: ['序号', '时间', '用户', '操作', '对象类型', '对象', '详情', '来源IP', '结果'],
      rows: items.map((l) => [l.id, local(l.at), l.username, l.action, l.targetType, l.targetId, l.detail, l.ip, l.result === 'ok' ? '成功' : '失败']),
    }),
    device: (items: DeviceLog[]): Table => ({
      headers: ['序号', '时间', '设备编码', '通道编码', '事件', '级别', '详情'],
      rows: items.map((l) => [l.id, local(l.at), l.deviceId, l.channelId, l.event, l.level, l.detail]),
    }),
    alarm: (items: AlarmLog[]): Table => ({
      headers: ['序号', '时间', '设备编码', '通道编码', '报警类型', '级别', '报警方式', '描述', '处理人', '处理时间', '处理意见'],
      rows: items.map((l) => [l.id, local(l.at), l.deviceId, l.channelId, l.alarmType, l.priority, l.method, l.description, l.ackedBy, local(l.ackedAt), l.ackComment]),
    }),
  };
  const names = { user: '用户日志', device: '设备日志', alarm: '报警日志' };

  async function answer<K extends keyof typeof tables>(
    kind: K,
    req: FastifyRequest & { query: { format?: 'csv' | 'xlsx' } },
    reply: FastifyReply,
    run: (all: boolean) => Promise<{ items: unknown[]; total: number }>,
  ) {
    const p = principalOf(req);
    assertPermission(p, 'log.view');
    const format = req.query.format;
    if (!format) return run(false);
    assertPermission(p, 'log.export');
    const page = await run(true);
    const items = page.items.slice(0, EXPORT_MAX);
    const body = await writeTable((tables[kind] as (i: unknown[]) => Table)(items), format, names[kind]);
    await audit(deps, req, { action: 'log.export', targetType: 'log', targetId: kind, detail: `${items.length} rows as ${format}` });
    return sendFile(reply, body, `${names[kind]}-${stamp(deps.clock.now())}`, format);
  }

  api.get(
    '/logs/user',
    {
      schema: {
        tags: ['logs'],
        summary: 'User log (login, views, config changes...); ?format=csv|xlsx exports',
        querystring: Type.Object({ ...Common, userId: Type.Optional(Type.String({ maxLength: 64 })), username: Type.Optional(Type.String({ maxLength: 64 })), action: Type.Optional(Type.String({ maxLength: 64 })), result: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('fail')])) }),
      },
    },
    (req, reply) => answer('user', req, reply, (all) => deps.store.logs.queryUser(norm(req.query), all)),
  );

  api.get(
    '/logs/device',
    {
      schema: {
        tags: ['logs'],
        summary: 'Device log (online/offline, register, errors)',
        querystring: Type.Object({ ...Common, deviceId: Type.Optional(Type.String({ maxLength: 20 })), event: Type.Optional(Type.String({ maxLength: 64 })), level: Type.Optional(Type.String({ maxLength: 10 })) }),
      },
    },
    (req, reply) => answer('device', req, reply, (all) => deps.store.logs.queryDevice(norm(req.query), all)),
  );

  api.get(
    '/logs/alarm',
    {
      schema: {
        tags: ['logs'],
        summary: 'Alarm log',
        querystring: Type.Object({ ...Common, deviceId: Type.Optional(Type.String({ maxLength: 20 })), type: Type.Optional(Type.String({ maxLength: 64 })) }),
      },
    },
    (req, reply) => answer('alarm', req, reply, (all) => deps.store.logs.queryAlarm(norm(req.query), all)),
  );

  api.get('/logs/user/verify', { schema: { tags: ['logs'], summary: 'Verify the hash chain of the user log (tamper evidence)' } }, async (req) => {
    assertPermission(principalOf(req), 'audit.verify');
    const r = await deps.store.logs.verifyUserChain();
    await audit(deps, req, { action: 'log.verify', targetType: 'log', targetId: 'user', detail: JSON.stringify(r), result: r.ok ? 'ok' : 'fail' });
    return r;
  });
}
