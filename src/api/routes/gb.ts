import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { encodePtz, type PtzCommand } from '../../lib/ptz/index.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';

const DIRECTIONS = ['left', 'right', 'up', 'down', 'upleft', 'upright', 'downleft', 'downright', 'zoomin', 'zoomout', 'stop', 'focusnear', 'focusfar', 'irisopen', 'irisclose', 'fistop'] as const;
type Direction = (typeof DIRECTIONS)[number];

/** REST action → PTZCmd (GB/T 28181-2016 §A.3); speed 1–255 (zoom uses its top 4 bits). */
export function ptzFor(action: Direction, speed: number): PtzCommand {
  const s = Math.max(1, Math.min(255, speed));
  switch (action) {
    case 'stop':
      return {};
    case 'zoomin':
    case 'zoomout':
      return { zoom: action === 'zoomin' ? 'in' : 'out', zoomSpeed: Math.max(1, s >> 4) };
    case 'focusnear':
    case 'focusfar':
      return { kind: 'fi', focus: action === 'focusnear' ? 'near' : 'far', focusSpeed: s };
    case 'irisopen':
    case 'irisclose':
      return { kind: 'fi', iris: action === 'irisopen' ? 'open' : 'close', irisSpeed: s };
    case 'fistop':
      return { kind: 'fi' };
    default: {
      const pan = action.includes('left') ? 'left' : action.includes('right') ? 'right' : undefined;
      const tilt = action.startsWith('up') ? 'up' : action.startsWith('down') ? 'down' : undefined;
      return { pan, tilt, panSpeed: pan ? s : 0, tiltSpeed: tilt ? s : 0 };
    }
  }
}

const DEVICE_COMMANDS = {
  teleboot: { TeleBoot: 'Boot' },
  record: { RecordCmd: 'Record' },
  stoprecord: { RecordCmd: 'StopRecord' },
  guard: { GuardCmd: 'SetGuard' },
  unguard: { GuardCmd: 'ResetGuard' },
  resetalarm: { AlarmCmd: 'ResetAlarm' },
  iframe: { IFameCmd: 'Send' },
} as const;

/** GB/T 28181 device operations: live queries, catalog refresh, PTZ, presets and device control (R3, R9). */
export async function gbRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const gb = () => {
    if (!deps.gb) throw new AppError('FEATURE_UNAVAILABLE', 'GB/T 28181 signalling is not running on this node');
    return deps.gb;
  };

  api.get('/gb/status', { schema: { tags: ['gb28181'], querystring: Type.Object({ reset: Type.Optional(Type.String()) }), summary: 'Signalling status: registrations, pending queries, SIP counters, event-loop delay (reset=1 restarts it)' } }, async (req) => {
    assertPermission(principalOf(req), 'device.view');
    const loop = deps.loop ? { maxMs: Math.round(deps.loop.max / 1e6), p99Ms: Math.round(deps.loop.percentile(99) / 1e6), meanMs: Math.round(deps.loop.mean / 1e6) } : undefined;
    if (deps.loop && (req.query as { reset?: string }).reset === '1') deps.loop.reset();
    return { ...gb().stats(), eventLoop: loop, rssMB: Math.round(process.memoryUsage().rss / 1048576) };
  });

  api.post('/devices/:id/catalog', { schema: { tags: ['gb28181'], params: IdParam, summary: 'Query the device catalog now and update the archive' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const d = await deps.access.visibleDevice(p, req.params.id);
    const r = await gb().refreshCatalog(d.id);
    await audit(deps, req, { action: 'device.catalog', targetType: 'device', targetId: d.id, detail: `${r.total} items` });
    return r;
  });

  for (const [path, cmd] of [
    ['info', 'DeviceInfo'],
    ['status', 'DeviceStatus'],
  ] as const) {
    api.get(`/devices/:id/${path}`, { schema: { tags: ['gb28181'], params: IdParam, summary: `${cmd} query, answered live by the device` } }, async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.view');
      const d = await deps.access.visibleDevice(p, req.params.id);
      return gb().queryBody(d.id, cmd);
    });
  }

  api.get(
    '/devices/:id/config',
    { schema: { tags: ['gb28181'], params: IdParam, querystring: Type.Object({ type: Type.Optional(Type.String({ pattern: '^[A-Za-z/]{1,100}$' })) }), summary: 'ConfigDownload (BasicParam, VideoParamOpt, …)' } },
    async (req) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      const d = await deps.access.visibleDevice(p, req.params.id);
      return gb().queryBody(d.id, 'ConfigDownload', { ConfigType: req.query.type ?? 'BasicParam' });
    },
  );

  api.post(
    '/devices/:id/control',
    {
      schema: {
        tags: ['gb28181'],
        params: IdParam,
        body: Type.Object({ command: Type.Union(Object.keys(DEVICE_COMMANDS).map((k) => Type.Literal(k))), channelId: Type.Optional(Type.String({ pattern: '^[0-9]{20}$' })) }, Closed),
        summary: 'Device control: reboot, record on/off, guard, alarm reset, key frame',
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'device.manage');
      const d = await deps.access.visibleDevice(p, req.params.id);
      const target = req.body.channelId ? (await deps.access.visibleChannel(p, req.body.channelId)).id : d.id;
      await gb().control(d.id, target, DEVICE_COMMANDS[req.body.command as keyof typeof DEVICE_COMMANDS]);
      await audit(deps, req, { action: `device.control.${req.body.command}`, targetType: 'device', targetId: target });
      return reply.status(204).send();
    },
  );

  api.post(
    '/channels/:id/ptz',
    {
      schema: {
        tags: ['gb28181'],
        params: IdParam,
        body: Type.Object({ action: Type.Union(DIRECTIONS.map((d) => Type.Literal(d))), speed: Type.Optional(Type.Integer({ minimum: 1, maximum: 255 })) }, Closed),
        summary: 'PTZ: 8 directions, zoom, focus, iris, stop',
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'ptz.control');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      if (ch.sourceType === 'onvif' && deps.onvif) {
        // ONVIF cameras: the same REST action as ContinuousMove / Stop (focus and iris are GB-only)
        if (/^(focus|iris|fistop)/.test(req.body.action)) throw new AppError('UNSUPPORTED_BY_DEVICE', `${req.body.action} is not offered for ONVIF cameras`);
        const done = await deps.onvif.ptz(ch, req.body.action, req.body.speed ?? 128);
        await audit(deps, req, { action: 'ptz', targetType: 'channel', targetId: ch.id, detail: `${req.body.action} ${done}` });
        return reply.status(204).send();
      }
      const cmd = encodePtz(ptzFor(req.body.action as Direction, req.body.speed ?? 128));
      await gb().control(ch.deviceId, ch.id, { PTZCmd: cmd, Info: { ControlPriority: 5 } });
      await audit(deps, req, { action: 'ptz', targetType: 'channel', targetId: ch.id, detail: `${req.body.action} ${cmd}` });
      return reply.status(204).send();
    },
  );

  api.get('/channels/:id/presets', { schema: { tags: ['gb28181'], params: IdParam, summary: 'PresetQuery' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'ptz.control');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    if (ch.sourceType === 'onvif' && deps.onvif) return (await deps.onvif.presets(ch)).map(({ index, name }) => ({ index, name }));
    const body = await gb().queryBody(ch.deviceId, 'PresetQuery', undefined, ch.id);
    const list = (body.PresetList as { Item?: { PresetID?: string; PresetName?: string }[] } | undefined)?.Item ?? [];
    return list.map((i) => ({ index: Number(i.PresetID), name: i.PresetName ?? '' }));
  });

  api.post(
    '/channels/:id/presets',
    {
      schema: {
        tags: ['gb28181'],
        params: IdParam,
        body: Type.Object({ action: Type.Union([Type.Literal('set'), Type.Literal('call'), Type.Literal('delete')]), index: Type.Integer({ minimum: 1, maximum: 255 }) }, Closed),
        summary: 'Preset set / call / delete',
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'ptz.control');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      if (ch.sourceType === 'onvif' && deps.onvif) await deps.onvif.preset(ch, req.body.action, req.body.index);
      else await gb().control(ch.deviceId, ch.id, { PTZCmd: encodePtz({ kind: 'preset', action: req.body.action, index: req.body.index }) });
      await audit(deps, req, { action: `ptz.preset.${req.body.action}`, targetType: 'channel', targetId: ch.id, detail: String(req.body.index) });
      return reply.status(204).send();
    },
  );

  api.post(
    '/channels/:id/cruise',
    {
      schema: {
        tags: ['gb28181'],
        params: IdParam,
        body: Type.Object(
          {
            action: Type.Union(['add', 'delete', 'speed', 'dwell', 'start', 'stop'].map((a) => Type.Literal(a))),
            group: Type.Integer({ minimum: 0, maximum: 255 }),
            preset: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
            speed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095 })),
            seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095 })),
          },
          Closed,
        ),
        summary: 'Cruise (巡航): add/delete point, speed, dwell, start; stop = PTZ stop (GB/T 28181-2016 §A.3.5)',
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'ptz.control');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      const b = req.body;
      const cmd: PtzCommand =
        b.action === 'stop'
          ? {}
          : b.action === 'add' || b.action === 'delete'
            ? { kind: 'cruise', action: b.action, group: b.group, preset: b.preset ?? 0 }
            : b.action === 'speed'
              ? { kind: 'cruise', action: 'speed', group: b.group, speed: b.speed ?? 0 }
              : b.action === 'dwell'
                ? { kind: 'cruise', action: 'dwell', group: b.group, seconds: b.seconds ?? 0 }
                : { kind: 'cruise', action: 'start', group: b.group };
      await gb().control(ch.deviceId, ch.id, { PTZCmd: encodePtz(cmd) });
      await audit(deps, req, { action: `ptz.cruise.${b.action}`, targetType: 'channel', targetId: ch.id, detail: JSON.stringify(b) });
      return reply.status(204).send();
    },
  );

  api.post(
    '/channels/:id/scan',
    {
      schema: {
        tags: ['gb28181'],
        params: IdParam,
        body: Type.Object(
          { action: Type.Union(['start', 'left', 'right', 'speed', 'stop'].map((a) => Type.Literal(a))), group: Type.Integer({ minimum: 0, maximum: 255 }), speed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4095 })) },
          Closed,
        ),
        summary: 'Auto scan (扫描): start, set left/right boundary, speed; stop = PTZ stop (§A.3.6)',
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'ptz.control');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      const b = req.body;
      const cmd: PtzCommand = b.action === 'stop' ? {} : b.action === 'speed' ? { kind: 'scan', action: 'speed', group: b.group, speed: b.speed ?? 0 } : { kind: 'scan', action: b.action, group: b.group };
      await gb().control(ch.deviceId, ch.id, { PTZCmd: encodePtz(cmd) });
      await audit(deps, req, { action: `ptz.scan.${b.action}`, targetType: 'channel', targetId: ch.id, detail: JSON.stringify(b) });
      return reply.status(204).send();
    },
  );

  api.post(
    '/channels/:id/home-position',
    { schema: { tags: ['gb28181'], params: IdParam, body: Type.Object({ enabled: Type.Boolean(), resetTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })), presetIndex: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })) }, Closed) } },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'ptz.control');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      await gb().control(ch.deviceId, ch.id, { HomePosition: { Enabled: req.body.enabled ? 1 : 0, ResetTime: req.body.resetTime ?? 0, PresetIndex: req.body.presetIndex ?? 0 } });
      await audit(deps, req, { action: 'ptz.home-position', targetType: 'channel', targetId: ch.id, detail: JSON.stringify(req.body) });
      return reply.status(204).send();
    },
  );

  api.post(
    '/channels/:id/drag-zoom',
    {
      schema: {
        tags: ['gb28181'],
        params: IdParam,
        body: Type.Object(
          { direction: Type.Union([Type.Literal('in'), Type.Literal('out')]), length: Type.Integer({ minimum: 1 }), width: Type.Integer({ minimum: 1 }), midPointX: Type.Integer({ minimum: 0 }), midPointY: Type.Integer({ minimum: 0 }), lengthX: Type.Integer({ minimum: 0 }), lengthY: Type.Integer({ minimum: 0 }) },
          Closed,
        ),
        summary: 'DragZoomIn / DragZoomOut (GB/T 28181-2016 §A.2.3)',
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      assertPermission(p, 'ptz.control');
      const ch = await deps.access.visibleChannel(p, req.params.id);
      const b = req.body;
      await gb().control(ch.deviceId, ch.id, { [b.direction === 'in' ? 'DragZoomIn' : 'DragZoomOut']: { Length: b.length, Width: b.width, MidPointX: b.midPointX, MidPointY: b.midPointY, LengthX: b.lengthX, LengthY: b.lengthY } });
      await audit(deps, req, { action: `ptz.dragzoom.${b.direction}`, targetType: 'channel', targetId: ch.id });
      return reply.status(204).send();
    },
  );
}
