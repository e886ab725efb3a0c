import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { parseAuthParams, verifyDigest } from '../../src/lib/sip/digest.js';

// A fake camera: answers the recorded bodies of test/fixtures/onvif/<vendor>/ and checks each request the way a
// camera does: POST, SOAP 1.2 content type whose action matches the operation in the Body and its service
// namespace, the operation sent to that service's address, and authentication — a WS-Security UsernameToken whose
// PasswordDigest matches the password, whose Created is within ±5 s of the camera's own (recorded, skewed) clock and
// whose Nonce was not seen before; or HTTP Digest (MD5, qop=auth).
export const FIXTURES = fileURLToPath(new URL('../fixtures/onvif/', import.meta.url));
export const USER = 'admin';
export const PASSWORD = 'Cam-pass.1';

export type Vendor = 'hikvision' | 'dahua';
export const SERVICE_NS: Record<string, string> = {
  GetSystemDateAndTime: 'http://www.onvif.org/ver10/device/wsdl',
  GetDeviceInformation: 'http://www.onvif.org/ver10/device/wsdl',
  GetCapabilities: 'http://www.onvif.org/ver10/device/wsdl',
  GetServices: 'http://www.onvif.org/ver10/device/wsdl',
  GetProfiles: 'http://www.onvif.org/ver10/media/wsdl',
  GetStreamUri: 'http://www.onvif.org/ver10/media/wsdl',
  GetSnapshotUri: 'http://www.onvif.org/ver10/media/wsdl',
  ContinuousMove: 'http://www.onvif.org/ver20/ptz/wsdl',
  Stop: 'http://www.onvif.org/ver20/ptz/wsdl',
  GetPresets: 'http://www.onvif.org/ver20/ptz/wsdl',
  GotoPreset: 'http://www.onvif.org/ver20/ptz/wsdl',
  SetPreset: 'http://www.onvif.org/ver20/ptz/wsdl',
  RemovePreset: 'http://www.onvif.org/ver20/ptz/wsdl',
};
export const PATHS: Record<Vendor, Record<string, string>> = {
  hikvision: { 'http://www.onvif.org/ver10/device/wsdl': '/onvif/device_service', 'http://www.onvif.org/ver10/media/wsdl': '/onvif/Media', 'http://www.onvif.org/ver20/ptz/wsdl': '/onvif/PTZ' },
  dahua: { 'http://www.onvif.org/ver10/device/wsdl': '/onvif/device_service', 'http://www.onvif.org/ver10/media/wsdl': '/onvif/media_service', 'http://www.onvif.org/ver20/ptz/wsdl': '/onvif/ptz_service' },
};
export const RECORDED_IP: Record<Vendor, string> = { hikvision: '192.168.1.64', dahua: '192.168.1.108' };
export const CHALLENGE: Record<Vendor, (nonce: string) => string> = {
  hikvision: (n) => `Digest qop="auth", realm="IP Camera(F31415)", nonce="${n}", stale="FALSE"`,
  dahua: (n) => `Digest realm="Login to 7K0A2F5PAZ27182", qop="auth", nonce="${n}", opaque="5a1e7c3b"`,
};

export interface Seen {
  op: string;
  path: string;
  wsse: boolean;
  httpAuth: boolean;
  authorization?: string;
  accepted: boolean;
  body: string;
  contentType: string;
}

export interface CameraOptions {
  vendor: Vendor;
  auth?: 'wsse' | 'digest' | 'digest-strict' | 'none';
  profiles?: string;
  /** op → fixture file name and status, replacing the default answer. */
  override?: Record<string, { file: string; status: number }>;
  /** Replace `http://<recorded ip>` in answers by our address (else the client rewrites addresses itself). */
  substituteHost?: boolean;
}

export const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true });

export function recordedClock(vendor: Vendor): number {
  const t = xmlParser.parse(readFileSync(`${FIXTURES}${vendor}/GetSystemDateAndTime.xml`, 'utf8')).Envelope.Body.GetSystemDateAndTimeResponse.SystemDateAndTime.UTCDateTime;
  return Date.UTC(t.Date.Year, t.Date.Month - 1, t.Date.Day, t.Time.Hour, t.Time.Minute, t.Time.Second);
}

export async function fakeCamera(t: TestContext, o: CameraOptions) {
  const auth = o.auth ?? 'wsse';
  const startedAt = Date.now();
  const clockAtStart = recordedClock(o.vendor);
  const cameraNow = () => clockAtStart + (Date.now() - startedAt);
  const nonces = new Set<string>();
  const httpNonces = new Set<string>();
  const seen: Seen[] = [];
  let port = 0;

  const file = (name: string) => {
    let text = readFileSync(`${FIXTURES}${o.vendor}/${name}`, 'utf8');
    if (o.substituteHost) text = text.split(`http://${RECORDED_IP[o.vendor]}`).join(`http://127.0.0.1:${port}`);
    return text;
  };

  const wsseValid = (xml: string): boolean => {
    const user = /<(?:\w+:)?Username>([^<]*)</.exec(xml)?.[1];
    const pw = /<(?:\w+:)?Password\s+Type="([^"]+)"\s*>([^<]*)</.exec(xml);
    const nonce = /<(?:\w+:)?Nonce[^>]*>([^<]*)</.exec(xml)?.[1];
    const created = /<(?:\w+:)?Created>([^<]*)</.exec(xml)?.[1];
    if (user !== USER || !pw || !nonce || !created) return false;
    if (!pw[1].endsWith('#PasswordDigest')) return false;
    const expected = createHash('sha1').update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created), Buffer.from(PASSWORD)])).digest('base64');
    if (expected !== pw[2]) return false;
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(created) || Math.abs(Date.parse(created) - cameraNow()) > 5000) return false;
    if (nonces.has(nonce)) return false; // replay
    nonces.add(nonce);
    return true;
  };

  const httpValid = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization;
    if (!h) return false;
    const { scheme, params } = parseAuthParams(h);
    return scheme === 'Digest' && httpNonces.has(params.nonce) && params.qop === 'auth' && params.username === USER && verifyDigest(params, 'POST', PASSWORD);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8', ...headers });
      res.end(text);
    };
    const ct = String(req.headers['content-type'] ?? '');
    const env = xmlParser.parse(raw)?.Envelope;
    const op = Object.keys(env?.Body ?? {}).find((k) => !k.startsWith('@_')) ?? '';
    const action = /^application\/soap\+xml;\s*charset=utf-8;\s*action="([^"]+)"$/i.exec(ct)?.[1];
    const rec: Seen = { op, path: req.url ?? '', wsse: raw.includes('UsernameToken'), httpAuth: req.headers.authorization !== undefined, authorization: req.headers.authorization, accepted: false, body: raw, contentType: ct };
    seen.push(rec);
    const ns = SERVICE_NS[op];
    if (req.method !== 'POST' || !ns || action !== `${ns}/${op}` || req.url !== PATHS[o.vendor][ns]) return send(400, 'bad request');
    // Authentication (GetSystemDateAndTime is pre-auth, ONVIF Core §5.9.4).
    if (op !== 'GetSystemDateAndTime' && auth !== 'none') {
      if (auth === 'wsse' && !wsseValid(raw)) return send(400, file('Fault-NotAuthorized.xml'));
      if (auth === 'digest' || auth === 'digest-strict') {
        if (!httpValid(req)) {
          const n = randomBytes(12).toString('hex');
          httpNonces.add(n);
          return send(401, '', { 'WWW-Authenticate': CHALLENGE[o.vendor](n) });
        }
        if (auth === 'digest-strict' && rec.wsse) return send(400, file('Fault-NotAuthorized.xml'));
      }
    }
    rec.accepted = true;
    const over = o.override?.[op];
    if (over) return send(over.status, file(over.file));
    const tok = /<(?:\w+:)?ProfileToken>([^<]*)</.exec(raw)?.[1];
    let name = op === 'GetProfiles' ? (o.profiles ?? 'GetProfiles.xml') : op === 'GetStreamUri' || op === 'GetSnapshotUri' ? `${op}-${tok}.xml` : `${op}.xml`;
    if (!existsSync(`${FIXTURES}${o.vendor}/${name}`)) name = o.vendor === 'hikvision' ? 'Fault-NoProfile.xml' : 'Fault-ActionNotSupported.xml';
    send(name.startsWith('Fault') ? 400 : 200, file(name));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  t.after(() => closeServer(server));
  return { port, seen, xaddr: `http://127.0.0.1:${port}/onvif/device_service`, cameraNow };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}
