import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { buildProbe, describeScopes, parseProbeMatches, WSD_MULTICAST_ADDRESS, WSD_PORT, type ProbeType } from '../lib/onvif/index.js';

export interface DiscoveredDevice {
  /** Device service addresses; those on the answering address first, then IPv4 literals, then the rest. */
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** EndpointReference address (`urn:uuid:…`): the stable identity of the device across address changes. */
  endpoint: string;
  /** IP address the ProbeMatches came from. */
  from: string;
  /** From the scopes, percent-decoded: `onvif://www.onvif.org/name/…` and `/hardware/…`. */
  name?: string;
  hardware?: string;
}

export interface DiscoverOptions {
  /** How long to collect answers (default 3000 ms; ONVIF devices answer within APP_MAX_DELAY = 500 ms). */
  timeoutMs?: number;
  /** Local IPv4 address to send from (selects the interface for multicast). */
  interfaceAddress?: string;
  /** Where to send the Probe: the WS-Discovery group by default, or one device's address (unicast probe). */
  address?: string;
  port?: number;
  /** Probe types, one Probe each (default NetworkVideoTransmitter and Device: NVRs often answer only the latter). */
  types?: ProbeType[];
  /** Each Probe is sent this many times, 250 ms apart, against UDP loss (default 2). */
  repeat?: number;
  /** Socket to use (tests); it is bound, used and closed by `discover`. */
  socketFactory?: () => Socket;
}

function hostOf(xaddr: string): string {
  try {
    return new URL(xaddr).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

function orderXaddrs(xaddrs: string[], from: string): string[] {
  const rank = (x: string) => {
    const h = hostOf(x);
    return h === from ? 0 : isIP(h) === 4 ? 1 : 2;
  };
  return [...new Set(xaddrs)].map((x, i) => ({ x, i, r: rank(x) })).sort((a, b) => a.r - b.r || a.i - b.i).map((e) => e.x);
}

/**
 * WS-Discovery: sends Probes (to 239.255.255.250:3702 by default) and collects ProbeMatches until the timeout.
 * Devices are merged by endpoint (by first xaddr when a device sends no endpoint). Resolves with what arrived;
 * rejects only when the socket cannot be bound.
 */
export function discover(opts: DiscoverOptions = {}): Promise<DiscoveredDevice[]> {
  const timeoutMs = Math.max(50, opts.timeoutMs ?? 3000);
  const address = opts.address ?? WSD_MULTICAST_ADDRESS;
  const port = opts.port ?? WSD_PORT;
  const types = opts.types?.length ? opts.types : (['dn:NetworkVideoTransmitter', 'tds:Device'] as ProbeType[]);
  const repeat = Math.max(1, Math.min(5, opts.repeat ?? 2));
  const probes = types.map((t) => Buffer.from(buildProbe(t).xml, 'utf8'));
  const found = new Map<string, DiscoveredDevice>();
  const sock = opts.socketFactory ? opts.socketFactory() : createSocket({ type: 'udp4', reuseAddr: true });

  return new Promise<DiscoveredDevice[]>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let bound = false;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve([...found.values()]);
    };

    sock.on('error', (e) => {
      // Before bind: fatal. After: a send to an unreachable interface must not end the collection.
      if (!bound) finish(e);
    });
    sock.on('message', (msg, rinfo) => {
      for (const m of parseProbeMatches(msg)) {
        const key = m.endpoint || m.xaddrs[0] || rinfo.address;
        const prev = found.get(key);
        const info = describeScopes(m.scopes);
        const merged: DiscoveredDevice = {
          xaddrs: orderXaddrs([...(prev?.xaddrs ?? []), ...m.xaddrs], rinfo.address),
          scopes: [...new Set([...(prev?.scopes ?? []), ...m.scopes])],
          types: [...new Set([...(prev?.types ?? []), ...m.types])],
          endpoint: m.endpoint,
          from: prev?.from ?? rinfo.address,
          ...(info.name ? { name: info.name } : prev?.name ? { name: prev.name } : {}),
          ...(info.hardware ? { hardware: info.hardware } : prev?.hardware ? { hardware: prev.hardware } : {}),
        };
        found.set(key, merged);
      }
    });

    const send = () => {
      for (const p of probes) sock.send(p, port, address, () => undefined);
    };
    sock.bind({ port: 0, ...(opts.interfaceAddress ? { address: opts.interfaceAddress } : {}) }, () => {
      bound = true;
      try {
        if (opts.interfaceAddress) sock.setMulticastInterface(opts.interfaceAddress);
        sock.setMulticastTTL(1); // WS-Discovery: the Probe stays on the local link
      } catch {
        // not supported by a test socket, or no multicast on this host: unicast probing still works
      }
      send();
      for (let i = 1; i < repeat; i++) timers.push(setTimeout(send, Math.min(250 * i, timeoutMs / 2)));
      timers.push(setTimeout(() => finish(), timeoutMs));
    });
  });
}
