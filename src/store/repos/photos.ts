import type { Kysely, Selectable } from 'kysely';
import type { DB, PhotosTable } from '../schema.js';

export interface Photo {
  id: string;
  deviceId: string;
  filename: string;
  mime: string;
  size: number;
  createdAt: string;
}

export type PhotoRow = Selectable<PhotosTable>;

export class PhotoRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(deviceId: string): Promise<Photo[]> {
    const rows = await this.db.selectFrom('photos').selectAll().where('device_id', '=', deviceId).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, filename: r.filename, mime: r.mime, size: Number(r.size), createdAt: r.created_at }));
  }

  async row(deviceId: string, id: string): Promise<PhotoRow | undefined> {
    return this.db.selectFrom('photos').selectAll().where('device_id', '=', deviceId).where('id', '=', id).executeTakeFirst();
  }

  async insert(row: PhotoRow): Promise<void> {
    await this.db.insertInto('photos').values(row).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('photos').where('id', '=', id).execute();
  }
}
