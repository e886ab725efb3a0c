import { getToken, http, type Page, type Query } from './http';

/** Face captures, vehicle passes, daily counts and forwarding to the bureau (issue 12). */
export interface FaceBox {
  leftTopX: number;
  leftTopY: number;
  rightBottomX: number;
  rightBottomY: number;
}

export interface FaceCapture {
  id: string;
  deviceId: string;
  archiveDeviceId: string;
  channelId: string | null;
  capturedAt: string;
  receivedAt: string;
  locationName: string | null;
  resolution: string | null;
  quality: string | null;
  faceCount: number;
  faces: { index: number; url: string; type: string; size: number; pos: FaceBox | null }[];
  background: { url: string; type: string; size: number; width: number | null; height: number | null } | null;
  bytes: number;
}

export interface VehicleImage {
  name: string;
  role: 'zpcltp' | 'zpcptp' | 'zpcjt' | 'zpjsytp';
  index: number;
  url: string;
  size: number;
}

export interface VehiclePass {
  id: string;
  gcjlid: string;
  deviceId: string;
  channelId: string | null;
  passedAt: string;
  plate: string | null;
  plateColor: string | null;
  plateType: string | null;
  vehicleColor: string | null;
  vehicleBrand: string | null;
  vehicleModel: string | null;
  vehicleType: string | null;
  direction: string | null;
  deviceName: string | null;
  images: VehicleImage[];
}

export interface DailyCount {
  kind: 'face' | 'car';
  day: string;
  deviceId: string;
  captures: number;
  faces?: number;
}

export const TARGET_STATES = ['paused', 'connecting', 'up', 'down', 'stopped'] as const;
export const IMAGE_KINDS = ['face', 'car'] as const;

export interface ImageTarget {
  id: string;
  name: string;
  kind: (typeof IMAGE_KINDS)[number];
  url: string;
  username: string;
  hasPassword: boolean;
  authMode: 'node' | 'device';
  nodeId: string;
  encoding: 'form' | 'json';
  keepaliveSeconds: number;
  timeoutSeconds: number;
  retryMaxSeconds: number;
  concurrency: number;
  maxAttempts: number;
  enabled: boolean;
  delivered: number;
  resent: number;
  lastDeliveredAt: string | null;
  state: (typeof TARGET_STATES)[number];
  lastError: string | null;
  lastErrorAt: string | null;
  nextTryAt: string | null;
  clockOffsetMs: number;
  keyAgeSeconds: number | null;
  inFlight: number;
  queue: { pending: number; rejected: number; devices: number; oldest: string | null; lagSeconds: number };
}

export type TargetInput = Partial<Pick<ImageTarget, 'name' | 'kind' | 'url' | 'username' | 'authMode' | 'nodeId' | 'encoding' | 'keepaliveSeconds' | 'timeoutSeconds' | 'retryMaxSeconds' | 'concurrency' | 'maxAttempts' | 'enabled'>> & { password?: string };

/** An image URL an <img> can load: the session token rides in the query (no Authorization header there). */
export function imageSrc(url: string): string {
  const token = getToken();
  return token ? `${url}?token=${encodeURIComponent(token)}` : url;
}

export const imagesApi = {
  faces: (q: Query) => http.get<Page<FaceCapture>>('/face-captures', q),
  vehicles: (q: Query) => http.get<Page<VehiclePass>>('/vehicle-passes', q),
  daily: (q: Query) => http.get<{ items: DailyCount[]; total: number }>('/image-stats/daily', q),
  targets: () => http.get<{ items: ImageTarget[]; total: number }>('/image-forward/targets'),
  createTarget: (b: TargetInput) => http.post<ImageTarget>('/image-forward/targets', b),
  updateTarget: (id: string, b: TargetInput) => http.patch<ImageTarget>(`/image-forward/targets/${id}`, b),
  deleteTarget: (id: string) => http.del(`/image-forward/targets/${id}`),
  retryRejected: (id: string) => http.post<{ requeued: number }>(`/image-forward/targets/${id}/retry`),
};
