import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildProbe, describeScopes, OnvifError, parseProbeMatches } from '../../../src/lib/onvif/index.js';

const DIR = fileURLToPath(new URL('../../fixtures/onvif/', import.meta.url));
const fx = (name: string) => readFileSync(DIR + name);

test('buildProbe: WS-Discovery 2005/04 Probe for NetworkVideoTransmitter with declared prefix', () => {
  const { xml, messageId } = buildProbe('dn:NetworkVideoTransmitter', 'urn:uuid:00000000-0000-4000-8000-000000000001');
  assert.equal(messageId, 'urn:uuid:00000000-0000-4000-8000-000000000001');
  assert.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(xml);
  const env = doc['s:Envelope'];
  assert.equal(env['@_xmlns:s'], 'http://www.w3.org/2003/05/soap-envelope');
  assert.equal(env['@_xmlns:a'], 'http://schemas.xmlsoap.org/ws/2004/08/addressing');
  assert.equal(env['@_xmlns:d'], 'http://schemas.xmlsoap.org/ws/2005/04/discovery');
  assert.equal(env['@_xmlns:dn'], 'http://www.onvif.org/ver10/network/wsdl');
  assert.equal(env['s:Header']['a:Action']['#text'], 'http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe');
  assert.equal(env['s:Header']['a:MessageID'], messageId);
  assert.equal(env['s:Header']['a:To']['#text'], 'urn:schemas-xmlsoap-org:ws:2005:04:discovery');
  assert.equal(env['s:Header']['a:ReplyTo']['a:Address'], 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous');
  assert.equal(env['s:Body']['d:Probe']['d:Types'], 'dn:NetworkVideoTransmitter');
  assert.equal(buildProbe('tds:Device').xml.includes('<d:Types>tds:Device</d:Types>'), true);
  assert.match(buildProbe().messageId, /^urn:uuid:[0-9a-f-]{36}$/);
  assert.throws(() => buildProbe('x:Y' as never), (e) => e instanceof OnvifError && e.code === 'INVALID_ARGUMENT');
});

test('Hikvision ProbeMatches: multi-line scopes, IPv6 + IPv4 XAddrs, AppSequence header', () => {
  assert.deepEqual(parseProbeMatches(fx('hikvision/ProbeMatches.xml')), [
    {
      endpoint: 'urn:uuid:a1b2c3d4-e5f6-11ee-8c90-c056e3a1b2c3',
      types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
      scopes: [
        'onvif://www.onvif.org/type/video_encoder',
        'onvif://www.onvif.org/Profile/Streaming',
        'onvif://www.onvif.org/Profile/G',
        'onvif://www.onvif.org/Profile/T',
        'onvif://www.onvif.org/type/audio_encoder',
        'onvif://www.onvif.org/type/ptz',
        'onvif://www.onvif.org/hardware/DS-2DE2A404IW-DE3',
        'onvif://www.onvif.org/name/HIKVISION%20DS-2DE2A404IW-DE3',
        'onvif://www.onvif.org/location/city/hangzhou',
      ],
      xaddrs: ['http://[fe80::c256:e3ff:fea1:b2c3]/onvif/device_service', 'http://192.168.1.64/onvif/device_service'],
      metadataVersion: 10,
      relatesTo: 'urn:uuid:0b5e7d3e-9a44-4c64-9f0a-2d7c1f4e8a11',
    },
  ]);
});

test('Dahua ProbeMatches: compact, `a:` addressing prefix, RelatesTo not echoing our MessageID', () => {
  assert.deepEqual(parseProbeMatches(fx('dahua/ProbeMatches.xml')), [
    {
      endpoint: 'uuid:7c9e1f2a-83d4-4b6e-a5f0-0012f1e3d4c5',
      types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
      scopes: [
        'onvif://www.onvif.org/location/country/china',
        'onvif://www.onvif.org/name/Dahua',
        'onvif://www.onvif.org/hardware/DH-SD49225XA-HNR',
        'onvif://www.onvif.org/Profile/Streaming',
        'onvif://www.onvif.org/type/Network_Video_Transmitter',
        'onvif://www.onvif.org/extension/unique_identifier/1',
        'onvif://www.onvif.org/Profile/T',
      ],
      xaddrs: ['http://192.168.1.108/onvif/device_service'],
      metadataVersion: 1,
      relatesTo: 'uuid:Device',
    },
  ]);
});

test('describeScopes decodes name/hardware/location/profiles', () => {
  assert.deepEqual(describeScopes(parseProbeMatches(fx('hikvision/ProbeMatches.xml'))[0].scopes), {
    name: 'HIKVISION DS-2DE2A404IW-DE3',
    hardware: 'DS-2DE2A404IW-DE3',
    location: 'hangzhou',
    profiles: ['Streaming', 'G', 'T'],
  });
  assert.deepEqual(describeScopes(['onvif://www.onvif.org/Name/IPCAM', 'onvif://www.onvif.org/Model/631GA', 'onvif://www.onvif.org/name/%E0%A4', 'x']), { name: 'IPCAM', hardware: '631GA', profiles: [] });
});

test('parseProbeMatches: anything but ProbeMatches gives []', () => {
  assert.deepEqual(parseProbeMatches(buildProbe().xml), []);
  assert.deepEqual(parseProbeMatches(Buffer.from([0xff, 0x00, 0x3c])), []);
  assert.deepEqual(parseProbeMatches('<Envelope><Body><ProbeMatches><ProbeMatch><XAddrs>ftp://x</XAddrs></ProbeMatch></ProbeMatches></Body></Envelope>'), []);
  assert.deepEqual(parseProbeMatches('not xml at all <'), []);
});
