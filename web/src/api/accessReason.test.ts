import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { http, onReasonRequired, setToken } from './http';
import { formatDuration } from './viewAudit';

const respond = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('sensitive channels: a reason is asked and the request sent again', () => {
  const fetchMock = vi.fn();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
    setToken('tok');
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    onReasonRequired(null);
  });

  it('retries once with X-Access-Reason (URL-encoded) after SENSITIVE_REASON_REQUIRED', async () => {
    const ask = vi.fn().mockResolvedValue('案件 118');
    onReasonRequired(ask);
    fetchMock.mockResolvedValueOnce(respond(400, { code: 'SENSITIVE_REASON_REQUIRED', message: 'give a reason' })).mockResolvedValueOnce(respond(200, { flv: 'x' }));
    expect(await http.post('/channels/1/live', {})).toEqual({ flv: 'x' });
    expect(ask).toHaveBeenCalledWith('give a reason');
    expect(fetchMock.mock.calls[1]![1].headers['X-Access-Reason']).toBe(encodeURIComponent('案件 118'));
    expect(fetchMock.mock.calls[0]![1].headers['X-Access-Reason']).toBeUndefined();
  });

  it('a cancelled prompt leaves the error; other errors never prompt', async () => {
    const ask = vi.fn().mockResolvedValue(null);
    onReasonRequired(ask);
    fetchMock.mockResolvedValueOnce(respond(400, { code: 'SENSITIVE_REASON_REQUIRED', message: 'why' }));
    await expect(http.post('/channels/1/live', {})).rejects.toMatchObject({ code: 'SENSITIVE_REASON_REQUIRED' });
    fetchMock.mockResolvedValueOnce(respond(403, { code: 'CHANNEL_FORBIDDEN', message: 'no' }));
    await expect(http.post('/channels/1/live', {})).rejects.toMatchObject({ code: 'CHANNEL_FORBIDDEN' });
    expect(ask).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('formats watched time', () => {
    expect(formatDuration(42)).toBe('0:42');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
