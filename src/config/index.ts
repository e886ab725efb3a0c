import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { isGbId } from '../core/gbid.js';
import { isValidTimeZone } from '../core/time.js';

export type Role = 'all' | 'control' | 'media';

/** S3-compatible storage for platform recordings (issue 8); absent when SHARPEYE_S3_BUCKET is unset. */
export interface S3Config {
  /** http(s)://host[:port] of an S3-compatible server; undefined = AWS S3 of the region */
  endpoint: string | undefined;
  bucket: string;
  region: string;
  /** both or neither; neither = the AWS SDK's own credential chain (AWS_ACCESS_KEY_ID, instance roles, …) */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (MinIO, Ceph RGW and most self-hosted servers) */
  forcePathStyle: boolean;
  /** hours a closed segment also stays on local disk after its upload (0 = removed once uploaded) */
  keepLocalHours: number;
}

export interface Config {
  dataDir: string;
  databaseUrl: string;
  httpPort: number;
  host: string;
  sipPort: number;
  sipId: string;
  sipDomain: string;
  sipPassword: string;
  sipAutoAdmit: boolean;
  rtpPortRange: { min: number; max: number };
  rtspPort: number;
  rtmpPort: number;
  adminPassword: string | undefined;
  logLevel: string;
  tz: string;
  role: Role;
  nodeId: string;
  natsUrl: string | undefined;
  redisUrl: string | undefined;
  /** cluster (issue 13): prefix of NATS subjects and Redis keys, so several clusters can share one NATS/Redis */
  clusterName: string;
  /** media node: base URL viewers use for its HTTP outputs; unset = http://<SHARPEYE_MEDIA_IP or host name>:<HTTP port> */
  mediaHttpUrl: string | undefined;
  /** media node: egress above which new viewers go to a relay on another node; 0 = no limit */
  mediaMaxEgressKbps: number;
  /** media node: no new stream is placed here above this many streams; 0 = no limit */
  mediaMaxStreams: number;
  /** 64 hex chars; when unset a key is created in the data dir on first start. */
  secretKey: string | undefined;
  /** Largest accepted JSON body in bytes (uploads have their own limits). */
  bodyLimit: number;
  /** Where the built console lives. */
  webDir: string;
  /** IP put in SDP for devices to send media to; unset = the address the SIP socket uses toward each device */
  mediaIp: string | undefined;
  /** seconds a stream without viewers is kept before BYE */
  streamLinger: number;
  /** seconds without media before a stream counts as stalled (re-INVITE) */
  streamTimeout: number;
  /** seconds a signed media URL may be opened after it was issued */
  mediaTokenTtl: number;
  /** concurrent H.265→H.264 transcodes (measured ≈ 0.15 core at 360p, 0.75–1 core at 1080p on the 2-core CI box) */
  maxTranscodes: number;
  /** recording directories, one per disk (SHARPEYE_RECORD_DIRS, comma-separated) */
  recordDirs: string[];
  /** target segment length, seconds */
  recordSegment: number;
  /** no new segment starts on a directory with less free space than this (MiB); cleanup keeps at least this free */
  recordMinFreeMb: number;
  /** default retention of platform recordings, days (per channel and per org overrides) */
  recordRetentionDays: number;
  /** when space runs low after expired recordings are gone, overwrite the oldest (true, like an NVR) or stop recording */
  recordOverwrite: boolean;
  /** daily 30-day check of device recordings at this local time (`HH:MM` in SHARPEYE_TZ); null = off (issue 8) */
  deviceCheckAt: string | null;
  /** devices asked at once by the 30-day check */
  deviceCheckConcurrency: number;
  /** digest user and password of the served face/vehicle image interfaces (seed appendices 1/2: lpt/lpt123) */
  imageUser: string;
  imagePassword: string;
  /** face captures and vehicle passes are kept this many days (issue 12) */
  imageRetentionDays: number;
  /** largest single image accepted by saveImageData, bytes (decoded) */
  imageMaxBytes: number;
  /** ingest directory for cameras that upload pictures by FTP (`<dir>/<device or channel ID>/...`); null = off */
  imageIngestDir: string | null;
  /** S3-compatible storage of platform recordings; null = local disks only (issue 8) */
  s3: Readonly<S3Config> | null;
  /** bearer token `GET /metrics` requires (SHARPEYE_METRICS_TOKEN); undefined = open on the HTTP port (issue 14) */
  metricsToken: string | undefined;
  /** availability (完好率, R15): probe INVITEs running at once (0 = no probing), minutes between probes of one channel, target % */
  availabilityProbeConcurrency: number;
  availabilityProbeIntervalMin: number;
  availabilityTarget: number;
  /** HTTPS/WSS on the HTTP port (R11): PEM files, or a self-signed pair generated into the data dir; null = plain HTTP */
  tls: Readonly<TlsConfig> | null;
  /** login attempts per minute per user name (per IP: 6×), token bucket (R11) */
  loginRatePerMin: number;
  /** seed image interface requests per second per IP (burst 2×) */
  seedRatePerSec: number;
}

/** SHARPEYE_TLS_*: a configured certificate, or `selfSigned` (generated with openssl at first start) */
export interface TlsConfig {
  certFile: string;
  keyFile: string;
  selfSigned: boolean;
}

/** Every variable CONTRACT.md names, plus a few of our own. Values come from the file first, then the environment. */
const KEYS = [
  'SHARPEYE_DATA_DIR',
  'SHARPEYE_DATABASE_URL',
  'SHARPEYE_HTTP_PORT',
  'SHARPEYE_HOST',
  'SHARPEYE_SIP_PORT',
  'SHARPEYE_SIP_ID',
  'SHARPEYE_SIP_DOMAIN',
  'SHARPEYE_SIP_PASSWORD',
  'SHARPEYE_SIP_AUTO_ADMIT',
  'SHARPEYE_RTP_PORT_RANGE',
  'SHARPEYE_RTSP_PORT',
  'SHARPEYE_RTMP_PORT',
  'SHARPEYE_ADMIN_PASSWORD',
  'SHARPEYE_LOG_LEVEL',
  'SHARPEYE_TZ',
  'SHARPEYE_ROLE',
  'SHARPEYE_NODE_ID',
  'SHARPEYE_NATS_URL',
  'SHARPEYE_REDIS_URL',
  'SHARPEYE_CLUSTER_NAME',
  'SHARPEYE_MEDIA_HTTP_URL',
  'SHARPEYE_MEDIA_MAX_EGRESS_KBPS',
  'SHARPEYE_MEDIA_MAX_STREAMS',
  'SHARPEYE_SECRET_KEY',
  'SHARPEYE_BODY_LIMIT',
  'SHARPEYE_WEB_DIR',
  'SHARPEYE_MEDIA_IP',
  'SHARPEYE_STREAM_LINGER',
  'SHARPEYE_STREAM_TIMEOUT',
  'SHARPEYE_MEDIA_TOKEN_TTL',
  'SHARPEYE_MAX_TRANSCODES',
  'SHARPEYE_RECORD_DIRS',
  'SHARPEYE_RECORD_SEGMENT',
  'SHARPEYE_RECORD_MIN_FREE_MB',
  'SHARPEYE_RECORD_RETENTION_DAYS',
  'SHARPEYE_RECORD_OVERWRITE',
  'SHARPEYE_DEVICE_CHECK_AT',
  'SHARPEYE_DEVICE_CHECK_CONCURRENCY',
  'SHARPEYE_IMAGE_USER',
  'SHARPEYE_IMAGE_PASSWORD',
  'SHARPEYE_IMAGE_RETENTION_DAYS',
  'SHARPEYE_IMAGE_MAX_MB',
  'SHARPEYE_IMAGE_INGEST_DIR',
  'SHARPEYE_S3_ENDPOINT',
  'SHARPEYE_S3_BUCKET',
  'SHARPEYE_S3_REGION',
  'SHARPEYE_S3_ACCESS_KEY',
  'SHARPEYE_S3_SECRET_KEY',
  'SHARPEYE_S3_FORCE_PATH_STYLE',
  'SHARPEYE_S3_KEEP_LOCAL_HOURS',
  'SHARPEYE_METRICS_TOKEN',
  'SHARPEYE_AVAILABILITY_PROBE_CONCURRENCY',
  'SHARPEYE_AVAILABILITY_PROBE_INTERVAL_MIN',
  'SHARPEYE_AVAILABILITY_TARGET',
  'SHARPEYE_TLS_CERT',
  'SHARPEYE_TLS_KEY',
  'SHARPEYE_TLS_SELF_SIGNED',
  'SHARPEYE_LOGIN_RATE',
  'SHARPEYE_SEED_RATE',
] as const;
type Key = (typeof KEYS)[number];

function bad(key: string, why: string): never {
  throw new AppError('CONFIG_INVALID', `Invalid configuration ${key}: ${why}`, { key });
}

function port(key: Key, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 0 || n > 65535) bad(key, `expected a port number 0-65535, got "${v}"`);
  return n;
}

function bool(key: Key, v: string): boolean {
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  bad(key, `expected true or false, got "${v}"`);
}

function readFileValues(file: string): Partial<Record<Key, string>> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    bad('SHARPEYE_CONFIG', `cannot read JSON file ${file}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('SHARPEYE_CONFIG', `${file} must hold a JSON object`);
  const out: Partial<Record<Key, string>> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(KEYS as readonly string[]).includes(k)) bad(k, `unknown key in ${file} (known: ${KEYS.join(', ')})`);
    if (v === null || typeof v === 'object') bad(k, 'expected a string, number or boolean');
    out[k as Key] = String(v);
  }
  return out;
}

/**
 * Reads, validates and freezes the configuration once at start. A bad value stops the process with a message
 * naming the key. `SHARPEYE_CONFIG` may point to a JSON file holding the same keys; the environment wins.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Readonly<Config> {
  const fromFile = env.SHARPEYE_CONFIG ? readFileValues(path.resolve(cwd, env.SHARPEYE_CONFIG)) : {};
  const get = (k: Key): string | undefined => {
    const v = env[k] ?? fromFile[k];
    return v === undefined || v === '' ? undefined : v;
  };

  const dataDir = path.resolve(cwd, get('SHARPEYE_DATA_DIR') ?? './data');
  const databaseUrl = get('SHARPEYE_DATABASE_URL') ?? `sqlite://${path.join(dataDir, 'sharpeye.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    bad('SHARPEYE_DATABASE_URL', 'expected sqlite://<file>, sqlite::memory: or postgres://...');
  }
  const httpPort = port('SHARPEYE_HTTP_PORT', get('SHARPEYE_HTTP_PORT') ?? '8080');
  const sipPort = port('SHARPEYE_SIP_PORT', get('SHARPEYE_SIP_PORT') ?? '5060');
  const rtspPort = port('SHARPEYE_RTSP_PORT', get('SHARPEYE_RTSP_PORT') ?? '8554');
  const rtmpPort = port('SHARPEYE_RTMP_PORT', get('SHARPEYE_RTMP_PORT') ?? '1935');

  const sipId = get('SHARPEYE_SIP_ID') ?? '35020000002000000001';
  if (!isGbId(sipId)) bad('SHARPEYE_SIP_ID', `expected a 20-digit GB/T 28181 ID, got "${sipId}"`);
  const sipDomain = get('SHARPEYE_SIP_DOMAIN') ?? '3502000000';
  if (!/^\d{10}$/.test(sipDomain)) bad('SHARPEYE_SIP_DOMAIN', `expected a 10-digit domain, got "${sipDomain}"`);
  const sipPassword = get('SHARPEYE_SIP_PASSWORD') ?? '12345678';

  const rangeRaw = get('SHARPEYE_RTP_PORT_RANGE') ?? '30000-30999';
  const m = /^(\d+)-(\d+)$/.exec(rangeRaw);
  if (!m) bad('SHARPEYE_RTP_PORT_RANGE', `expected "min-max", got "${rangeRaw}"`);
  const rtpPortRange = { min: Number(m[1]), max: Number(m[2]) };
  if (rtpPortRange.min < 1024 || rtpPortRange.max > 65535 || rtpPortRange.min >= rtpPortRange.max) {
    bad('SHARPEYE_RTP_PORT_RANGE', `range must lie in 1024-65535 with min < max, got "${rangeRaw}"`);
  }

  const logLevel = get('SHARPEYE_LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    bad('SHARPEYE_LOG_LEVEL', `expected fatal|error|warn|info|debug|trace|silent, got "${logLevel}"`);
  }
  const tz = get('SHARPEYE_TZ') ?? 'Asia/Shanghai';
  if (!isValidTimeZone(tz)) bad('SHARPEYE_TZ', `unknown IANA time zone "${tz}"`);

  const role = (get('SHARPEYE_ROLE') ?? 'all') as Role;
  if (!['all', 'control', 'media'].includes(role)) bad('SHARPEYE_ROLE', `expected all|control|media, got "${role}"`);
  const natsUrl = get('SHARPEYE_NATS_URL');
  const redisUrl = get('SHARPEYE_REDIS_URL');
  if (role !== 'all' && !natsUrl) bad('SHARPEYE_NATS_URL', `required when SHARPEYE_ROLE is ${role}`);
  if (role !== 'all' && !redisUrl) bad('SHARPEYE_REDIS_URL', `required when SHARPEYE_ROLE is ${role}`);
  if (role !== 'all' && !databaseUrl.startsWith('postgres')) {
    bad('SHARPEYE_DATABASE_URL', `a shared postgres:// database is required when SHARPEYE_ROLE is ${role}`);
  }

  const secretKey = get('SHARPEYE_SECRET_KEY');
  if (secretKey !== undefined && !/^[0-9a-fA-F]{64}$/.test(secretKey)) bad('SHARPEYE_SECRET_KEY', 'expected 64 hex characters');
  // every node signs and checks media URLs and seals secrets with the same key (issue 13 §5)
  if (role !== 'all' && secretKey === undefined) bad('SHARPEYE_SECRET_KEY', `the same key must be given to every node when SHARPEYE_ROLE is ${role}`);
  const clusterName = get('SHARPEYE_CLUSTER_NAME') ?? 'sharpeye';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(clusterName)) bad('SHARPEYE_CLUSTER_NAME', `expected 1–32 of A-Z a-z 0-9 _ -, got "${clusterName}"`);
  const mediaHttpUrl = get('SHARPEYE_MEDIA_HTTP_URL');
  if (mediaHttpUrl !== undefined && !/^https?:\/\/[^/\s]+$/.test(mediaHttpUrl)) bad('SHARPEYE_MEDIA_HTTP_URL', `expected http(s)://host:port without a path, got "${mediaHttpUrl}"`);
  const bodyLimitRaw = get('SHARPEYE_BODY_LIMIT') ?? String(1024 * 1024);
  if (!/^\d+$/.test(bodyLimitRaw) || Number(bodyLimitRaw) < 1024) bad('SHARPEYE_BODY_LIMIT', 'expected a byte count ≥ 1024');

  const seconds = (key: Key, def: number, min: number, max: number): number => {
    const v = get(key) ?? String(def);
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || n < min || n > max) bad(key, `expected seconds between ${min} and ${max}, got "${v}"`);
    return n;
  };
  const count = (key: Key, max: number): number => {
    const v = get(key) ?? '0';
    if (!/^\d+$/.test(v) || Number(v) > max) bad(key, `expected a whole number between 0 and ${max}, got "${v}"`);
    return Number(v);
  };
  const mediaIp = get('SHARPEYE_MEDIA_IP');
  if (mediaIp !== undefined && !/^[0-9a-fA-F:.]+$/.test(mediaIp)) bad('SHARPEYE_MEDIA_IP', `expected an IP address, got "${mediaIp}"`);

  const checkAt = get('SHARPEYE_DEVICE_CHECK_AT') ?? '03:00';
  if (!/^off$/i.test(checkAt) && !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(checkAt)) bad('SHARPEYE_DEVICE_CHECK_AT', `expected HH:MM (local time) or off, got "${checkAt}"`);

  const s3 = s3Config(get);

  const cfg: Config = {
    dataDir,
    databaseUrl,
    httpPort,
    host: get('SHARPEYE_HOST') ?? '0.0.0.0',
    sipPort,
    sipId,
    sipDomain,
    sipPassword,
    sipAutoAdmit: bool('SHARPEYE_SIP_AUTO_ADMIT', get('SHARPEYE_SIP_AUTO_ADMIT') ?? 'true'),
    rtpPortRange,
    rtspPort,
    rtmpPort,
    adminPassword: get('SHARPEYE_ADMIN_PASSWORD'),
    logLevel,
    tz,
    role,
    nodeId: get('SHARPEYE_NODE_ID') ?? `${hostname()}:${httpPort}`,
    natsUrl,
    redisUrl,
    clusterName,
    mediaHttpUrl,
    mediaMaxEgressKbps: count('SHARPEYE_MEDIA_MAX_EGRESS_KBPS', 100_000_000),
    mediaMaxStreams: count('SHARPEYE_MEDIA_MAX_STREAMS', 1_000_000),
    secretKey,
    bodyLimit: Number(bodyLimitRaw),
    webDir: path.resolve(cwd, get('SHARPEYE_WEB_DIR') ?? 'dist/web'),
    mediaIp,
    streamLinger: seconds('SHARPEYE_STREAM_LINGER', 10, 0, 3600),
    streamTimeout: seconds('SHARPEYE_STREAM_TIMEOUT', 10, 1, 600),
    mediaTokenTtl: seconds('SHARPEYE_MEDIA_TOKEN_TTL', 300, 5, 86_400),
    maxTranscodes: Math.floor(seconds('SHARPEYE_MAX_TRANSCODES', 2, 0, 64)),
    recordDirs: (get('SHARPEYE_RECORD_DIRS') ?? path.join(dataDir, 'records'))
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => path.resolve(cwd, d)),
    recordSegment: seconds('SHARPEYE_RECORD_SEGMENT', 300, 2, 3600),
    recordMinFreeMb: Math.floor(seconds('SHARPEYE_RECORD_MIN_FREE_MB', 1024, 0, 10_000_000)),
    recordRetentionDays: Math.floor(seconds('SHARPEYE_RECORD_RETENTION_DAYS', 30, 1, 3650)),
    recordOverwrite: bool('SHARPEYE_RECORD_OVERWRITE', get('SHARPEYE_RECORD_OVERWRITE') ?? 'true'),
    deviceCheckAt: /^off$/i.test(checkAt) ? null : checkAt,
    deviceCheckConcurrency: Math.floor(seconds('SHARPEYE_DEVICE_CHECK_CONCURRENCY', 8, 1, 256)),
    imageUser: get('SHARPEYE_IMAGE_USER') ?? 'lpt',
    imagePassword: get('SHARPEYE_IMAGE_PASSWORD') ?? 'lpt123',
    imageRetentionDays: Math.floor(seconds('SHARPEYE_IMAGE_RETENTION_DAYS', 30, 1, 3650)),
    imageMaxBytes: Math.floor(seconds('SHARPEYE_IMAGE_MAX_MB', 10, 0.01, 100) * 2 ** 20),
    imageIngestDir: get('SHARPEYE_IMAGE_INGEST_DIR')?.trim() ? path.resolve(get('SHARPEYE_IMAGE_INGEST_DIR')!.trim()) : null,
    s3: s3 ? Object.freeze(s3) : null,
    metricsToken: metricsToken(get('SHARPEYE_METRICS_TOKEN')),
    availabilityProbeConcurrency: Math.floor(seconds('SHARPEYE_AVAILABILITY_PROBE_CONCURRENCY', 2, 0, 32)),
    availabilityProbeIntervalMin: seconds('SHARPEYE_AVAILABILITY_PROBE_INTERVAL_MIN', 30, 1, 10_080),
    availabilityTarget: seconds('SHARPEYE_AVAILABILITY_TARGET', 95, 0, 100),
    tls: tlsConfig(get, dataDir, cwd),
    loginRatePerMin: Math.floor(seconds('SHARPEYE_LOGIN_RATE', 10, 1, 10_000)),
    seedRatePerSec: seconds('SHARPEYE_SEED_RATE', 100, 1, 100_000),
  };
  return Object.freeze({ ...cfg, rtpPortRange: Object.freeze(cfg.rtpPortRange), recordDirs: Object.freeze([...cfg.recordDirs]) as string[] });
}

/** SHARPEYE_METRICS_TOKEN: a bearer token of 16+ printable characters (a short one is refused, not silently weak). */
function metricsToken(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^[\x21-\x7e]{16,256}$/.test(v)) bad('SHARPEYE_METRICS_TOKEN', 'expected 16–256 printable characters without spaces');
  return v;
}

/** SHARPEYE_S3_*: on when a bucket is named; the other keys are checked only then. */
function s3Config(get: (k: Key) => string | undefined): S3Config | null {
  const bucket = get('SHARPEYE_S3_BUCKET');
  if (bucket === undefined) {
    for (const k of KEYS) if (k.startsWith('SHARPEYE_S3_') && get(k) !== undefined) bad(k, 'SHARPEYE_S3_BUCKET must be set too (S3 storage is on only with a bucket)');
    return null;
  }
  // S3 bucket naming rules (lower case, digits, dots, hyphens; 3–63)
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) bad('SHARPEYE_S3_BUCKET', `expected an S3 bucket name (3–63 of a-z 0-9 . -), got "${bucket}"`);
  const endpoint = get('SHARPEYE_S3_ENDPOINT');
  if (endpoint !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(endpoint);
    } catch {
      u = undefined;
    }
    if (!u || !/^https?:$/.test(u.protocol) || (u.pathname !== '/' && u.pathname !== '')) bad('SHARPEYE_S3_ENDPOINT', `expected http(s)://host[:port], got "${endpoint}"`);
  }
  const region = get('SHARPEYE_S3_REGION') ?? 'us-east-1';
  if (!/^[a-z0-9-]{2,40}$/.test(region)) bad('SHARPEYE_S3_REGION', `expected a region name such as us-east-1, got "${region}"`);
  const accessKeyId = get('SHARPEYE_S3_ACCESS_KEY');
  const secretAccessKey = get('SHARPEYE_S3_SECRET_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) bad(accessKeyId === undefined ? 'SHARPEYE_S3_ACCESS_KEY' : 'SHARPEYE_S3_SECRET_KEY', 'SHARPEYE_S3_ACCESS_KEY and SHARPEYE_S3_SECRET_KEY go together');
  const fps = get('SHARPEYE_S3_FORCE_PATH_STYLE');
  const keep = get('SHARPEYE_S3_KEEP_LOCAL_HOURS') ?? '24';
  if (!/^\d+(\.\d+)?$/.test(keep) || Number(keep) > 24 * 3650) bad('SHARPEYE_S3_KEEP_LOCAL_HOURS', `expected hours between 0 and ${24 * 3650}, got "${keep}"`);
  return {
    endpoint: endpoint?.replace(/\/$/, ''),
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: fps === undefined ? endpoint !== undefined : bool('SHARPEYE_S3_FORCE_PATH_STYLE', fps),
    keepLocalHours: Number(keep),
  };
}

/** SHARPEYE_TLS_CERT/KEY (both or neither) or SHARPEYE_TLS_SELF_SIGNED=true (files in the data dir). */
function tlsConfig(get: (k: Key) => string | undefined, dataDir: string, cwd: string): Readonly<TlsConfig> | null {
  const cert = get('SHARPEYE_TLS_CERT');
  const key = get('SHARPEYE_TLS_KEY');
  const self = bool('SHARPEYE_TLS_SELF_SIGNED', get('SHARPEYE_TLS_SELF_SIGNED') ?? 'false');
  if ((cert === undefined) !== (key === undefined)) bad(cert === undefined ? 'SHARPEYE_TLS_CERT' : 'SHARPEYE_TLS_KEY', 'SHARPEYE_TLS_CERT and SHARPEYE_TLS_KEY go together');
  if (cert !== undefined && key !== undefined) {
    if (self) bad('SHARPEYE_TLS_SELF_SIGNED', 'use either a configured certificate (SHARPEYE_TLS_CERT/KEY) or a self-signed one, not both');
    return Object.freeze({ certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key), selfSigned: false });
  }
  if (!self) return null;
  return Object.freeze({ certFile: path.join(dataDir, 'tls', 'cert.pem'), keyFile: path.join(dataDir, 'tls', 'key.pem'), selfSigned: true });
}

/** SHARPEYE_* variables we do not know: most likely typos; reported as a warning at start. */
export function unknownEnvKeys(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env).filter(
    (k) => k.startsWith('SHARPEYE_') && k !== 'SHARPEYE_CONFIG' && !(KEYS as readonly string[]).includes(k),
  );
}
