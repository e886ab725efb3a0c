import { describe, expect, it } from 'vitest';
import { deviceToForm, formToPayload } from './deviceForm';
import { channelPayload, channelToForm } from './channelForm';
import { gbTypeCode } from './payload';
import { passwordProblems } from './password';
import { logQuery } from './logQuery';
import { orgIdPattern } from './orgId';
import { importErrors } from './errors';
import { ApiError } from '../api/http';

describe('device form', () => {
  it('create payload drops empty fields and keeps all capabilities', () => {
    const f = deviceToForm(null);
    Object.assign(f, { id: '34020000001320000001', name: ' Gate ', longitude: 116.4, latitude: 39.9, siteCategory: 'school', installDate: '2024-05-01' });
    f.capabilities.ir = true;
    const body = formToPayload(f, 'create');
    expect(body).toMatchObject({ id: '34020000001320000001', name: 'Gate', longitude: 116.4, latitude: 39.9, siteCategory: 'school', installDate: '2024-05-01', transport: 'udp' });
    expect(body).not.toHaveProperty('source');
    expect(body.capabilities).toEqual({ ir: true, lowLight: false, wdr: false, gps: false, ptz: false, faceCapture: false });
    expect(body).not.toHaveProperty('manufacturer');
    expect(body).not.toHaveProperty('password');
    expect(body).not.toHaveProperty('port');
  });

  it('update payload clears emptied fields with null and never sends the id', () => {
    const f = deviceToForm(null);
    Object.assign(f, { id: '34020000001320000001', name: 'Gate', remark: '' });
    const body = formToPayload(f, 'update') as Record<string, unknown>;
    expect(body).not.toHaveProperty('id');
    expect(body.remark).toBeNull();
    expect(body.longitude).toBeNull();
    expect(body).not.toHaveProperty('password');
    f.password = 'x';
    expect((formToPayload(f, 'update') as Record<string, unknown>).password).toBe('x');
  });
});

describe('channel form', () => {
  it('maps ptzType strings to numbers and builds bodies', () => {
    const f = channelToForm({ ptzType: '3', capabilities: { ptz: true } } as never, null);
    expect(f.ptzType).toBe(3);
    expect(f.capabilities.ptz).toBe(true);
    const c = channelToForm(null, '34020000001320000001');
    c.id = '34020000001310000001';
    c.name = 'cam';
    const body = channelPayload(c, 'create');
    expect(body).toMatchObject({ id: '34020000001310000001', deviceId: '34020000001320000001', name: 'cam', sensitive: false });
    expect(body).not.toHaveProperty('orgId');
  });
});

describe('misc helpers', () => {
  it('gbTypeCode reads digits 11-13', () => {
    expect(gbTypeCode('34020000001320000001')).toBe('132');
    expect(gbTypeCode('123')).toBeNull();
  });

  it('password policy mirrors the server', () => {
    expect(passwordProblems('Admin@12345', 'op1')).toEqual([]);
    expect(passwordProblems('short1A', '')).toEqual(['length']);
    expect(passwordProblems('alllowercase', '')).toEqual(['classes']);
    expect(passwordProblems('Op1user#2024', 'op1user')).toEqual(['username']);
  });

  it('log filters map to each endpoint', () => {
    const f = { range: null, who: ' op1 ', what: 'auth.login', q: '' };
    expect(logQuery('user', f)).toMatchObject({ username: 'op1', action: 'auth.login', q: undefined });
    expect(logQuery('device', f)).toMatchObject({ deviceId: 'op1', event: 'auth.login' });
    expect(logQuery('alarm', f)).toMatchObject({ deviceId: 'op1', type: 'auth.login' });
    const ranged = logQuery('user', { ...f, range: [new Date('2024-01-01T00:00:00Z'), new Date('2024-01-02T00:00:00Z')] });
    expect(ranged.from).toBe('2024-01-01T00:00:00.000Z');
    expect(ranged.to).toBe('2024-01-02T00:00:00.000Z');
  });

  it('org id patterns follow the org type', () => {
    expect(orgIdPattern('region').test('110101')).toBe(true);
    expect(orgIdPattern('region').test('1')).toBe(false);
    expect(orgIdPattern('business_group').test('34020000002150000001')).toBe(true);
    expect(orgIdPattern('business_group').test('34020000002160000001')).toBe(false);
    expect(orgIdPattern('virtual_org').test('34020000002160000001')).toBe(true);
  });

  it('import errors come from details', () => {
    const e = new ApiError(400, 'IMPORT_INVALID', 'bad', [{ row: 3, column: '设备编码', message: 'invalid' }, null]);
    expect(importErrors(e)).toEqual([
      { row: 3, column: '设备编码', message: 'invalid' },
      { row: '', column: '', message: '' },
    ]);
    expect(importErrors(new Error('x'))).toEqual([]);
  });
});
