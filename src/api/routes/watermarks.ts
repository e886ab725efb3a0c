import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { assertPermission } from '../../auth/access.js';
import { AppError } from '../../core/errors.js';
import { Watermarks } from '../../record/watermark.js';
import type { WatermarkKind } from '../../store/repos/watermark-policies.js';
import { audit, principalOf } from '../audit.js';
import type { ApiDeps } from '../context.js';
import { Closed, IdParam } from '../schemas.js';

const PolicyBody = Type.Object(
  {
    enabled: Type.Boolean({ description: 'burn the user name and the time into downloads and server snapshots' }),
    text: Type.Optional(Type.Union([Type.String({ maxLength: 60 }), Type.Null()], { description: 'an extra line under user and time, e.g. 内部资料 禁止外传' })),
  },
  Closed,
);

/**
 * Watermark policies (issue 8): per channel (`device.manage` on a visible channel) and per role (`role.manage`).
 * A download (`GET /channels/{id}/download`) or server snapshot is watermarked when the channel's policy or any
 * role of the user is enabled; watermarked downloads are transcoded by ffmpeg (slower, FEATURE_UNAVAILABLE without it).
 */
export async function watermarkRoutes(root: FastifyInstance, deps: ApiDeps): Promise<void> {
  const api = root.withTypeProvider<TypeBoxTypeProvider>();
  const watermarks = () => deps.recording?.watermarks ?? new Watermarks({ store: deps.store, clock: deps.clock, tz: deps.config.tz });
  const now = () => deps.clock.now().toISOString();
  const answer = async (kind: WatermarkKind, id: string) => (await deps.store.watermarks.get(kind, id)) ?? { kind, targetId: id, enabled: false, text: null, updatedAt: null, updatedBy: null };

  api.get('/watermark-policies', { schema: { tags: ['records'], summary: 'Every watermark policy (channels and roles)' } }, async (req) => {
    const p = principalOf(req);
    if (!p.permissions.has('role.manage')) assertPermission(p, 'device.manage');
    return { items: await deps.store.watermarks.list() };
  });

  api.get('/channels/:id/watermark', { schema: { tags: ['records'], params: IdParam, summary: 'The channel\'s watermark policy, and whether downloads and snapshots of it are watermarked for the caller' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.view');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    const mine = await watermarks().forUser(p, ch.id);
    return { ...(await answer('channel', ch.id)), effective: mine ? { watermarked: true, by: mine.by, lines: mine.spec.lines } : { watermarked: false } };
  });

  api.put('/channels/:id/watermark', { schema: { tags: ['records'], params: IdParam, body: PolicyBody, summary: 'Set the channel\'s watermark policy (everyone\'s downloads and server snapshots of it)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    await deps.store.watermarks.put({ kind: 'channel', targetId: ch.id, enabled: req.body.enabled, text: req.body.text?.trim() || null, updatedAt: now(), updatedBy: p.username });
    await audit(deps, req, { action: 'watermark.policy', targetType: 'channel', targetId: ch.id, detail: `${req.body.enabled ? 'on' : 'off'}${req.body.text ? ` "${req.body.text}"` : ''}` });
    return answer('channel', ch.id);
  });

  api.delete('/channels/:id/watermark', { schema: { tags: ['records'], params: IdParam, summary: 'Remove the channel\'s watermark policy' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'device.manage');
    const ch = await deps.access.visibleChannel(p, req.params.id);
    await deps.store.watermarks.delete('channel', ch.id);
    await audit(deps, req, { action: 'watermark.policy', targetType: 'channel', targetId: ch.id, detail: 'removed' });
    return reply.code(204).send();
  });

  api.get('/roles/:id/watermark', { schema: { tags: ['records'], params: IdParam, summary: 'The role\'s watermark policy' } }, async (req) => {
    assertPermission(principalOf(req), 'role.manage');
    if (!(await deps.store.roles.get(req.params.id))) throw new AppError('NOT_FOUND', `Role ${req.params.id} not found`);
    return answer('role', req.params.id);
  });

  api.put('/roles/:id/watermark', { schema: { tags: ['records'], params: IdParam, body: PolicyBody, summary: 'Set the role\'s watermark policy (its users\' downloads and server snapshots of every channel)' } }, async (req) => {
    const p = principalOf(req);
    assertPermission(p, 'role.manage');
    if (!(await deps.store.roles.get(req.params.id))) throw new AppError('NOT_FOUND', `Role ${req.params.id} not found`);
    await deps.store.watermarks.put({ kind: 'role', targetId: req.params.id, enabled: req.body.enabled, text: req.body.text?.trim() || null, updatedAt: now(), updatedBy: p.username });
    await audit(deps, req, { action: 'watermark.policy', targetType: 'role', targetId: req.params.id, detail: `${req.body.enabled ? 'on' : 'off'}${req.body.text ? ` "${req.body.text}"` : ''}` });
    return answer('role', req.params.id);
  });

  api.delete('/roles/:id/watermark', { schema: { tags: ['records'], params: IdParam, summary: 'Remove the role\'s watermark policy' } }, async (req, reply) => {
    const p = principalOf(req);
    assertPermission(p, 'role.manage');
    await deps.store.watermarks.delete('role', req.params.id);
    await audit(deps, req, { action: 'watermark.policy', targetType: 'role', targetId: req.params.id, detail: 'removed' });
    return reply.code(204).send();
  });
}
