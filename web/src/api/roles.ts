import { http, type Page } from './http';
import type { Role } from './types';

export type RoleInput = Pick<Role, 'name' | 'description' | 'permissions' | 'allChannels' | 'orgIds' | 'channelIds'>;

/** `GET /roles` may answer a plain array or a page; normalise to an array. */
export function rolesFrom(data: Role[] | Page<Role>): Role[] {
  return Array.isArray(data) ? data : data.items;
}

export const rolesApi = {
  list: async () => rolesFrom(await http.get<Role[] | Page<Role>>('/roles', { pageSize: 1000 })),
  get: (id: string) => http.get<Role>(`/roles/${encodeURIComponent(id)}`),
  create: (body: RoleInput) => http.post<Role>('/roles', body),
  update: (id: string, body: Partial<RoleInput>) => http.patch<Role>(`/roles/${encodeURIComponent(id)}`, body),
  remove: (id: string) => http.del(`/roles/${encodeURIComponent(id)}`),
};
