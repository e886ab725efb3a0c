import { createHash, randomBytes } from 'node:crypto';

/**
 * A client of the face and vehicle image interfaces written from the seed's tables alone (appendix 1
 * 人像云平台人脸图片入库接口, appendix 2 车辆图片入库接口), not from the server code: it shares nothing with src/.
 *   POST .../authenticate.json  after HTTP digest (lpt/lpt123)      → result.appIdentityKey
 *   POST .../keepAlive.json     deviceID|gbid, appIdentityKey, statusSendTime "yyyy-mm-dd HH:MM:SS"
 *   GET  .../timing.json                                            → result.systemTime
 *   POST .../saveImageData.json imageGateTagCode, appIdentityKey, imageJsonData (a JSON string) [, nodeID]
 *   POST .../unregister.json    deviceID|gbid [, nodeID], appIdentityKey
 */
export type Encoding = 'form' | 'json' | 'multipart';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function challengeParams(h: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of h.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}

/** RFC 2617 digest answer (MD5, qop=auth when offered). */
export function digestHeader(challenge: string, user: string, password: string, method: string, uri: string, nc = 1): string {
  const c = challengeParams(challenge);
  const ha1 = md5(`${user}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  if (c.qop) {
    const ncs = nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = md5(`${ha1}:${c.nonce}:${ncs}:${cnonce}:auth:${ha2}`);
    return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", qop=auth, nc=${ncs}, cnonce="${cnonce}", response="${response}", algorithm=MD5`;
  }
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${md5(`${ha1}:${c.nonce}:${ha2}`)}"`;
}

export function encodeBody(params: Record<string, string>, enc: Encoding): { headers: Record<string, string>; body: string | FormData } {
  if (enc === 'json') return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) };
  if (enc === 'multipart') {
    const fd = new FormData();
    for (const [k, v] of Object.entries(params)) fd.append(k, v);
    return { headers: {}, body: fd };
  }
  // form fields: URLSearchParams percent-encodes '+' in base64 (the seed's remark)
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() };
}

export class SeedTestClient {
  constructor(
    private readonly base: string,
    readonly kind: 'face' | 'car',
    private readonly opts: { user?: string; password?: string; encoding?: Encoding } = {},
  ) {}

  path(op: string): string {
    return `/redis/rest/${this.kind}/${op}.json`;
  }

  async raw(method: string, op: string, init: { headers?: Record<string, string>; body?: string | FormData } = {}): Promise<Answer> {
    const res = await fetch(`${this.base}${this.path(op)}`, { method, headers: init.headers, body: init.body });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body };
  }

  async post(op: string, params: Record<string, string>, extraHeaders: Record<string, string> = {}, enc = this.opts.encoding ?? 'form'): Promise<Answer> {
    const { headers, body } = encodeBody(params, enc);
    return this.raw('POST', op, { headers: { ...headers, ...extraHeaders }, body });
  }

  /** Digest first (401 challenge, then credentials), as the seed's remark asks. */
  async authenticate(params: Record<string, string>, password = this.opts.password ?? 'lpt123', user = this.opts.user ?? 'lpt'): Promise<Answer> {
    const first = await this.post('authenticate', params);
    if (first.status !== 401) return first;
    const challenge = first.headers.get('www-authenticate') ?? '';
    return this.post('authenticate', params, { authorization: digestHeader(challenge, user, password, 'POST', this.path('authenticate')) });
  }

  async key(params: Record<string, string>): Promise<string> {
    const a = await this.authenticate(params);
    if (a.body?.success !== true) throw new Error(`authenticate failed: ${a.status} ${JSON.stringify(a.body)}`);
    return a.body.result.appIdentityKey;
  }

  timing(): Promise<Answer> {
    return this.raw('GET', 'timing');
  }
}

/** A picture-like payload: JPEG markers around random bytes (the interface stores images, it does not decode them). */
export function fakeJpeg(size: number, seed = randomBytes(4).readUInt32BE(0)): Buffer {
  const b = randomBytes(Math.max(size, 8));
  b[0] = 0xff;
  b[1] = 0xd8;
  b[2] = 0xff;
  b.writeUInt32BE(seed >>> 0, 3);
  b[b.length - 2] = 0xff;
  b[b.length - 1] = 0xd9;
  return b;
}

/** imageJsonData of a face capture as appendix 1 draws it. */
export function faceJson(deviceID: string, faces: Buffer[], background: Buffer | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deviceID,
    localTime: '20261125100000',
    deviceTime: '20261125095959',
    locationName: '环岛路',
    resolutionRatio: '1920X1080',
    longitude: '118.13',
    latitude: '24.47',
    qualityGrane: '1',
    faceImages: faces.map((f, i) => ({ type: 'jpg', content: f.toString('base64'), facePos: { leftTopX: 10 + i * 100, leftTopY: 20, rightBottomX: 90 + i * 100, rightBottomY: 120 } })),
    ...(background ? { backgroundImage: { type: 'jpg', content: background.toString('base64'), width: 1920, height: 1080 } } : {}),
    ...extra,
  };
}

/** imageJsonData of a vehicle pass as appendix 2 draws it. */
export function carJson(gbid: string, gcjlid: string, plate: string, vehicle: Buffer | Buffer[], plateImage?: Buffer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const img = (b: Buffer) => ({ content: b.toString('base64'), fileSize: String(b.length), pos: { leftTopX: 0, leftTopY: 0, rightBottomX: 100, rightBottomY: 100 } });
  return {
    gcjlid,
    gbid,
    sbmc: '环岛路卡口',
    gcsj: '2026-11-25 09:58:00',
    cphm: plate,
    cpys: '蓝',
    cpzl: '02',
    csys: '白',
    clbs: '大众',
    xflx: '桑塔纳3000',
    cllx: 'K33',
    xsfx: '东向西',
    localTime: '20261125100000',
    longitude: '118.13',
    latitude: '24.47',
    imageType: 'jpg',
    zpcltp: Array.isArray(vehicle) ? vehicle.map(img) : img(vehicle),
    ...(plateImage ? { zpcptp: img(plateImage) } : {}),
    ...extra,
  };
}
