import { http, request } from './http';
import type { PermissionDef, User } from './types';

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: User;
  mustChangePassword: boolean;
}

export interface Me {
  user: User;
  permissions: string[];
  allChannels: boolean;
}

export const authApi = {
  login: (username: string, password: string) =>
    request<LoginResult>('POST', '/auth/login', { body: { username, password }, noAuthRedirect: true }),
  logout: () => request<void>('POST', '/auth/logout', { noAuthRedirect: true }),
  me: () => http.get<Me>('/auth/me'),
  changePassword: (oldPassword: string, newPassword: string) =>
    http.post<void>('/auth/password', { oldPassword, newPassword }),
  permissions: () => http.get<PermissionDef[]>('/permissions'),
};
