import { downloadFile, fetchObjectUrl, http, type Page, type Query } from './http';
import type { Device, MaintenanceRecord, Photo } from './types';

export type DeviceInput = Partial<Omit<Device, 'online' | 'channelCount' | 'registeredAt' | 'lastKeepaliveAt' | 'hasPassword' | 'createdAt' | 'updatedAt' | 'typeName' | 'typeCode' | 'source'>> & {
  password?: string;
};

export interface DeviceQuery extends Query {
  q?: string;
  online?: string;
  orgId?: string;
  siteCategory?: string;
  page?: number;
  pageSize?: number;
}

export interface ImportResult {
  imported: number;
  updated: number;
}

const base = (id: string) => `/devices/${encodeURIComponent(id)}`;

export const devicesApi = {
  list: (q: DeviceQuery) => http.get<Page<Device>>('/devices', q),
  get: (id: string) => http.get<Device>(base(id)),
  create: (body: DeviceInput) => http.post<Device>('/devices', body),
  update: (id: string, body: DeviceInput) => http.patch<Device>(base(id), body),
  remove: (id: string) => http.del(base(id)),
  exportFile: (format: 'csv' | 'xlsx') => downloadFile('/devices/export', { format }, `devices.${format}`),
  importFile: (file: File) => http.upload<ImportResult>('/devices/import', file, file.name),

  maintenance: async (id: string) => {
    const data = await http.get<MaintenanceRecord[] | Page<MaintenanceRecord>>(`${base(id)}/maintenance`, { pageSize: 1000 });
    return Array.isArray(data) ? data : data.items;
  },
  addMaintenance: (id: string, body: { date: string; person: string; content: string }) =>
    http.post<MaintenanceRecord>(`${base(id)}/maintenance`, body),
  removeMaintenance: (id: string, recordId: string) => http.del(`${base(id)}/maintenance/${encodeURIComponent(recordId)}`),

  photos: async (id: string) => {
    const data = await http.get<Photo[] | Page<Photo>>(`${base(id)}/photos`);
    return Array.isArray(data) ? data : data.items;
  },
  uploadPhoto: (id: string, file: File) => http.upload<Photo>(`${base(id)}/photos`, file, file.name),
  photoUrl: (id: string, photoId: string) => fetchObjectUrl(`${base(id)}/photos/${encodeURIComponent(photoId)}`),
  removePhoto: (id: string, photoId: string) => http.del(`${base(id)}/photos/${encodeURIComponent(photoId)}`),
};
