import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../schema.js';
import { toCount } from '../paging.js';
import type { ImageQueueTable, ImageTargetsTable } from './image-tables.js';

export type ImageKind = 'face' | 'car';

/** A bureau endpoint (the portrait cloud or the vehicle cloud) we forward captures to as a client of the seed interface. */
export interface ImageTarget {
  id: string;
  name: string;
  kind: ImageKind;
  /** base URL of the interface, e.g. `http://35.48.98.49/redis/rest/face` */
  url: string;
  username: string;
  hasPassword: boolean;
  /** node: one appIdentityKey for everything (nodeID on the face side, gbid = nodeId on the car side); device: a key per device */
  authMode: 'node' | 'device';
  nodeId: string;
  /** how parameters are sent: form fields (`application/x-www-form-urlencoded`) or a JSON body */
  encoding: 'form' | 'json';
  keepaliveSeconds: number;
  timeoutSeconds: number;
  /** back-off ceiling while the bureau is down */
  retryMaxSeconds: number;
  /** devices sent in parallel (each device's captures stay in order) */
  concurrency: number;
  /** refusals (failure answers other than EC000–EC003) before a capture is set aside as rejected */
  maxAttempts: number;
  enabled: boolean;
  delivered: number;
  resent: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type TargetInput = Omit<ImageTarget, 'id' | 'hasPassword' | 'delivered' | 'resent' | 'lastDeliveredAt' | 'lastError' | 'lastErrorAt' | 'createdAt' | 'updatedAt'> & {
  passwordSealed?: string | null;
};

export interface QueueRow {
  id: number;
  targetId: string;
  kind: ImageKind;
  captureId: string;
  deviceId: string;
  enqueuedAt: string;
  attempts: number;
  nextAt: number;
  state: 'pending' | 'rejected';
  unanswered: boolean;
  lastError: string | null;
}

export interface QueueStats {
  pending: number;
  rejected: number;
  devices: number;
  /** enqueue time of the oldest pending row */
  oldest: string | null;
}

type Db = Kysely<DB> | Transaction<DB>;

function toTarget(r: ImageTargetsTable): ImageTarget {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as ImageKind,
    url: r.url,
    username: r.username,
    hasPassword: r.password_sealed !== null,
    authMode: r.auth_mode as ImageTarget['authMode'],
    nodeId: r.node_id,
    encoding: r.encoding as ImageTarget['encoding'],
    keepaliveSeconds: Number(r.keepalive_seconds),
    timeoutSeconds: Number(r.timeout_seconds),
    retryMaxSeconds: Number(r.retry_max_seconds),
    concurrency: Number(r.concurrency),
    maxAttempts: Number(r.max_attempts),
    enabled: Number(r.enabled) === 1,
    delivered: Number(r.delivered),
    resent: Number(r.resent),
    lastDeliveredAt: r.last_delivered_at,
    lastError: r.last_error,
    lastErrorAt: r.last_error_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toQueue(r: ImageQueueTable & { id: number }): QueueRow {
  return {
    id: Number(r.id),
    targetId: r.target_id,
    kind: r.kind as ImageKind,
    captureId: r.capture_id,
    deviceId: r.device_id,
    enqueuedAt: r.enqueued_at,
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    state: r.state as QueueRow['state'],
    unanswered: Number(r.unanswered) === 1,
    lastError: r.last_error,
  };
}

export class ImageTargetRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(): Promise<ImageTarget[]> {
    return (await this.db.selectFrom('image_targets').selectAll().orderBy('created_at').orderBy('id').execute()).map(toTarget);
  }

  async get(id: string): Promise<ImageTarget | undefined> {
    const r = await this.db.selectFrom('image_targets').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toTarget(r) : undefined;
  }

  async passwordSealed(id: string): Promise<string | null | undefined> {
    const r = await this.db.selectFrom('image_targets').select('password_sealed').where('id', '=', id).executeTakeFirst();
    return r?.password_sealed;
  }

  private columns(i: Partial<TargetInput>): Partial<ImageTargetsTable> {
    const c: Partial<ImageTargetsTable> = {};
    if (i.name !== undefined) c.name = i.name;
    if (i.kind !== undefined) c.kind = i.kind;
    if (i.url !== undefined) c.url = i.url;
    if (i.username !== undefined) c.username = i.username;
    if (i.passwordSealed !== undefined) c.password_sealed = i.passwordSealed;
    if (i.authMode !== undefined) c.auth_mode = i.authMode;
    if (i.nodeId !== undefined) c.node_id = i.nodeId;
    if (i.encoding !== undefined) c.encoding = i.encoding;
    if (i.keepaliveSeconds !== undefined) c.keepalive_seconds = i.keepaliveSeconds;
    if (i.timeoutSeconds !== undefined) c.timeout_seconds = i.timeoutSeconds;
    if (i.retryMaxSeconds !== undefined) c.retry_max_seconds = i.retryMaxSeconds;
    if (i.concurrency !== undefined) c.concurrency = i.concurrency;
    if (i.maxAttempts !== undefined) c.max_attempts = i.maxAttempts;
    if (i.enabled !== undefined) c.enabled = i.enabled ? 1 : 0;
    return c;
  }

  async create(id: string, i: TargetInput, now: string): Promise<void> {
    await this.db
      .insertInto('image_targets')
      .values({ ...(this.columns(i) as ImageTargetsTable), id, password_sealed: i.passwordSealed ?? null, delivered: 0, resent: 0, last_delivered_at: null, last_error: null, last_error_at: null, created_at: now, updated_at: now })
      .execute();
  }

  async update(id: string, i: Partial<TargetInput>, now: string): Promise<boolean> {
    const r = await this.db.updateTable('image_targets').set({ ...this.columns(i), updated_at: now }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('image_queue').where('target_id', '=', id).execute();
      const r = await trx.deleteFrom('image_targets').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /** Adds delivery counters (flushed in batches by the forwarder). */
  async addCounts(id: string, delivered: number, resent: number, lastDeliveredAt: string | null): Promise<void> {
    await this.db
      .updateTable('image_targets')
      .set({
        delivered: sql`delivered + ${delivered}`,
        resent: sql`resent + ${resent}`,
        ...(lastDeliveredAt ? { last_delivered_at: lastDeliveredAt } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  async setError(id: string, error: string | null, at: string): Promise<void> {
    await this.db.updateTable('image_targets').set({ last_error: error, last_error_at: at }).where('id', '=', id).execute();
  }
}

export class ImageQueueRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async enqueue(rows: { targetId: string; kind: ImageKind; captureId: string; deviceId: string; enqueuedAt: string }[], db: Db = this.db): Promise<void> {
    if (!rows.length) return;
    await db
      .insertInto('image_queue')
      .values(rows.map((r) => ({ target_id: r.targetId, kind: r.kind, capture_id: r.captureId, device_id: r.deviceId, enqueued_at: r.enqueuedAt, attempts: 0, next_at: 0, state: 'pending', unanswered: 0, last_error: null })))
      .execute();
  }

  /** Devices that have pending rows for a target. */
  async devicesWithWork(targetId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('image_queue').select('device_id').distinct().where('target_id', '=', targetId).where('state', '=', 'pending').execute();
    return rows.map((r) => r.device_id);
  }

  /** The next pending rows of one device, oldest first (delivery order). */
  async nextOf(targetId: string, deviceId: string, limit: number): Promise<QueueRow[]> {
    const rows = await this.db
      .selectFrom('image_queue')
      .selectAll()
      .where('target_id', '=', targetId)
      .where('state', '=', 'pending')
      .where('device_id', '=', deviceId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => toQueue(r as ImageQueueTable & { id: number }));
  }

  async delivered(id: number): Promise<void> {
    await this.db.deleteFrom('image_queue').where('id', '=', id).execute();
  }

  /** An attempt failed: count it and set when the row may be tried again. */
  async failed(id: number, nextAt: number, error: string, unanswered: boolean): Promise<void> {
    await this.db
      .updateTable('image_queue')
      .set({ attempts: sql`attempts + 1`, next_at: nextAt, last_error: error.slice(0, 500), ...(unanswered ? { unanswered: 1 } : {}) })
      .where('id', '=', id)
      .execute();
  }

  async reject(id: number, error: string): Promise<void> {
    await this.db.updateTable('image_queue').set({ state: 'rejected', attempts: sql`attempts + 1`, last_error: error.slice(0, 500) }).where('id', '=', id).execute();
  }

  /** Rejected rows go back into the queue (operator action). */
  async retryRejected(targetId: string): Promise<number> {
    const r = await this.db.updateTable('image_queue').set({ state: 'pending', attempts: 0, next_at: 0 }).where('target_id', '=', targetId).where('state', '=', 'rejected').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async rejected(targetId: string, limit: number): Promise<QueueRow[]> {
    const rows = await this.db.selectFrom('image_queue').selectAll().where('target_id', '=', targetId).where('state', '=', 'rejected').orderBy('id').limit(limit).execute();
    return rows.map((r) => toQueue(r as ImageQueueTable & { id: number }));
  }

  async stats(targetId: string): Promise<QueueStats> {
    const rows = await this.db
      .selectFrom('image_queue')
      .select(['state'])
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.min('enqueued_at').as('oldest'), eb.fn.count('device_id').distinct().as('devices')])
      .where('target_id', '=', targetId)
      .groupBy('state')
      .execute();
    const pending = rows.find((r) => r.state === 'pending');
    const rejected = rows.find((r) => r.state === 'rejected');
    return { pending: toCount(pending?.n), rejected: toCount(rejected?.n), devices: toCount(pending?.devices), oldest: (pending?.oldest as string | undefined) ?? null };
  }

  /** Which of these captures still wait in some queue (retention keeps them). */
  async queuedOf(captureIds: string[]): Promise<Set<string>> {
    if (!captureIds.length) return new Set();
    const rows = await this.db.selectFrom('image_queue').select('capture_id').distinct().where('capture_id', 'in', captureIds).execute();
    return new Set(rows.map((r) => r.capture_id));
  }

  async total(): Promise<number> {
    const [{ n }] = await this.db.selectFrom('image_queue').select((eb) => eb.fn.countAll().as('n')).execute();
    return toCount(n);
  }
}
