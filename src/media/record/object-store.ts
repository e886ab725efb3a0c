/**
 * S3-compatible object storage for recorded segments (issue 8), on the media node: upload a closed segment file,
 * read an uploaded one by byte ranges, check it (HEAD size/ETag), delete objects.
 *
 * - Uploads are single PUTs (segments are far below S3's 5 GiB single-PUT limit) with Content-MD5, so the server
 *   refuses a body damaged on the way; the file is hashed first and must still match the index's SHA-256 and size
 *   (a damaged local file is never uploaded: RECORD_DAMAGED). The ETag of a single PUT is the MD5 of the body on
 *   S3, MinIO and Ceph; it is kept in the index and compared by the verifier's HEAD.
 * - Reads are ranged GETs with a read-ahead (default 1 MiB): scanning a segment's moofs and reading its fragments
 *   for playback go through one buffer instead of one request per box; large reads (download blocks of 8 MiB) are
 *   fetched as asked. `If-Match` with the indexed ETag makes a replaced object an error, not silent garbage.
 * - Checksums: the SDK's default CRC32 request checksums (aws-chunked uploads) are turned off
 *   (`requestChecksumCalculation: WHEN_REQUIRED`): several S3-compatible servers do not take them; Content-MD5 does
 *   the same job everywhere.
 * - Every failure to reach or use the store (refused, timeout, access denied, no such bucket) is
 *   OBJECT_STORE_UNAVAILABLE; the upload queue backs off on it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { AppError } from '../../core/errors.js';
import type { RandomAccess } from './random-access.js';

export interface ObjectStoreSettings {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** bytes fetched at least per ranged GET (default 1 MiB) */
  readAheadBytes?: number;
  /** per request: connect within / answer within (defaults 5 s / 120 s) */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface ObjectInfo {
  size: number;
  /** without quotes */
  etag: string;
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<Sdk> | undefined;
/** The SDK is loaded on first use (≈ 0.1 s and a few MB): nodes without S3 never load it. */
const loadSdk = (): Promise<Sdk> => (sdk ??= import('@aws-sdk/client-s3'));

export type ObjectCheck = { state: 'ok'; size: number } | { state: 'missing' | 'truncated' | 'checksum' | 'unreadable'; size?: number; message: string };

export class ObjectStore {
  private sdk?: Promise<{ sdk: Sdk; client: S3Client }>;
  readonly bucket: string;
  private readonly readAhead: number;

  constructor(private readonly s: ObjectStoreSettings) {
    this.bucket = s.bucket;
    this.readAhead = s.readAheadBytes ?? 1 << 20;
  }

  private api(): Promise<{ sdk: Sdk; client: S3Client }> {
    const s = this.s;
    this.sdk ??= loadSdk().then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        endpoint: s.endpoint,
        region: s.region,
        forcePathStyle: s.forcePathStyle,
        credentials: s.accessKeyId && s.secretAccessKey ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // the upload queue retries with its own back-off; one quick retry here covers a dropped keep-alive connection
        maxAttempts: 2,
        requestHandler: { connectionTimeout: s.connectTimeoutMs ?? 5000, requestTimeout: s.requestTimeoutMs ?? 120_000 },
        // the SDK would print its own warnings to the console; failures are reported by the callers with context
        logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      }),
    }));
    return this.sdk;
  }

  /** Where objects go, for the storage answer (never the credentials). */
  get description(): { endpoint: string; bucket: string; region: string } {
    return { endpoint: this.s.endpoint ?? `https://s3.${this.s.region}.amazonaws.com`, bucket: this.s.bucket, region: this.s.region };
  }

  /**
   * Uploads a local file as `key`. With `expect`, the file must still have the indexed size and SHA-256
   * (RECORD_DAMAGED otherwise). Returns the object's ETag and size.
   */
  async put(key: string, file: string, expect?: { size: number; checksum?: string | null }): Promise<ObjectInfo> {
    let size: number;
    let md5: Buffer;
    let sha: string;
    try {
      size = (await stat(file)).size;
      ({ md5, sha } = await hashFile(file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AppError('RECORD_DAMAGED', code === 'ENOENT' ? `segment file ${file} is missing (录像文件丢失)` : `segment file ${file} cannot be read: ${(e as Error).message}`);
    }
    if (expect && (size !== expect.size || (expect.checksum && sha !== expect.checksum))) {
      throw new AppError('RECORD_DAMAGED', `segment file ${file} does not match the index (size ${size}/${expect.size}${expect.checksum && sha !== expect.checksum ? ', SHA-256 differs' : ''}): not uploaded (录像文件校验失败)`);
    }
    const { sdk, client } = await this.api();
    const res = await this.call(`PUT ${key}`, () =>
      client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(file, { highWaterMark: 1 << 20 }),
          ContentLength: size,
          ContentMD5: md5.toString('base64'),
          ContentType: 'video/mp4',
          Metadata: { sha256: sha },
        }),
      ),
    );
    const etag = unquote(res.ETag) || md5.toString('hex');
    return { size, etag };
  }

  /** HEAD: size and ETag, or undefined when there is no such object. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    const { sdk, client } = await this.api();
    try {
      const r = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: Number(r.ContentLength ?? 0), etag: unquote(r.ETag) };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw unavailable(`HEAD ${key}`, e);
    }
  }

  /** Integrity (verifier): the object is there with the indexed size and ETag. */
  async check(key: string, expect: { size: number; etag?: string | null }): Promise<ObjectCheck> {
    let h: ObjectInfo | undefined;
    try {
      h = await this.head(key);
    } catch (e) {
      return { state: 'unreadable', message: (e as Error).message };
    }
    if (!h) return { state: 'missing', message: `S3 object ${key} missing (录像对象丢失)` };
    if (h.size !== expect.size) return { state: 'truncated', size: h.size, message: `S3 object ${key} has ${h.size} of ${expect.size} bytes (录像对象大小不符)` };
    if (expect.etag && h.etag !== expect.etag) return { state: 'checksum', size: h.size, message: `S3 object ${key} ETag ${h.etag} is not the uploaded ${expect.etag} (录像对象校验失败)` };
    return { state: 'ok', size: h.size };
  }

  /** A reader of the object by byte ranges (size from the index when known, else a HEAD). */
  async reader(key: string, opts: { size?: number; etag?: string | null } = {}): Promise<RandomAccess> {
    let size = opts.size;
    let etag = opts.etag ?? undefined;
    if (!size) {
      const h = await this.head(key);
      if (!h) throw Object.assign(new Error(`S3 object ${key} missing (录像对象丢失)`), { code: 'ENOENT' });
      size = h.size;
      etag ??= h.etag;
    }
    return new ObjectReader(this, key, size, etag, this.readAhead);
  }

  /** `length` bytes at `offset` (fewer only at the end of the object). */
  async getRange(key: string, offset: number, length: number, etag?: string): Promise<Buffer> {
    const { sdk, client } = await this.api();
    const r = await this.call(`GET ${key} ${offset}+${length}`, () => client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}`, IfMatch: etag ? `"${etag}"` : undefined })));
    if (!r.Body) throw new AppError('OBJECT_STORE_UNAVAILABLE', `GET ${key}: empty answer`);
    return Buffer.from(await r.Body.transformToByteArray());
  }

  /** Deletes objects (1,000 per request); a key that is already gone counts as deleted. */
  async delete(keys: string[]): Promise<{ deleted: number; failed: Array<{ key: string; error: string }> }> {
    let deleted = 0;
    const failed: Array<{ key: string; error: string }> = [];
    const { sdk, client } = await this.api();
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const r = await this.call('DELETE', () => client.send(new sdk.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })));
        const errs = r.Errors ?? [];
        for (const e of errs) failed.push({ key: e.Key ?? '?', error: `${e.Code ?? 'Error'} ${e.Message ?? ''}`.trim() });
        deleted += batch.length - errs.length;
      } catch (e) {
        for (const key of batch) failed.push({ key, error: (e as Error).message });
      }
    }
    return { deleted, failed };
  }

  close(): void {
    void this.sdk?.then(({ client }) => client.destroy()).catch(() => undefined);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw unavailable(what, e);
    }
  }
}

/** An object read by ranged GETs; a read smaller than the read-ahead fetches the read-ahead and keeps it. */
class ObjectReader implements RandomAccess {
  private buf?: { at: number; data: Buffer };

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly size: number,
    private readonly etag: string | undefined,
    private readonly readAhead: number,
  ) {}

  async stat(): Promise<{ size: number }> {
    return { size: this.size };
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (position >= this.size || length <= 0) return { bytesRead: 0 };
    const len = Math.min(length, this.size - position);
    const c = this.buf;
    if (c && position >= c.at && position + len <= c.at + c.data.length) {
      c.data.copy(buffer, offset, position - c.at, position - c.at + len);
      return { bytesRead: len };
    }
    const want = Math.min(Math.max(len, this.readAhead), this.size - position);
    const data = await this.store.getRange(this.key, position, want, this.etag);
    if (want > len) this.buf = { at: position, data };
    const n = Math.min(len, data.length);
    data.copy(buffer, offset, 0, n);
    return { bytesRead: n };
  }

  async close(): Promise<void> {
    this.buf = undefined;
  }
}

function hashFile(file: string): Promise<{ md5: Buffer; sha: string }> {
  return new Promise((resolve, reject) => {
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (c) => {
        md5.update(c);
        sha.update(c);
      })
      .on('error', reject)
      .on('end', () => resolve({ md5: md5.digest(), sha: sha.digest('hex') }));
  });
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

function isNotFound(e: unknown): boolean {
  const x = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return x?.name === 'NotFound' || x?.name === 'NoSuchKey' || x?.$metadata?.httpStatusCode === 404;
}

function unavailable(what: string, e: unknown): Error {
  if (e instanceof AppError) return e;
  const x = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (isNotFound(e)) return Object.assign(new Error(`${what}: no such object (录像对象丢失)`), { code: 'ENOENT' });
  const status = x?.$metadata?.httpStatusCode;
  const why = [x?.code, x?.name !== 'Error' ? x?.name : undefined, status ? `HTTP ${status}` : undefined].filter(Boolean).join(' ');
  return new AppError('OBJECT_STORE_UNAVAILABLE', `S3 ${what}: ${why ? `${why}: ` : ''}${x?.message ?? String(e)} (对象存储不可用)`.slice(0, 400));
}
