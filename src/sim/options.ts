import { parseArgs } from 'node:util';
import type { Logger } from '../core/logger.js';

export type Vendor = 'hikvision' | 'dahua' | 'uniview';

/** Options of a simulator run; the CLI flags map one to one (`--channels-per-device` → `channelsPerDevice`). */
export interface SimulatorOptions {
  /** `host:port` of the platform's SIP server. */
  server: string;
  /** The platform's 20-digit SIP ID (type 200). */
  serverId: string;
  /** 10-digit SIP domain, the digest realm. */
  domain: string;
  password: string;
  devices: number;
  channelsPerDevice: number;
  transport?: 'udp' | 'tcp';
  /** Video file (anything ffmpeg reads; H.264/H.265) sent as PS over RTP to every INVITE, looping. */
  media?: string;
  /** Frame rate of the media file instead of the one in its SPS VUI (default: VUI, else the container's, else 25). */
  fps?: number;
  /** Each stream is ended by the device with a BYE after this many seconds (tests of device-initiated BYE). */
  mediaByeAfter?: number;
  /** First 10 digits of every ID (centre code 8 + industry 2); default: the domain's first 8 digits + `00`. */
  idPrefix?: string;
  /** Serial (last 6 digits) of the first device; run several simulators side by side with different starts. */
  idStart?: number;
  /** Keepalive interval, seconds. */
  keepalive?: number;
  /** Registration Expires asked for, seconds. */
  expires?: number;
  /** Devices starting registration per second; 0 = all at once. */
  registerRate?: number;
  /** Catalog items per MESSAGE (DeviceList Num). */
  catalogPerMessage?: number;
  /** RecordInfo items per MESSAGE. */
  recordsPerMessage?: number;
  /** Days of fake device recordings answered to RecordInfo. */
  recordDays?: number;
  vendor?: Vendor;
  /** Seconds between alarms raised on a random registered device; 0 = none. */
  alarmEvery?: number;
  /** UDP: devices sharing one local socket. */
  devicesPerSocket?: number;
  /** Local address to bind and advertise in Via/Contact; default: the address that routes to the server. */
  localHost?: string;
  /** Zone of MANSCDP times and of the fake recordings. */
  timeZone?: string;
  log?: Logger;
}

export const DEFAULTS = {
  transport: 'udp' as const,
  idStart: 1,
  keepalive: 60,
  expires: 3600,
  registerRate: 0,
  catalogPerMessage: 10,
  recordsPerMessage: 10,
  recordDays: 30,
  vendor: 'hikvision' as Vendor,
  alarmEvery: 0,
  devicesPerSocket: 500,
  timeZone: 'Asia/Shanghai',
};

export const HELP = `sharpeye-sim: GB/T 28181-2016 device simulator

Usage:
  npx sharpeye-sim --server 127.0.0.1:5060 --server-id 35020000002000000001 --domain 3502000000 \\
                   --password 12345678 --devices N --channels-per-device M [options]

Required:
  --server HOST:PORT          platform SIP address
  --server-id ID              platform 20-digit SIP ID
  --domain DOMAIN             10-digit SIP domain (digest realm)
  --password PASSWORD         device registration password
  --devices N                 number of devices (IPC when M = 1, NVR when M > 1)
  --channels-per-device M     camera channels per device

Options:
  --transport udp|tcp         SIP transport (default udp; tcp opens one connection per device)
  --media FILE                answer INVITE (Play/Playback/Download; UDP, TCP active/passive) with this video as
                              PS over RTP, looping at its frame rate (H.264/H.265; other containers are copied
                              out once with ffmpeg into a cache in the OS temp dir). Without it INVITE gets 488.
                              Playback/Download send the t= range's length of video, timestamps on the content
                              clock, then MediaStatus 121 (in-dialog MESSAGE); Download goes a=downloadspeed× faster.
                              MANSRTSP in INFO: PAUSE, PLAY (resume), Scale: k (k× faster), Range: npt=S- (seek to
                              the keyframe at or before S s into the range).
  --fps N                     frame rate of the --media file (default: its SPS VUI timing, else container, else 25)
  --media-bye-after S         the device ends each stream with its own BYE after S seconds
  --stats                     print one JSON line of counters per second on stdout
  --id-prefix DIGITS          first 10 digits of every ID (default: domain's first 8 digits + 00)
  --id-start N                serial of the first device (default 1)
  --keepalive S               keepalive interval in seconds (default 60)
  --expires S                 registration Expires in seconds (default 3600)
  --register-rate R           devices starting registration per second (default: all at once)
  --catalog-per-message K     catalog items per MESSAGE (default 10)
  --records-per-message K     RecordInfo items per MESSAGE (default 10)
  --record-days D             days of fake device recordings answered to RecordInfo: hour-long files (about 3 %
                              of hours missing) back to D days ago (default 30; 3 makes a device that fails the
                              platform's 30-day check)
  --vendor hikvision|dahua|uniview   User-Agent and DeviceInfo manufacturer (default hikvision)
  --alarm-every S             raise an alarm on a random registered device every S seconds
  --devices-per-socket K      UDP devices per local socket (default 500)
  --local-host ADDR           local address to bind and advertise (default: the one routing to the server)
  --time-zone TZ              zone of MANSCDP times (default Asia/Shanghai)
  --log-level LEVEL           pino level on stderr (default info)
  --help                      this text

Logs go to stderr; SIGINT/SIGTERM unregisters every device (Expires: 0) before exiting.
`;

export interface CliOptions extends SimulatorOptions {
  stats: boolean;
  logLevel: string;
}

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new Error(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function num(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new Error(`--${name} must be a number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new Error(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses the command line; returns 'help' for --help. Throws Error with a user-facing message on bad input. */
export function parseCli(argv: string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      server: { type: 'string' },
      'server-id': { type: 'string' },
      domain: { type: 'string' },
      password: { type: 'string' },
      devices: { type: 'string' },
      'channels-per-device': { type: 'string' },
      transport: { type: 'string' },
      media: { type: 'string' },
      fps: { type: 'string' },
      'media-bye-after': { type: 'string' },
      stats: { type: 'boolean' },
      'id-prefix': { type: 'string' },
      'id-start': { type: 'string' },
      keepalive: { type: 'string' },
      expires: { type: 'string' },
      'register-rate': { type: 'string' },
      'catalog-per-message': { type: 'string' },
      'records-per-message': { type: 'string' },
      'record-days': { type: 'string' },
      vendor: { type: 'string' },
      'alarm-every': { type: 'string' },
      'devices-per-socket': { type: 'string' },
      'local-host': { type: 'string' },
      'time-zone': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const missing = ['server', 'server-id', 'domain', 'password', 'devices', 'channels-per-device'].filter((k) => values[k as keyof typeof values] === undefined);
  if (missing.length) throw new Error(`missing ${missing.map((m) => `--${m}`).join(', ')} (see --help)`);
  const transport = values.transport ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp') throw new Error(`--transport must be udp or tcp, got "${transport}"`);
  const vendor = values.vendor ?? 'hikvision';
  if (vendor !== 'hikvision' && vendor !== 'dahua' && vendor !== 'uniview') throw new Error(`--vendor must be hikvision, dahua or uniview, got "${vendor}"`);
  const opts: CliOptions = {
    server: values.server!,
    serverId: values['server-id']!,
    domain: values.domain!,
    password: values.password!,
    devices: int('devices', values.devices, 1, 999_999)!,
    channelsPerDevice: int('channels-per-device', values['channels-per-device'], 1, 9_999)!,
    transport,
    media: values.media,
    fps: num('fps', values.fps, 0.1, 240),
    mediaByeAfter: num('media-bye-after', values['media-bye-after'], 0.1, 86_400),
    idPrefix: values['id-prefix'],
    idStart: int('id-start', values['id-start'], 1, 999_999),
    keepalive: int('keepalive', values.keepalive, 1, 86_400),
    expires: int('expires', values.expires, 60, 86_400 * 7),
    registerRate: int('register-rate', values['register-rate'], 0, 10_000_000),
    catalogPerMessage: int('catalog-per-message', values['catalog-per-message'], 1, 1000),
    recordsPerMessage: int('records-per-message', values['records-per-message'], 1, 1000),
    recordDays: int('record-days', values['record-days'], 0, 3650),
    vendor,
    alarmEvery: int('alarm-every', values['alarm-every'], 0, 86_400),
    devicesPerSocket: int('devices-per-socket', values['devices-per-socket'], 1, 100_000),
    localHost: values['local-host'],
    timeZone: values['time-zone'],
    stats: values.stats ?? false,
    logLevel: values['log-level'] ?? 'info',
  };
  validateOptions(opts);
  return opts;
}

/** Checks what both the CLI and library callers pass; throws Error with a user-facing message. */
export function validateOptions(o: SimulatorOptions): void {
  parseServer(o.server);
  if (!/^\d{20}$/.test(o.serverId)) throw new Error(`server ID must be 20 digits, got "${o.serverId}"`);
  if (!/^\d{10}$/.test(o.domain)) throw new Error(`domain must be 10 digits, got "${o.domain}"`);
  if (o.idPrefix !== undefined && !/^\d{10}$/.test(o.idPrefix)) throw new Error(`id prefix must be 10 digits, got "${o.idPrefix}"`);
  if (!Number.isInteger(o.devices) || o.devices < 1) throw new Error('devices must be at least 1');
  if (!Number.isInteger(o.channelsPerDevice) || o.channelsPerDevice < 1) throw new Error('channels per device must be at least 1');
  if (o.fps !== undefined && !(o.fps > 0 && o.fps <= 240)) throw new Error(`fps must be between 0 and 240, got ${o.fps}`);
  if (o.mediaByeAfter !== undefined && !(o.mediaByeAfter > 0)) throw new Error(`media BYE delay must be positive, got ${o.mediaByeAfter}`);
  if ((o.fps !== undefined || o.mediaByeAfter !== undefined) && o.media === undefined) throw new Error('--fps and --media-bye-after need --media');
  const start = o.idStart ?? DEFAULTS.idStart;
  if (start + o.devices - 1 > 999_999) throw new Error(`device serials run past 999999 (id start ${start} + ${o.devices} devices)`);
  if ((start + o.devices - 1) * o.channelsPerDevice > 999_999) {
    throw new Error(`channel serials run past 999999 ((id start ${start} + ${o.devices} devices) × ${o.channelsPerDevice} channels): use fewer devices or another --id-prefix`);
  }
}

export function parseServer(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`server must be HOST:PORT, got "${s}"`);
  return { host: m[1], port: Number(m[2]) };
}
