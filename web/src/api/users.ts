import { http, type Page } from './http';
import type { User } from './types';

export interface UserCreate {
  username: string;
  displayName?: string;
  password: string;
  roleIds?: string[];
  enabled?: boolean;
  phone?: string;
  email?: string;
  mustChangePassword?: boolean;
}
export type UserPatch = Partial<Pick<UserCreate, 'displayName' | 'enabled' | 'roleIds' | 'password' | 'mustChangePassword'>> & {
  phone?: string | null;
  email?: string | null;
};

export const usersApi = {
  list: (q: { q?: string; page?: number; pageSize?: number }) => http.get<Page<User>>('/users', q),
  get: (id: string) => http.get<User>(`/users/${encodeURIComponent(id)}`),
  create: (body: UserCreate) => http.post<User>('/users', body),
  update: (id: string, body: UserPatch) => http.patch<User>(`/users/${encodeURIComponent(id)}`, body),
  remove: (id: string) => http.del(`/users/${encodeURIComponent(id)}`),
  unlock: (id: string) => http.post<unknown>(`/users/${encodeURIComponent(id)}/unlock`),
};
