import { http, type Page } from './http';
import type { ApiKey, ApiKeyScope } from './types';

export const apiKeysApi = {
  list: async () => {
    const data = await http.get<ApiKey[] | Page<ApiKey>>('/api-keys');
    return Array.isArray(data) ? data : data.items;
  },
  create: (body: { name: string; scopes: ApiKeyScope[]; expiresAt?: string }) =>
    http.post<ApiKey & { key: string }>('/api-keys', body),
  remove: (id: string) => http.del(`/api-keys/${encodeURIComponent(id)}`),
};
