import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildCatalogResponses,
  buildDeviceControl,
  decodeManscdp,
  ManscdpError,
  parseAlarm,
  parseCatalog,
  parseConfigDownload,
  parseControlResponse,
  parseDeviceControl,
  parseDeviceInfo,
  parseDeviceStatus,
  parseKeepalive,
  parseMediaStatus,
  parseMobilePosition,
  parsePresetList,
  parseRecordInfo,
  parseRecordInfoQuery,
  type ManscdpMessage,
} from '../../../src/lib/manscdp/index.js';
import { decodePtz, PtzError } from '../../../src/lib/ptz/index.js';
import { fixture, fixtureNames } from './fixtures.js';

// Bounded mutation fuzzing of the decoder: every mutated body must decode or throw ManscdpError, quickly.
// Deterministic per seed; FUZZ_SEED and FUZZ_MS override the defaults.
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed28181);
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 2500);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '<', '>', '&', '</', '/>', '"', "'", '=', '\0', '\r\n', ' ', '\t',
  '<!DOCTYPE x [<!ENTITY a "b">]>', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>', '<?', '?>',
  '<Item>', '</Item>', '<SN>', '</SN>', '<SN>99999999999999999999</SN>', '<CmdType>', '</CmdType>', '<DeviceList Num=3>',
  'encoding="UTF-8"', 'encoding="GB2312"', 'encoding="bogus"', '&#x0;', '&#xD800;', '&#1114112;', '&amp;', '&lt;', '&foo;',
  '<__proto__>', '<constructor>', '<Info>', '</Info>', '\xef\xbb\xbf', '\xff\xfe', '\xb6\xab', '\xe4\xb8', '\x81\x30\x81\x30',
].map((t) => Buffer.from(t, 'latin1'));

function mutate(src: Buffer, r: () => number): Buffer {
  let b = Buffer.from(src);
  const pos = (len = b.length) => Math.floor(r() * (len + 1));
  const rounds = 1 + Math.floor(r() * 4);
  for (let k = 0; k < rounds; k++) {
    const op = Math.floor(r() * 9);
    if (op === 0 && b.length) {
      const i = Math.floor(r() * b.length);
      b[i] ^= 1 << Math.floor(r() * 8);
    } else if (op === 1 && b.length) {
      b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    } else if (op === 2) {
      const p = pos();
      b = Buffer.concat([b.subarray(0, p), TOKENS[Math.floor(r() * TOKENS.length)], b.subarray(p)]);
    } else if (op === 3) {
      const p = pos();
      const n = Math.floor(r() * 32);
      b = Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + n))]);
    } else if (op === 4) {
      b = b.subarray(0, pos());
    } else if (op === 5) {
      const p = pos();
      const q = pos();
      const chunk = b.subarray(Math.min(p, q), Math.max(p, q));
      const at = pos();
      b = Buffer.concat([b.subarray(0, at), chunk, b.subarray(at)]);
    } else if (op === 6) {
      // Repeat a chunk many times: deep nesting, huge lists, bodies over the size cap.
      const p = pos();
      const chunk = b.subarray(p, Math.min(b.length, p + 1 + Math.floor(r() * 40)));
      const times = Math.floor(r() * (r() < 0.1 ? 60_000 : 300));
      const at = pos();
      b = Buffer.concat([b.subarray(0, at), Buffer.concat(Array(times).fill(chunk)), b.subarray(at)]);
    } else if (op === 7) {
      const n = Math.floor(r() * 16);
      const rnd = Buffer.alloc(n);
      for (let i = 0; i < n; i++) rnd[i] = Math.floor(r() * 256);
      const p = pos();
      b = Buffer.concat([b.subarray(0, p), rnd, b.subarray(p)]);
    } else {
      b = Buffer.from(b.toString('latin1').replace(/<(\/?)([A-Za-z]+)/, (_, s: string, n: string) => `<${s}${r() < 0.5 ? n.toLowerCase() : n + 'x'}`), 'latin1');
    }
    if (b.length > 1_300_000) b = b.subarray(0, 1_300_000);
  }
  return b;
}

const PARSERS: Record<string, ((m: ManscdpMessage) => unknown)[]> = {
  catalog: [parseCatalog],
  recordinfo: [parseRecordInfo, parseRecordInfoQuery],
  deviceinfo: [parseDeviceInfo],
  devicestatus: [parseDeviceStatus],
  keepalive: [parseKeepalive],
  alarm: [parseAlarm],
  mobileposition: [parseMobilePosition],
  mediastatus: [parseMediaStatus],
  presetquery: [parsePresetList],
  configdownload: [parseConfigDownload],
  devicecontrol: [parseControlResponse, parseDeviceControl],
};

function checkMessage(m: ManscdpMessage): void {
  assert.ok(['Query', 'Response', 'Notify', 'Control'].includes(m.root));
  assert.ok(typeof m.cmdType === 'string' && m.cmdType.trim() !== '');
  assert.ok(Number.isSafeInteger(m.sn) && m.sn >= 0);
  assert.equal(typeof m.deviceId, 'string');
  assert.ok(typeof m.body === 'object' && m.body !== null);
  for (const parse of PARSERS[m.cmdType.toLowerCase()] ?? []) {
    try {
      const out = parse(m);
      if (parse === parseDeviceControl) {
        for (const c of out as ReturnType<typeof parseDeviceControl>) {
          if (c.type !== 'PTZCmd') continue;
          try {
            decodePtz(c.value);
          } catch (e) {
            assert.ok(e instanceof PtzError, String(e));
          }
        }
      }
    } catch (e) {
      assert.ok(e instanceof ManscdpError, `typed parser threw ${String(e)}`);
    }
  }
}

test('fuzz: mutated fixtures decode or throw ManscdpError, never hang', { timeout: 60_000 }, () => {
  const corpus = [
    ...fixtureNames().map(fixture),
    ...buildCatalogResponses(1, 'p', [{ deviceId: 'a', name: '名称', ptzType: 1, streamNumberList: [0, 1] }], 5),
    buildDeviceControl(2, 'd', { type: 'DragZoomIn', length: 1, width: 2, midPointX: 3, midPointY: 4, lengthX: 5, lengthY: 6 }),
  ];
  const r = rng(SEED);
  const started = performance.now();
  let runs = 0;
  let decoded = 0;
  const codes = new Map<string, number>();
  let slowest = 0;
  // at least 300 mutations whatever the machine's load, more while the time budget lasts
  while (runs < 300 || performance.now() - started < BUDGET_MS) {
    const input = mutate(corpus[Math.floor(r() * corpus.length)], r);
    const t0 = performance.now();
    try {
      checkMessage(decodeManscdp(input));
      decoded++;
    } catch (e) {
      if (!(e instanceof ManscdpError)) {
        assert.fail(`seed ${SEED} run ${runs}: ${String(e)}\ninput (base64): ${input.subarray(0, 4096).toString('base64')}`);
      }
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    const dt = performance.now() - t0;
    slowest = Math.max(slowest, dt);
    assert.ok(dt < 2000, `seed ${SEED} run ${runs}: one decode took ${dt.toFixed(0)} ms; input (base64): ${input.subarray(0, 4096).toString('base64')}`);
    runs++;
  }
  assert.ok(decoded > 0 && codes.size >= 3, `decoded ${decoded}, codes ${[...codes.keys()].join(',')}`);
});

test('fuzz: random bytes and PTZ strings', () => {
  const r = rng(SEED ^ 0xabcdef);
  for (let i = 0; i < 3000; i++) {
    const n = Math.floor(r() * 200);
    const b = Buffer.alloc(n);
    for (let j = 0; j < n; j++) b[j] = Math.floor(r() * 256);
    try {
      checkMessage(decodeManscdp(b));
    } catch (e) {
      assert.ok(e instanceof ManscdpError, String(e));
    }
    const hex = Array.from({ length: 16 }, () => '0123456789ABCDEFa5'[Math.floor(r() * 18)]).join('');
    try {
      decodePtz(r() < 0.5 ? 'A50F01' + hex.slice(6) : hex);
    } catch (e) {
      assert.ok(e instanceof PtzError, String(e));
    }
  }
});
