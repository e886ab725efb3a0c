import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { FaceCaptureRepo, VehiclePassRepo, faceRow, vehicleRow, type FaceCapture, type VehiclePass } from './image-captures.js';
import { ImageQueueRepo, ImageTargetRepo, type ImageKind } from './image-forward.js';
import { ImageKeyRepo } from './image-keys.js';

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(e: unknown): boolean {
  const x = e as { code?: string; message?: string };
  return x?.code === '23505' || x?.code === 'SQLITE_CONSTRAINT_UNIQUE' || x?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The image store (issue 12): captures, issued keys, bureau targets and the forwarding queue. */
export class ImageStore {
  readonly faces: FaceCaptureRepo;
  readonly vehicles: VehiclePassRepo;
  readonly keys: ImageKeyRepo;
  readonly targets: ImageTargetRepo;
  readonly queue: ImageQueueRepo;

  constructor(private readonly db: Kysely<DB>) {
    this.faces = new FaceCaptureRepo(db);
    this.vehicles = new VehiclePassRepo(db);
    this.keys = new ImageKeyRepo(db);
    this.targets = new ImageTargetRepo(db);
    this.queue = new ImageQueueRepo(db);
  }

  /**
   * Stores a capture and queues it for every forwarding target of its kind in one transaction: either both are
   * there or neither. Returns false when the same capture was stored already (unique digest / gcjlid).
   */
  async save(kind: ImageKind, capture: FaceCapture | VehiclePass, targetIds: string[]): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        if (kind === 'face') await trx.insertInto('face_captures').values(faceRow(capture as FaceCapture)).execute();
        else await trx.insertInto('vehicle_passes').values(vehicleRow(capture as VehiclePass)).execute();
        await this.queue.enqueue(
          targetIds.map((targetId) => ({ targetId, kind, captureId: capture.id, deviceId: capture.gateId, enqueuedAt: capture.receivedAt })),
          trx,
        );
      });
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }
}
