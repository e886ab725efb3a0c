import { http, type Page, type Query } from './http';
import type { Channel } from './types';

export type ChannelInput = Partial<
  Omit<Channel, 'online' | 'codec' | 'width' | 'height' | 'fps' | 'createdAt' | 'updatedAt'>
>;

export interface ChannelQuery extends Query {
  q?: string;
  online?: string;
  deviceId?: string;
  orgId?: string;
  page?: number;
  pageSize?: number;
}

const base = (id: string) => `/channels/${encodeURIComponent(id)}`;

export const channelsApi = {
  list: (q: ChannelQuery) => http.get<Page<Channel>>('/channels', q),
  get: (id: string) => http.get<Channel>(base(id)),
  create: (body: ChannelInput) => http.post<Channel>('/channels', body),
  update: (id: string, body: ChannelInput) => http.patch<Channel>(base(id), body),
  remove: (id: string) => http.del(base(id)),
};
