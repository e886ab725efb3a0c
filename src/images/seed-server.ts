import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { ArchiveLookup } from './archive-lookup.js';
import type { ImageIngest } from './ingest.js';
import type { SeedDigest, SeedKeys } from './seed-auth.js';
import { SeedError, failBody, okBody, parseSeedTime, seedDateTime, statusOf, type SeedErrorCode, type SeedKind, type SeedOp } from './seed-protocol.js';
import { readImageJson, text } from './seed-parse.js';

/** One call of a served seed interface, whatever HTTP shape it came in (form, multipart, JSON, query). */
export interface SeedCall {
  kind: SeedKind;
  op: SeedOp;
  method: string;
  /** request URI (the digest covers it) */
  uri: string;
  authorization?: string;
  params: Record<string, unknown>;
  remote: string | null;
}

export interface SeedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A device or node that talks to us through the seed interfaces, as last seen (console and status API). */
export interface SeedClient {
  kind: SeedKind;
  id: string;
  remote: string | null;
  authenticatedAt: string | null;
  lastKeepAlive: string | null;
  /** statusSendTime of the last keepAlive minus our clock, ms (the device clock's error) */
  clockSkewMs: number | null;
  lastSave: string | null;
  saved: number;
}

type Authorized = { subjectType: 'device' | 'node' | 'any'; subject: string; hash: string | null };

/**
 * The served side of seed appendices 1 and 2: authenticate (after HTTP digest) issues a 24-hour appIdentityKey;
 * keepAlive, saveImageData and unregister need that key (or digest credentials); timing needs nothing. Failures are
 * answered in the seed's body with EC000–EC003 (and our EC004–EC006 for bad input and storage failures).
 */
export class SeedServer {
  private readonly clients = new Map<string, SeedClient>();

  constructor(
    private readonly o: {
      keys: SeedKeys;
      digest: SeedDigest;
      archive: ArchiveLookup;
      ingest: ImageIngest;
      clock: Clock;
      tz: string;
      log: Logger;
    },
  ) {}

  /** Devices/nodes seen recently, newest first. */
  seen(): SeedClient[] {
    return [...this.clients.values()].sort((a, b) => String(b.lastSave ?? b.lastKeepAlive ?? b.authenticatedAt).localeCompare(String(a.lastSave ?? a.lastKeepAlive ?? a.authenticatedAt)));
  }

  private client(kind: SeedKind, id: string, remote: string | null): SeedClient {
    const k = `${kind}:${id}`;
    let c = this.clients.get(k);
    if (!c) {
      if (this.clients.size > 20_000) this.clients.clear();
      c = { kind, id, remote, authenticatedAt: null, lastKeepAlive: null, clockSkewMs: null, lastSave: null, saved: 0 };
      this.clients.set(k, c);
    }
    c.remote = remote ?? c.remote;
    return c;
  }

  async handle(c: SeedCall): Promise<SeedAnswer> {
    const params = lowerKeys(c.params);
    const p = (name: string): string | null => {
      const v = params.get(name.toLowerCase());
      if (v === undefined || v === null) return null;
      const s = (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '').trim();
      return s || null;
    };
    try {
      switch (c.op) {
        case 'timing':
          return this.ok(c.op, { systemTime: seedDateTime(this.o.clock.now(), this.o.tz) });
        case 'authenticate':
          return await this.authenticate(c, p);
        default: {
          const auth = await this.authorize(c, p);
          if (c.op === 'keepAlive') return await this.keepAlive(c, p, auth);
          if (c.op === 'unregister') return await this.unregister(c, p, auth);
          return await this.save(c, p, params, auth);
        }
      }
    } catch (e) {
      if (e instanceof SeedError) return this.fail(c, e.code, e.message);
      this.o.log.error({ err: e, op: c.op, kind: c.kind }, 'seed interface call failed');
      return this.fail(c, 'EC006', 'internal error (服务器内部错误)');
    }
  }

  private ok(op: SeedOp, extra: Record<string, unknown> = {}): SeedAnswer {
    return { status: 200, headers: {}, body: okBody(op, extra) };
  }

  /** Failure in the seed's body. EC001 is a 401 with a digest challenge, so a digest-capable client can just retry. */
  fail(c: Pick<SeedCall, 'op' | 'kind'>, code: SeedErrorCode, message: string, stale = false): SeedAnswer {
    this.o.ingest.refused(code);
    const headers: Record<string, string> = code === 'EC001' ? { 'www-authenticate': this.o.digest.challenge(stale) } : {};
    return { status: statusOf(code), headers, body: failBody(c.op, code, message) };
  }

  private digestOf(c: SeedCall): { ok: true } | { ok: false; stale: boolean; reason: string } {
    return this.o.digest.verify(c.authorization, c.method, c.uri);
  }

  private async authenticate(c: SeedCall, p: (n: string) => string | null): Promise<SeedAnswer> {
    const d = this.digestOf(c);
    if (!d.ok) return this.fail(c, 'EC001', `digest authentication required: ${d.reason} (需要先进行摘要认证)`, d.stale);
    // face: deviceID or nodeID (both given: the node); car: gbid (optional)
    const node = c.kind === 'face' ? p('nodeID') : null;
    const device = c.kind === 'face' ? p('deviceID') : (p('gbid') ?? p('deviceID'));
    const subject = node ?? device;
    if (subject && !(await this.o.archive.place(subject))) throw new SeedError('EC000', `${subject} is not registered with the platform (设备未注册)`);
    const { key } = await this.o.keys.issue(c.kind, node ? 'node' : device ? 'device' : 'any', subject ?? '', c.remote);
    if (subject) this.client(c.kind, subject, c.remote).authenticatedAt = this.o.clock.now().toISOString();
    return this.ok('authenticate', { appIdentityKey: key });
  }

  /** appIdentityKey, or (accepted too) valid digest credentials on the call itself. */
  private async authorize(c: SeedCall, p: (n: string) => string | null): Promise<Authorized> {
    const key = p('appIdentityKey');
    if (key) {
      const k = await this.o.keys.check(c.kind, key);
      return { subjectType: k.subjectType, subject: k.subject, hash: k.hash };
    }
    if (c.authorization) {
      const d = this.digestOf(c);
      if (d.ok) return { subjectType: 'any', subject: '', hash: null };
      throw new SeedError('EC001', `digest authentication failed: ${d.reason} (摘要认证失败)`);
    }
    throw new SeedError('EC001', 'appIdentityKey missing: call authenticate first (接口服务未认证)');
  }

  /** The device of a keepAlive/unregister must be archived and, for a device key, be that device. */
  private async checkDevice(id: string, auth: Authorized): Promise<void> {
    if (!(await this.o.archive.place(id))) throw new SeedError('EC000', `${id} is not registered with the platform (设备未注册)`);
    if (auth.subjectType === 'device' && !(await this.o.archive.related(auth.subject, id))) {
      throw new SeedError('EC003', `appIdentityKey was issued to ${auth.subject}, not ${id} (认证无效)`);
    }
  }

  private async keepAlive(c: SeedCall, p: (n: string) => string | null, auth: Authorized): Promise<SeedAnswer> {
    const id = (c.kind === 'face' ? (p('deviceID') ?? p('nodeID')) : (p('gbid') ?? p('deviceID'))) ?? (auth.subject || null);
    if (!id) throw new SeedError('EC004', `${c.kind === 'face' ? 'deviceID' : 'gbid'} missing (缺少设备 ID)`);
    if (!(auth.subjectType === 'node' && auth.subject === id)) await this.checkDevice(id, auth);
    const cl = this.client(c.kind, id, c.remote);
    const now = this.o.clock.now();
    cl.lastKeepAlive = now.toISOString();
    const sent = parseSeedTime(p('statusSendTime'), this.o.tz);
    cl.clockSkewMs = Number.isFinite(sent) ? sent - now.getTime() : null;
    return this.ok('keepAlive');
  }

  private async unregister(c: SeedCall, p: (n: string) => string | null, auth: Authorized): Promise<SeedAnswer> {
    // face: both given → the node's authentication is removed
    const id = c.kind === 'face' ? (p('nodeID') ?? p('deviceID')) : (p('gbid') ?? p('deviceID'));
    if (id && !(auth.subjectType === 'node' && auth.subject === id)) await this.checkDevice(id, auth);
    await this.o.keys.revoke(c.kind, auth.hash ? { hash: auth.hash, subject: auth.subject, subjectType: auth.subjectType } : null, id);
    return this.ok('unregister');
  }

  private async save(c: SeedCall, p: (n: string) => string | null, params: Map<string, unknown>, auth: Authorized): Promise<SeedAnswer> {
    const raw = params.get('imagejsondata');
    let json: Record<string, unknown> | null = null;
    let gate = p('imageGateTagCode');
    if (!gate) {
      // leniently, the device ID inside the JSON stands in for a missing imageGateTagCode
      json = readImageJson(raw);
      gate = text(c.kind === 'face' ? json.deviceID : json.gbid, 64);
    }
    if (!gate) throw new SeedError('EC004', 'imageGateTagCode missing (缺少设备编码 imageGateTagCode)');
    if (!(await this.o.archive.place(gate))) throw new SeedError('EC000', `${gate} is not registered with the platform (设备未注册)`);
    if (auth.subjectType === 'device' && !(await this.o.archive.related(auth.subject, gate))) {
      throw new SeedError('EC003', `appIdentityKey was issued to ${auth.subject}, not ${gate} (认证无效)`);
    }
    json ??= readImageJson(raw);
    const r = c.kind === 'face' ? await this.o.ingest.saveFace(gate, p('nodeID'), json) : await this.o.ingest.saveVehicle(gate, json);
    const cl = this.client(c.kind, gate, c.remote);
    cl.lastSave = this.o.clock.now().toISOString();
    if (!r.duplicate) cl.saved++;
    return this.ok('saveImageData');
  }
}

/** Parameter names are matched without case and surrounding spaces (`deviceId`, `"statusSendTime "`). */
function lowerKeys(o: Record<string, unknown>): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o ?? {})) m.set(k.trim().toLowerCase(), Array.isArray(v) && typeof v[0] === 'string' ? v[0] : v);
  return m;
}
