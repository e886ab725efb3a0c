import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';

export interface MaintenanceRecord {
  id: number;
  deviceId: string;
  date: string;
  person: string;
  content: string;
  createdBy: string | null;
  createdAt: string;
}

export class MaintenanceRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async list(deviceId: string): Promise<MaintenanceRecord[]> {
    const rows = await this.db.selectFrom('maintenance_records').selectAll().where('device_id', '=', deviceId).orderBy('date', 'desc').orderBy('id', 'desc').execute();
    return rows.map((r) => ({
      id: Number(r.id),
      deviceId: r.device_id,
      date: r.date,
      person: r.person,
      content: r.content,
      createdBy: r.created_by,
      createdAt: r.created_at,
    }));
  }

  async add(r: Omit<MaintenanceRecord, 'id'>): Promise<number> {
    const res = await this.db
      .insertInto('maintenance_records')
      .values({ device_id: r.deviceId, date: r.date, person: r.person, content: r.content, created_by: r.createdBy, created_at: r.createdAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(res.id);
  }

  async delete(deviceId: string, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('maintenance_records').where('device_id', '=', deviceId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
