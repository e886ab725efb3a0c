import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for the bureau's portrait and vehicle clouds, written from seed appendices 1 and 2 (not from our server
 * code): digest in front of authenticate (lpt/lpt123), appIdentityKey valid for `keyTtlMs`, EC000–EC003, timing on
 * its own clock, and saveImageData that records what arrived. It can go down (stop/start on the same port), lose
 * answers (record the capture, then cut the connection), forget its keys, and refuse unknown devices.
 */
export interface Received {
  kind: 'face' | 'car';
  gate: string;
  /** sha1 over the image contents only (the same capture re-sent hashes the same) */
  hash: string;
  gcjlid: string | null;
  deviceTime: string | null;
  localTime: string | null;
  locationName: string | null;
  faces: number;
  /** the answer reached the client (false: connection cut, or the server stopped meanwhile) */
  answered: boolean;
  at: number;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function localTime(ms: number, compact: boolean): string {
  const d = new Date(ms + 8 * 3600_000); // China time, no DST
  const p = (n: number) => String(n).padStart(2, '0');
  const [y, mo, da, h, mi, s] = [d.getUTCFullYear(), p(d.getUTCMonth() + 1), p(d.getUTCDate()), p(d.getUTCHours()), p(d.getUTCMinutes()), p(d.getUTCSeconds())];
  return compact ? `${y}${mo}${da}${h}${mi}${s}` : `${y}-${mo}-${da} ${h}:${mi}:${s}`;
}

export class TestBureau {
  readonly received: Received[] = [];
  readonly log: string[] = [];
  authentications = 0;
  keepAlives = 0;
  /** the next N saveImageData are recorded and their connection cut before the answer */
  loseAnswers = 0;
  /** answers are held this long (a slow bureau) */
  delayMs = 0;
  /** devices the bureau knows; undefined = all */
  knownDevices: Set<string> | undefined;
  /** bureau clock minus real time */
  clockOffsetMs = 0;
  keyTtlMs = 24 * 3600_000;
  port = 0;
  private keys = new Map<string, { subject: string; kind: string; at: number }>();
  private nonces = new Set<string>();
  private server: http.Server | undefined;
  private sockets = new Set<Socket>();

  constructor(
    private readonly user = 'lpt',
    private readonly password = 'lpt123',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/redis/rest`;
  }

  async start(port = this.port): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Down: the port stops answering; requests in flight lose their answers. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** The bureau restarted and forgot every key (clients get EC003). */
  forgetKeys(): void {
    this.keys.clear();
  }

  private async body(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('json')) return JSON.parse(text);
    return Object.fromEntries(new URLSearchParams(text));
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private fail(res: http.ServerResponse, op: string, code: string, status = 200): void {
    this.send(res, status, { success: false, result: { errorCode: code, serviceName: op }, message: code });
  }

  private digestOk(h: string | undefined, method: string): boolean {
    if (!h?.startsWith('Digest ')) return false;
    const p: Record<string, string> = {};
    for (const m of h.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) p[m[1]] = m[2] ?? m[3];
    if (p.username !== this.user || !this.nonces.has(p.nonce)) return false;
    const ha1 = md5(`${this.user}:bureau:${this.password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const want = p.qop ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
    return want === p.response;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const m = /^\/redis\/rest\/(face|car)\/(\w+)\.json/.exec(req.url ?? '');
    if (!m) return this.send(res, 404, { success: false, message: 'no such service' });
    const [, kind, op] = m;
    const p = req.method === 'POST' ? await this.body(req) : {};
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.log.push(`${kind}/${op}`);
    const now = Date.now() + this.clockOffsetMs;
    if (op === 'timing') return this.send(res, 200, { success: true, result: { systemTime: localTime(now, false) } });
    if (op === 'authenticate') {
      if (!this.digestOk(req.headers.authorization, 'POST')) {
        const nonce = randomBytes(8).toString('hex');
        this.nonces.add(nonce);
        return this.send(res, 401, { success: false, message: 'digest' }, { 'www-authenticate': `Digest realm="bureau", nonce="${nonce}", qop="auth", algorithm=MD5` });
      }
      const subject = String(p.nodeID ?? p.deviceID ?? p.gbid ?? '');
      if (this.knownDevices && subject && !this.knownDevices.has(subject) && !p.nodeID) return this.fail(res, op, 'EC000');
      const key = randomBytes(8).toString('hex');
      this.keys.set(key, { subject, kind, at: Date.now() });
      this.authentications++;
      return this.send(res, 200, { success: true, result: { serviceName: 'authenticate', appIdentityKey: key } });
    }
    const k = this.keys.get(String(p.appIdentityKey ?? ''));
    if (!p.appIdentityKey) return this.fail(res, op, 'EC001');
    if (!k || k.kind !== kind) return this.fail(res, op, 'EC003');
    if (Date.now() - k.at > this.keyTtlMs) return this.fail(res, op, 'EC002');
    if (op === 'keepAlive') {
      this.keepAlives++;
      return this.send(res, 200, { success: true, result: { serviceName: 'keepAlive' } });
    }
    if (op === 'unregister') {
      this.keys.delete(String(p.appIdentityKey));
      return this.send(res, 200, { success: true, result: { serviceName: 'unregister' } });
    }
    if (op !== 'saveImageData') return this.fail(res, op, 'EC001');
    const gate = String(p.imageGateTagCode ?? '');
    if (this.knownDevices && !this.knownDevices.has(gate)) return this.fail(res, op, 'EC000');
    const j = JSON.parse(String(p.imageJsonData)) as Record<string, any>;
    const h = createHash('sha1');
    const contents: string[] = [];
    if (kind === 'face') {
      for (const f of j.faceImages ?? []) contents.push(f.content);
      if (j.backgroundImage) contents.push(j.backgroundImage.content);
    } else {
      for (const role of ['zpcltp', 'zpcptp', 'zpcjt', 'zpjsytp']) {
        const v = j[role];
        for (const x of Array.isArray(v) ? v : v ? [v] : []) contents.push(x.content);
      }
    }
    for (const c of contents) h.update(String(c));
    const rec: Received = {
      kind: kind as 'face' | 'car',
      gate,
      hash: h.digest('hex'),
      gcjlid: j.gcjlid ?? null,
      deviceTime: j.deviceTime ?? j.gcsj ?? null,
      localTime: j.localTime ?? null,
      locationName: j.locationName ?? null,
      faces: (j.faceImages ?? []).length,
      answered: false,
      at: Date.now(),
    };
    this.received.push(rec);
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      req.socket.destroy();
      return;
    }
    res.on('finish', () => (rec.answered = true));
    return this.send(res, 200, { success: true, result: { serviceName: 'saveImageData' } });
  }

  /** Bureau time now, `YYYYMMDDhhmmss` (to compare localTime with). */
  nowCompact(): string {
    return localTime(Date.now() + this.clockOffsetMs, true);
  }
}
