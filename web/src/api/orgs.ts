import { http, type Page } from './http';
import type { Org } from './types';

export type OrgInput = { id: string; name: string; parentId: string | null; type: Org['type']; sort?: number };
export type OrgPatch = { name?: string; parentId?: string | null; sort?: number };

export const orgsApi = {
  list: async () => {
    const data = await http.get<Org[] | Page<Org>>('/orgs');
    return Array.isArray(data) ? data : data.items;
  },
  create: (body: OrgInput) => http.post<Org>('/orgs', body),
  update: (id: string, body: OrgPatch) => http.patch<Org>(`/orgs/${encodeURIComponent(id)}`, body),
  remove: (id: string) => http.del(`/orgs/${encodeURIComponent(id)}`),
};
