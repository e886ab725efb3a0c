import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildUrl, filenameFromDisposition, http, onUnauthorized, request, setToken } from './http';

function respond(status: number, body?: unknown, headers: Record<string, string> = {}) {
  return new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

describe('http client', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
    setToken(null);
    onUnauthorized(null);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('builds urls under /api/v1 and drops empty query values', () => {
    expect(buildUrl('/devices', { q: 'gate', online: '', orgId: undefined, page: 2, x: null })).toBe('/api/v1/devices?q=gate&page=2');
    expect(buildUrl('/health')).toBe('/api/v1/health');
  });

  it('sends the bearer token and JSON body', async () => {
    setToken('tok123');
    expect(localStorage.getItem('sharpeye.token')).toBe('tok123');
    fetchMock.mockResolvedValue(respond(200, { id: 'x' }));
    const res = await http.post<{ id: string }>('/orgs', { name: 'a' });
    expect(res).toEqual({ id: 'x' });
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/v1/orgs');
    expect(init.method).toBe('POST');
    expect(init.headers.Authorization).toBe('Bearer tok123');
    expect(init.headers['Content-Type']).toBe('application/json');
    expect(init.body).toBe('{"name":"a"}');
  });

  it('does not set a JSON content type for multipart uploads', async () => {
    fetchMock.mockResolvedValue(respond(200, { imported: 1, updated: 0 }));
    await http.upload('/devices/import', new Blob(['a,b']), 'd.csv');
    const [, init] = fetchMock.mock.calls[0]!;
    expect(init.body).toBeInstanceOf(FormData);
    expect(init.headers['Content-Type']).toBeUndefined();
    expect(init.headers.Authorization).toBeUndefined();
  });

  it('maps API errors to ApiError with code, message and details', async () => {
    fetchMock.mockResolvedValue(respond(400, { code: 'IMPORT_INVALID', message: 'bad rows', details: [{ row: 2 }] }));
    const err = await http.get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'IMPORT_INVALID', message: 'bad rows', details: [{ row: 2 }] });
  });

  it('copes with non-JSON error bodies', async () => {
    fetchMock.mockResolvedValue(new Response('oops', { status: 502, statusText: 'Bad Gateway' }));
    const err = (await http.get('/x').catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('HTTP_502');
    expect(err.message).toBe('Bad Gateway');
  });

  it('calls the 401 handler, except for requests that opt out', async () => {
    const handler = vi.fn();
    onUnauthorized(handler);
    fetchMock.mockImplementation(async () => respond(401, { code: 'AUTH_REQUIRED', message: 'no' }));
    await expect(http.get('/auth/me')).rejects.toThrow('no');
    expect(handler).toHaveBeenCalledTimes(1);
    await expect(request('POST', '/auth/login', { body: {}, noAuthRedirect: true })).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('returns undefined for 204', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    await expect(http.del('/users/1')).resolves.toBeUndefined();
  });

  it('turns network failures into NETWORK_ERROR', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(http.get('/x')).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
  });

  it('reads download file names from Content-Disposition', () => {
    expect(filenameFromDisposition('attachment; filename="devices.csv"', 'x')).toBe('devices.csv');
    expect(filenameFromDisposition("attachment; filename*=UTF-8''%E8%AE%BE%E5%A4%87.xlsx", 'x')).toBe('设备.xlsx');
    expect(filenameFromDisposition(null, 'fallback.csv')).toBe('fallback.csv');
  });
});
