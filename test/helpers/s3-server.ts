/**
 * A minimal S3-compatible server for tests (issue 8), written here rather than taken from npm: the maintained-looking
 * package (s3rver 3.7.1) was last released in 2021 and pulls in koa, winston and busboy 0.3; what the platform needs
 * of S3 is small and this double lets a test stop and restart the endpoint, count requests and lose objects on purpose.
 *
 * What it does: path-style requests (`/<bucket>/<key>`); PUT object (Content-MD5 checked, ETag = MD5 of the body);
 * GET object with `Range: bytes=a-b` (206 + Content-Range) and `If-Match`; HEAD; DELETE object; POST `?delete`
 * (DeleteObjects, XML); S3-style XML errors (NoSuchKey, NoSuchBucket, BadDigest, SignatureDoesNotMatch…).
 *
 * AWS Signature V4 IS verified (header form: canonical request, string to sign, HMAC key chain, and the body's
 * SHA-256 against x-amz-content-sha256 unless UNSIGNED-PAYLOAD), with the one key pair it is given, so a client
 * signing wrongly or with the wrong secret gets 403 as from real S3. Not done: presigned URLs, multipart uploads,
 * aws-chunked streaming signatures (answered 501), virtual-host-style addressing, listing, versioning.
 * Objects are kept in memory.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Object {
  body: Buffer;
  etag: string;
  contentType?: string;
}

export interface S3Request {
  method: string;
  key: string;
  range?: string;
  status: number;
  /** body bytes sent (GET) or received (PUT) */
  bytes: number;
}

export class TestS3Server {
  readonly buckets = new Map<string, Map<string, S3Object>>();
  readonly requests: S3Request[] = [];
  private server?: Server;
  port = 0;

  constructor(
    readonly accessKeyId = 'TESTACCESSKEY',
    readonly secretAccessKey = 'testsecretkey0123456789',
    readonly region = 'us-east-1',
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  createBucket(name: string): Map<string, S3Object> {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  objects(bucket: string): Map<string, S3Object> {
    return this.createBucket(bucket);
  }

  /** Listens (again, on the same port after a stop when `port` was set). */
  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** The endpoint goes down: new connections are refused, open keep-alive connections are cut. Objects stay. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const [, bucketName, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const log = (status: number, bytes = 0) => this.requests.push({ method: req.method ?? '', key, range: req.headers.range, status, bytes });
    const fail = (status: number, code: string, message: string) => {
      log(status);
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><Resource>${url.pathname}</Resource></Error>`;
      res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': req.method === 'HEAD' ? '0' : String(Buffer.byteLength(xml)) });
      res.end(req.method === 'HEAD' ? undefined : xml);
    };
    const auth = this.verifySignature(req, url, body);
    if (auth) return fail(auth.status, auth.code, auth.message);
    const bucket = this.buckets.get(decodeURIComponent(bucketName ?? ''));
    if (!bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');

    if (req.method === 'POST' && url.searchParams.has('delete')) {
      const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unxml(m[1]));
      for (const k of keys) bucket.delete(k);
      const quiet = /<Quiet>true<\/Quiet>/.test(body.toString('utf8'));
      const xml = `<?xml version="1.0" encoding="UTF-8"?><DeleteResult>${quiet ? '' : keys.map((k) => `<Deleted><Key>${k}</Key></Deleted>`).join('')}</DeleteResult>`;
      log(200);
      res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(xml)) });
      return void res.end(xml);
    }
    if (!key) return fail(400, 'InvalidRequest', 'bucket operations other than DeleteObjects are not implemented');
    switch (req.method) {
      case 'PUT': {
        const md5 = req.headers['content-md5'];
        const digest = createHash('md5').update(body);
        const hex = digest.copy().digest('hex');
        if (md5 && digest.digest('base64') !== md5) return fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
        bucket.set(key, { body, etag: hex, contentType: req.headers['content-type'] });
        log(200, body.length);
        res.writeHead(200, { ETag: `"${hex}"`, 'Content-Length': '0' });
        return void res.end();
      }
      case 'GET':
      case 'HEAD': {
        const o = bucket.get(key);
        if (!o) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
        const ifMatch = req.headers['if-match'];
        if (ifMatch && ifMatch.replace(/"/g, '') !== o.etag) return fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        const headers: Record<string, string> = { ETag: `"${o.etag}"`, 'Accept-Ranges': 'bytes', 'Content-Type': o.contentType ?? 'application/octet-stream' };
        let status = 200;
        let out = o.body;
        const m = req.method === 'GET' && req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
        if (m) {
          const start = Number(m[1]);
          const end = Math.min(m[2] ? Number(m[2]) : o.body.length - 1, o.body.length - 1);
          if (start >= o.body.length || end < start) return fail(416, 'InvalidRange', 'The requested range is not satisfiable');
          out = o.body.subarray(start, end + 1);
          status = 206;
          headers['Content-Range'] = `bytes ${start}-${end}/${o.body.length}`;
        }
        headers['Content-Length'] = String(out.length);
        log(status, req.method === 'GET' ? out.length : 0);
        res.writeHead(status, headers);
        return void res.end(req.method === 'HEAD' ? undefined : out);
      }
      case 'DELETE':
        bucket.delete(key);
        log(204);
        res.writeHead(204);
        return void res.end();
      default:
        return fail(405, 'MethodNotAllowed', `${req.method} is not implemented`);
    }
  }

  /** AWS Signature Version 4 (Authorization header); undefined when it holds. */
  private verifySignature(req: IncomingMessage, url: URL, body: Buffer): { status: number; code: string; message: string } | undefined {
    const h = req.headers.authorization ?? '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(h);
    if (!m) return { status: 403, code: 'AccessDenied', message: 'Signature Version 4 Authorization header required' };
    const [, akid, date, region, signed, signature] = m;
    if (akid !== this.accessKeyId) return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
    if (region !== this.region) return { status: 400, code: 'AuthorizationHeaderMalformed', message: `region ${region} is wrong; expecting ${this.region}` };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(date)) return { status: 403, code: 'AccessDenied', message: 'x-amz-date does not match the credential date' };
    const payload = String(req.headers['x-amz-content-sha256'] ?? '');
    if (payload.startsWith('STREAMING-')) return { status: 501, code: 'NotImplemented', message: 'aws-chunked uploads are not implemented by this test server' };
    if (payload !== 'UNSIGNED-PAYLOAD' && payload !== createHash('sha256').update(body).digest('hex')) return { status: 400, code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
    const names = signed.split(';');
    const canonicalHeaders = names.map((n) => `${n}:${headerValue(req, n)}\n`).join('');
    const query = [...url.searchParams.entries()].map(([k, v]) => [enc(k), enc(v)] as const).sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
    const canonical = [req.method, url.pathname, query.map(([k, v]) => `${k}=${v}`).join('&'), canonicalHeaders, signed, payload].join('\n');
    const scope = `${date}/${region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
    let k = hmac(`AWS4${this.secretAccessKey}`, date);
    for (const part of [region, 's3', 'aws4_request']) k = hmac(k, part);
    const expected = createHmac('sha256', k).update(toSign).digest('hex');
    if (expected !== signature) return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided.' };
    return undefined;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function headerValue(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function unxml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
