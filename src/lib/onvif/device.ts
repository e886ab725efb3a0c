import { OnvifError } from './errors.js';
import { NS, actionOf } from './namespaces.js';
import { responseElement, type SoapRequest } from './soap.js';
import { children, num, path, text, type Tree } from './xml.js';

// Device management service (ONVIF Core §8, devicemgmt.wsdl).

export const getSystemDateAndTime = (): SoapRequest => ({ action: actionOf('tds', 'GetSystemDateAndTime'), body: '<tds:GetSystemDateAndTime/>', response: 'GetSystemDateAndTimeResponse' });
export const getDeviceInformation = (): SoapRequest => ({ action: actionOf('tds', 'GetDeviceInformation'), body: '<tds:GetDeviceInformation/>', response: 'GetDeviceInformationResponse' });
export const getCapabilities = (): SoapRequest => ({
  action: actionOf('tds', 'GetCapabilities'),
  body: '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>',
  response: 'GetCapabilitiesResponse',
});
export const getServices = (): SoapRequest => ({
  action: actionOf('tds', 'GetServices'),
  body: '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>',
  response: 'GetServicesResponse',
});

export interface DeviceClock {
  /** The device's UTC now. */
  utc: Date;
  dateTimeType?: string;
  /** POSIX TZ string as sent (`CST-8:00:00`). */
  timeZone?: string;
  /** True when the device sent no UTCDateTime and the time was derived from LocalDateTime and TZ. */
  fromLocal?: boolean;
}

function dateTime(el: unknown): number | undefined {
  const y = num(el, 'Date', 'Year');
  const mo = num(el, 'Date', 'Month');
  const d = num(el, 'Date', 'Day');
  const h = num(el, 'Time', 'Hour');
  const mi = num(el, 'Time', 'Minute');
  const s = num(el, 'Time', 'Second');
  if ([y, mo, d, h, mi, s].some((v) => v === undefined || !Number.isInteger(v))) return undefined;
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 24 || mi! > 59 || s! > 61) return undefined;
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, Math.min(s!, 59));
}

/**
 * Offset of local time from UTC in ms for the standard-time part of a POSIX TZ string (`CST-8` → +8 h, `EST5EDT`
 * → −5 h; the sign is inverted by POSIX). Undefined when the string is not POSIX-shaped.
 */
export function posixTzOffsetMs(tz: string): number | undefined {
  const m = /^\s*(?:[A-Za-z]{3,}|<[^>]{1,16}>)([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(tz);
  if (!m) return undefined;
  const sign = m[1] === '-' ? 1 : -1;
  return sign * ((Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 1000;
}

export function parseSystemDateAndTime(body: Tree): DeviceClock {
  const sdt = path(responseElement(body, 'GetSystemDateAndTimeResponse'), 'SystemDateAndTime');
  const dateTimeType = text(sdt, 'DateTimeType');
  const timeZone = text(sdt, 'TimeZone', 'TZ');
  const extra = { ...(dateTimeType ? { dateTimeType } : {}), ...(timeZone ? { timeZone } : {}) };
  const utc = dateTime(path(sdt, 'UTCDateTime'));
  if (utc !== undefined) return { utc: new Date(utc), ...extra };
  const local = dateTime(path(sdt, 'LocalDateTime'));
  if (local !== undefined) {
    const off = timeZone ? posixTzOffsetMs(timeZone) : undefined;
    return { utc: new Date(local - (off ?? 0)), ...extra, fromLocal: true };
  }
  throw new OnvifError('BAD_RESPONSE', 'GetSystemDateAndTime answer has neither UTCDateTime nor LocalDateTime');
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export function parseDeviceInformation(body: Tree): DeviceInformation {
  const r = responseElement(body, 'GetDeviceInformationResponse');
  return {
    manufacturer: text(r, 'Manufacturer') ?? '',
    model: text(r, 'Model') ?? '',
    firmwareVersion: text(r, 'FirmwareVersion') ?? '',
    serialNumber: text(r, 'SerialNumber') ?? '',
    hardwareId: text(r, 'HardwareId') ?? '',
  };
}

/** Service addresses. GetCapabilities gives media/ptz/events/imaging/device; GetServices also gives Media2. */
export interface ServiceAddresses {
  deviceXaddr?: string;
  mediaXaddr?: string;
  media2Xaddr?: string;
  ptzXaddr?: string;
  eventsXaddr?: string;
  imagingXaddr?: string;
}

function xaddr(caps: unknown, ...names: string[]): string | undefined {
  const t = text(caps, ...names, 'XAddr');
  return t && /^https?:\/\//i.test(t) ? t : undefined;
}

export function parseCapabilities(body: Tree): ServiceAddresses {
  const caps = path(responseElement(body, 'GetCapabilitiesResponse'), 'Capabilities');
  const out: ServiceAddresses = {};
  const set = (k: keyof ServiceAddresses, v: string | undefined) => {
    if (v) out[k] = v;
  };
  set('deviceXaddr', xaddr(caps, 'Device'));
  set('mediaXaddr', xaddr(caps, 'Media'));
  set('ptzXaddr', xaddr(caps, 'PTZ'));
  set('eventsXaddr', xaddr(caps, 'Events'));
  set('imagingXaddr', xaddr(caps, 'Imaging'));
  return out;
}

export interface ServiceEntry {
  namespace: string;
  xaddr: string;
  version?: string;
}

export function parseServices(body: Tree): ServiceEntry[] {
  const r = responseElement(body, 'GetServicesResponse');
  const out: ServiceEntry[] = [];
  for (const s of children(r, 'Service')) {
    const namespace = text(s, 'Namespace');
    const x = text(s, 'XAddr');
    if (!namespace || !x) continue;
    const major = text(s, 'Version', 'Major');
    const minor = text(s, 'Version', 'Minor');
    out.push({ namespace, xaddr: x, ...(major !== undefined ? { version: `${major}.${minor ?? '0'}` } : {}) });
  }
  return out;
}

/** GetServices entries → the same addresses GetCapabilities gives (plus Media2). */
export function servicesToAddresses(list: ServiceEntry[]): ServiceAddresses {
  const by = (ns: string) => list.find((s) => s.namespace.trim() === ns)?.xaddr;
  const out: ServiceAddresses = {};
  const pairs: [keyof ServiceAddresses, string][] = [
    ['deviceXaddr', NS.tds],
    ['mediaXaddr', NS.trt],
    ['media2Xaddr', NS.tr2],
    ['ptzXaddr', NS.tptz],
    ['eventsXaddr', NS.tev],
    ['imagingXaddr', NS.timg],
  ];
  for (const [k, ns] of pairs) {
    const v = by(ns);
    if (v) out[k] = v;
  }
  return out;
}
