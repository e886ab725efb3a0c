import type { Generated } from 'kysely';

/**
 * Tables of the face/vehicle image interfaces (issue 12, migration 007_images). Declared here and merged into the
 * shared `DB` interface of `schema.ts`, so the image store stays in its own files. Same portable choices as the rest:
 * times are ISO 8601 UTC text, booleans 0/1, structured values JSON text, queue times Unix ms (bigint).
 */
export interface FaceCapturesTable {
  id: string;
  /** `imageGateTagCode` as the sender gave it (the capture device's GB ID) */
  gate_id: string;
  /** the archived device the gate code belongs to (the gate itself when it is a device) */
  device_id: string;
  /** the channel the capture maps to (gate code of a channel, or the only channel of the device) */
  channel_id: string | null;
  node_id: string | null;
  captured_at: string;
  received_at: string;
  /** local day (SHARPEYE_TZ) of captured_at, `YYYY-MM-DD`: daily counts */
  day: string;
  location_name: string | null;
  resolution: string | null;
  longitude: number | null;
  latitude: number | null;
  quality: string | null;
  face_count: number;
  /** JSON [{file, type, size, pos}] */
  faces: string;
  /** JSON {file, type, size, width, height} | null */
  background: string | null;
  /** JSON: every non-image field as received (forwarded as it came) */
  meta: string;
  bytes: number | string;
  /** sha1 over the device time and every image: a re-sent capture is recognised */
  digest: string;
  source: string;
}

export interface VehiclePassesTable {
  id: string;
  gate_id: string;
  device_id: string;
  channel_id: string | null;
  /** 过车记录编号: as sent, or made once at ingest (stable for the bureau's duplicate check) */
  gcjlid: string;
  passed_at: string;
  received_at: string;
  day: string;
  plate: string | null;
  plate_color: string | null;
  plate_type: string | null;
  vehicle_color: string | null;
  vehicle_brand: string | null;
  vehicle_model: string | null;
  vehicle_type: string | null;
  direction: string | null;
  device_name: string | null;
  longitude: number | null;
  latitude: number | null;
  /** JSON [{role, index, file, type, size, pos?, width?, height?, fileSize?}] */
  images: string;
  meta: string;
  bytes: number | string;
  source: string;
}

/** appIdentityKey values we issued (stored as SHA-256; valid 24 h). */
export interface ImageKeysTable {
  key_hash: string;
  kind: string;
  /** device: a device's own key; node: a service node's (any registered device); any: no ID was given */
  subject_type: string;
  subject: string;
  issued_at: string;
  expires_at: string;
  remote: string | null;
}

/** The bureau's face or vehicle cloud we forward to. */
export interface ImageTargetsTable {
  id: string;
  name: string;
  kind: string;
  url: string;
  username: string;
  password_sealed: string | null;
  auth_mode: string;
  node_id: string;
  encoding: string;
  keepalive_seconds: number;
  timeout_seconds: number;
  retry_max_seconds: number;
  concurrency: number;
  max_attempts: number;
  enabled: number;
  delivered: number | string;
  resent: number | string;
  last_delivered_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Durable forwarding queue: one row per (target, capture) until the bureau answered success. */
export interface ImageQueueTable {
  id: Generated<number>;
  target_id: string;
  kind: string;
  capture_id: string;
  /** gate ID: delivery is ordered per device */
  device_id: string;
  enqueued_at: string;
  attempts: number;
  /** Unix ms (real clock) before which the row is not tried again */
  next_at: number | string;
  /** pending | rejected (the bureau refused it max_attempts times; kept, retried by an operator) */
  state: string;
  /** 1 when an attempt went out and no answer came (a re-send may duplicate) */
  unanswered: number;
  last_error: string | null;
}

declare module '../schema.js' {
  interface DB {
    face_captures: FaceCapturesTable;
    vehicle_passes: VehiclePassesTable;
    image_keys: ImageKeysTable;
    image_targets: ImageTargetsTable;
    image_queue: ImageQueueTable;
  }
}
