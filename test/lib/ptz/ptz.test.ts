import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePtz, encodePtz, PtzError, type PtzCommand } from '../../../src/lib/ptz/index.js';

// Command strings as published by integrators and seen on the wire (e.g. the CSDN note "GB28181协议-PTZCmd编码规则",
// whose up/down/left/right/zoom/preset strings match platform captures), each paired with its meaning.
const published: [string, PtzCommand][] = [
  ['A50F0100000000B5', { kind: 'ptz' }],
  ['A50F01011F0000D5', { pan: 'right', panSpeed: 0x1f }],
  ['A50F01021F0000D6', { pan: 'left', panSpeed: 0x1f }],
  ['A50F0104001F00D8', { tilt: 'down', tiltSpeed: 0x1f }],
  ['A50F0108001F00DC', { tilt: 'up', tiltSpeed: 0x1f }],
  ['A50F0110000010D5', { zoom: 'in', zoomSpeed: 1 }],
  ['A50F0120000010E5', { zoom: 'out', zoomSpeed: 1 }],
  ['A50F010AFAFA00B3', { pan: 'left', tilt: 'up', panSpeed: 0xfa, tiltSpeed: 0xfa }],
  ['A50F0105FAFA00AE', { pan: 'right', tilt: 'down', panSpeed: 0xfa, tiltSpeed: 0xfa }],
  ['A50F018100010037', { kind: 'preset', action: 'set', index: 1 }],
  ['A50F018200010038', { kind: 'preset', action: 'call', index: 1 }],
  ['A50F018300010039', { kind: 'preset', action: 'delete', index: 1 }],
  ['A50F01830003003B', { kind: 'preset', action: 'delete', index: 3 }],
  ['A50F014120000016', { kind: 'fi', focus: 'far', focusSpeed: 0x20 }],
  ['A50F014220000017', { kind: 'fi', focus: 'near', focusSpeed: 0x20 }],
  ['A50F014400200019', { kind: 'fi', iris: 'open', irisSpeed: 0x20 }],
  ['A50F01480020001D', { kind: 'fi', iris: 'close', irisSpeed: 0x20 }],
  ['A50F0140000000F5', { kind: 'fi' }],
  ['A50F018804000041', { kind: 'cruise', action: 'start', group: 4 }],
  ['A50F018C01000042', { kind: 'aux', action: 'on', index: 1 }],
  ['A50F018D01000043', { kind: 'aux', action: 'off', index: 1 }],
  ['A50F018905000043', { kind: 'scan', action: 'start', group: 5 }],
  ['A50F018905010044', { kind: 'scan', action: 'left', group: 5 }],
  ['A50F018905020045', { kind: 'scan', action: 'right', group: 5 }],
  ['A50F018A05E8305C', { kind: 'scan', action: 'speed', group: 5, speed: 1000 }],
];

test('encodePtz reproduces published command strings', () => {
  for (const [hex, cmd] of published) assert.equal(encodePtz(cmd), hex, JSON.stringify(cmd));
});

test('decodePtz reads published command strings back to the same command', () => {
  for (const [hex, cmd] of published) {
    const decoded = decodePtz(hex);
    assert.equal(encodePtz(decoded), hex);
    assert.equal(decoded.address, 1);
    for (const [k, v] of Object.entries(cmd)) assert.deepEqual((decoded as Record<string, unknown>)[k], v, `${hex} ${k}`);
    if (cmd.kind === undefined) assert.equal(decoded.kind, 'ptz');
  }
  assert.deepEqual(decodePtz('A50F0100000000B5'), { kind: 'ptz', address: 1, panSpeed: 0, tiltSpeed: 0, zoomSpeed: 0 });
});

test('byte 2 is version 0 with check nibble (A+5+0)%16 = F, checksum is the sum of bytes 1–7 (§A.3.1)', () => {
  const hex = encodePtz({ pan: 'right', tilt: 'up', zoom: 'in', panSpeed: 200, tiltSpeed: 100, zoomSpeed: 15 });
  assert.equal(hex.slice(0, 4), 'A50F');
  const bytes = Buffer.from(hex, 'hex');
  assert.equal(bytes[3], 0x19);
  assert.equal(bytes[6], 0xf0);
  assert.equal(bytes[7], [...bytes.subarray(0, 7)].reduce((a, b) => a + b, 0) % 256);
});

test('cruise speed/dwell and the address use the 12-bit split of byte 7', () => {
  const hex = encodePtz({ kind: 'cruise', action: 'dwell', group: 2, seconds: 0xabc, address: 0x123 });
  assert.equal(hex.slice(4, 14), '238702BCA1');
  assert.deepEqual(decodePtz(hex), { kind: 'cruise', action: 'dwell', group: 2, seconds: 0xabc, address: 0x123 });
  assert.deepEqual(decodePtz(encodePtz({ kind: 'cruise', action: 'speed', group: 1, speed: 4095 })), {
    kind: 'cruise', action: 'speed', group: 1, speed: 4095, address: 1,
  });
  assert.deepEqual(decodePtz(encodePtz({ kind: 'cruise', action: 'add', group: 1, preset: 3 })), {
    kind: 'cruise', action: 'add', group: 1, preset: 3, address: 1,
  });
  assert.equal(encodePtz({ kind: 'cruise', action: 'delete', group: 2, preset: 0 }), 'A50F01850200003C');
});

test('every encodable command decodes to itself (exhaustive over speeds and bits)', () => {
  for (let bits = 0; bits < 64; bits++) {
    if ((bits & 3) === 3 || (bits & 12) === 12 || (bits & 48) === 48) continue;
    for (const s of [0, 1, 0x7f, 0xff]) {
      const cmd: PtzCommand = {
        kind: 'ptz',
        address: 1,
        ...(bits & 1 ? { pan: 'right' } : bits & 2 ? { pan: 'left' } : {}),
        ...(bits & 4 ? { tilt: 'down' } : bits & 8 ? { tilt: 'up' } : {}),
        ...(bits & 16 ? { zoom: 'in' } : bits & 32 ? { zoom: 'out' } : {}),
        panSpeed: s,
        tiltSpeed: 255 - s,
        zoomSpeed: s & 15,
      };
      assert.deepEqual(decodePtz(encodePtz(cmd)), cmd);
    }
  }
});

test('decodePtz rejects malformed strings with typed errors', () => {
  const code = (hex: string) => {
    try {
      decodePtz(hex);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof PtzError);
      return e.code;
    }
  };
  assert.equal(code('a50f0100000000b5'), 'ok');
  assert.equal(code(' A50F0100000000B5 '), 'ok');
  assert.equal(code('A50F0100000000B6'), 'CHECKSUM');
  assert.equal(code('A50E0100000000B4'), 'CHECKSUM');
  assert.equal(code('A50F01000000B5'), 'MALFORMED');
  assert.equal(code('B50F0100000000C5'), 'MALFORMED');
  assert.equal(code('A50F01ZZ000000B5'), 'MALFORMED');
  assert.equal(code('A50F010300000000B8'), 'MALFORMED');
  assert.equal(code('A50F0103000000B8'), 'INVALID_COMBINATION');
  assert.equal(code('A50F0143000000F8'), 'INVALID_COMBINATION');
  assert.equal(code('A50F018B00000040'), 'UNKNOWN_INSTRUCTION');
  assert.equal(code('A50F018905030046'), 'UNKNOWN_INSTRUCTION');
  assert.equal(code(undefined as unknown as string), 'MALFORMED');
});

test('encodePtz rejects out-of-range values', () => {
  const bad: PtzCommand[] = [
    { pan: 'left', panSpeed: 256 },
    { zoom: 'in', zoomSpeed: 16 },
    { tiltSpeed: -1 },
    { panSpeed: 1.5 },
    { kind: 'preset', action: 'call', index: 0 },
    { kind: 'preset', action: 'call', index: 256 },
    { kind: 'cruise', action: 'speed', group: 1, speed: 4096 },
    { kind: 'scan', action: 'start', group: 300 },
    { kind: 'ptz', address: 0x1000 },
    { pan: 'up' } as unknown as PtzCommand,
    { kind: 'nope' } as unknown as PtzCommand,
  ];
  for (const c of bad) assert.throws(() => encodePtz(c), (e: unknown) => e instanceof PtzError && e.code === 'RANGE', JSON.stringify(c));
});
