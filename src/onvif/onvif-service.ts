import { randomInt } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secrets.js';
import type { Store } from '../store/index.js';
import type { Channel } from '../store/repos/channels.js';
import { ALL_CHANNELS } from '../store/scope.js';
import { OnvifClient } from './client.js';
import { toAppError } from './errors.js';
import { readInventory } from './inventory.js';
import { ptzVelocity } from './ptz-map.js';

export interface AddOnvifDevice {
  xaddr: string;
  username?: string;
  password?: string;
  /** 20-digit GB ID to give the device; minted in the platform's domain when absent */
  id?: string;
  name?: string;
  orgId?: string | null;
}

/**
 * ONVIF cameras as platform devices (R9): added by address and credentials, their video sources become channels
 * (main and sub profile RTSP URIs, pulled by the media node), and PTZ/presets from the same REST API as GB devices.
 */
export class OnvifService {
  constructor(private readonly deps: { store: Store; secrets: SecretBox; clock: Clock; log: Logger; domain: string }) {}

  private wrap<T>(p: Promise<T>): Promise<T> {
    return p.catch((e) => {
      throw toAppError(e);
    });
  }

  async add(req: AddOnvifDevice): Promise<{ deviceId: string; channels: Array<{ id: string; name: string; main: string; sub?: string; ptz: boolean }> }> {
    const client = new OnvifClient({ xaddr: req.xaddr, username: req.username, password: req.password });
    const inv = await this.wrap(readInventory(client));
    if (!inv.sources.length) throw new AppError('UNSUPPORTED_BY_DEVICE', 'The ONVIF device reports no video profile with an RTSP stream');
    const now = this.deps.clock.now().toISOString();
    const deviceId = req.id ?? (await this.mint('132'));
    if (await this.deps.store.devices.exists(deviceId)) throw new AppError('CONFLICT', `Device ${deviceId} already exists (设备编码已存在)`);
    const name = req.name ?? (`${inv.info.manufacturer} ${inv.info.model}`.trim() || req.xaddr);
    await this.deps.store.devices.create(
      deviceId,
      {
        name,
        manufacturer: inv.info.manufacturer || null,
        model: inv.info.model || null,
        firmware: inv.info.firmwareVersion || null,
        ip: new URL(req.xaddr).hostname,
        orgId: req.orgId ?? null,
        source: 'onvif',
        onvifXaddr: req.xaddr,
        onvifUsername: req.username ?? null,
        passwordSealed: req.password ? this.deps.secrets.seal(req.password) : null,
      },
      now,
    );
    const out = [];
    for (const [i, src] of inv.sources.entries()) {
      const id = await this.mint('131');
      const chName = inv.sources.length > 1 ? `${name} 通道${i + 1}` : name;
      await this.deps.store.channels.create(
        id,
        deviceId,
        {
          name: chName,
          orgId: req.orgId ?? null,
          manufacturer: inv.info.manufacturer || null,
          model: inv.info.model || null,
          sourceType: 'onvif',
          sourceUrl: withCredentials(src.main.streamUri, req.username, req.password),
          subSourceUrl: src.sub ? withCredentials(src.sub.streamUri, req.username, req.password) : null,
          onvifProfile: src.ptzProfileToken ?? src.main.profileToken,
          ptzType: src.ptz ? 1 : null,
        },
        now,
      );
      out.push({ id, name: chName, main: `${src.main.encoding} ${src.main.width}x${src.main.height}`, sub: src.sub ? `${src.sub.encoding} ${src.sub.width}x${src.sub.height}` : undefined, ptz: src.ptz });
    }
    this.deps.log.info({ deviceId, xaddr: req.xaddr, channels: out.length }, 'ONVIF device added');
    return { deviceId, channels: out };
  }

  /** A GB-style ID in the platform's domain (GB/T 28181-2016 Appendix D: domain 10 + type 3 + serial 7). */
  private async mint(type: '131' | '132'): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const id = `${this.deps.domain}${type}${String(9_000_000 + randomInt(1_000_000))}`;
      const taken = type === '132' ? await this.deps.store.devices.exists(id) : await this.deps.store.channels.exists(id);
      if (!taken) return id;
    }
    throw new AppError('CONFLICT', 'could not find a free ID; pass one');
  }

  private async clientFor(ch: Channel): Promise<{ client: OnvifClient; profile: string }> {
    const dev = await this.deps.store.devices.get(ch.deviceId, ALL_CHANNELS);
    if (!dev?.onvifXaddr) throw new AppError('UNSUPPORTED_BY_DEVICE', `Device ${ch.deviceId} is not an ONVIF device`);
    if (!ch.onvifProfile) throw new AppError('UNSUPPORTED_BY_DEVICE', `Channel ${ch.id} has no ONVIF profile`);
    const sealed = await this.deps.store.devices.passwordSealed(ch.deviceId);
    const client = new OnvifClient({ xaddr: dev.onvifXaddr, username: dev.onvifUsername ?? undefined, password: sealed ? this.deps.secrets.open(sealed) : undefined });
    return { client, profile: ch.onvifProfile };
  }

  /** The GB PTZ REST action (direction + speed 1–255) as ContinuousMove / Stop. */
  async ptz(ch: Channel, action: string, speed: number): Promise<string> {
    const { client, profile } = await this.clientFor(ch);
    const v = ptzVelocity(action, speed);
    if (v === 'stop') await this.wrap(client.ptzStop(profile));
    else await this.wrap(client.ptzContinuousMove(profile, v));
    return v === 'stop' ? 'Stop' : `ContinuousMove x=${v.x} y=${v.y} zoom=${v.zoom}`;
  }

  async presets(ch: Channel): Promise<Array<{ index: number; name: string; token: string }>> {
    const { client, profile } = await this.clientFor(ch);
    const list = await this.wrap(client.getPresets(profile));
    return list.map((p, i) => ({ index: /^\d+$/.test(p.token) ? Number(p.token) : i + 1, name: p.name, token: p.token }));
  }

  /** Presets by number, as GB devices number them: the ONVIF token is the number where the device allows it. */
  async preset(ch: Channel, action: 'set' | 'call' | 'delete', index: number): Promise<void> {
    const { client, profile } = await this.clientFor(ch);
    const existing = await this.wrap(client.getPresets(profile));
    const token = existing.find((p) => p.token === String(index))?.token ?? existing[index - 1]?.token;
    if (action === 'set') {
      await this.wrap(client.setPreset(profile, `预置点${index}`, token));
      return;
    }
    if (!token) throw new AppError('NOT_FOUND', `Preset ${index} does not exist on the camera`);
    if (action === 'call') await this.wrap(client.gotoPreset(profile, token));
    else await this.wrap(client.removePreset(profile, token));
  }
}

function withCredentials(uri: string, user?: string, pass?: string): string {
  if (!user) return uri;
  try {
    const u = new URL(uri);
    if (u.username) return uri;
    u.username = encodeURIComponent(user);
    u.password = encodeURIComponent(pass ?? '');
    return u.toString();
  } catch {
    return uri;
  }
}
