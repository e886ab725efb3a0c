import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { channelInScope, deviceInScope, type ChannelScope } from '../scope.js';

/** A positioned channel or device on the map, kept small: 20,000 of them go to the browser in one answer. */
export interface MapPoint {
  id: string;
  name: string;
  online: boolean;
  lng: number;
  lat: number;
  /** channel: its device; device: null */
  deviceId: string | null;
  orgId: string | null;
}

export interface TrackPoint {
  at: string;
  lng: number;
  lat: number;
  speed: number | null;
  direction: number | null;
}

const valid = (lng: unknown, lat: unknown) => lng !== null && lat !== null && !(Number(lng) === 0 && Number(lat) === 0);

/** Positions for the map (R7 longitude/latitude of the archive and the catalog) and mobile-position tracks. */
export class MapRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async channelPoints(scope: ChannelScope): Promise<MapPoint[]> {
    const rows = await this.db
      .selectFrom('channels')
      .select(['id', 'name', 'online', 'longitude', 'latitude', 'device_id', 'org_id'])
      .where('longitude', 'is not', null)
      .where('latitude', 'is not', null)
      .where((eb) => channelInScope(eb, scope))
      .orderBy('id')
      .execute();
    return rows
      .filter((r) => valid(r.longitude, r.latitude))
      .map((r) => ({ id: r.id, name: r.name, online: Boolean(r.online), lng: Number(r.longitude), lat: Number(r.latitude), deviceId: r.device_id, orgId: r.org_id }));
  }

  async devicePoints(scope: ChannelScope): Promise<MapPoint[]> {
    const rows = await this.db
      .selectFrom('devices')
      .select(['id', 'name', 'online', 'longitude', 'latitude', 'org_id'])
      .where('longitude', 'is not', null)
      .where('latitude', 'is not', null)
      .where((eb) => deviceInScope(eb, scope))
      .orderBy('id')
      .execute();
    return rows
      .filter((r) => valid(r.longitude, r.latitude))
      .map((r) => ({ id: r.id, name: r.name, online: Boolean(r.online), lng: Number(r.longitude), lat: Number(r.latitude), deviceId: null, orgId: r.org_id }));
  }

  async addTrackPoint(channelId: string, p: TrackPoint): Promise<void> {
    await this.db
      .insertInto('channel_tracks')
      .values({ channel_id: channelId, at: p.at, longitude: p.lng, latitude: p.lat, speed: p.speed, direction: p.direction })
      .execute();
  }

  async track(channelId: string, from: string, to: string, limit = 5000): Promise<TrackPoint[]> {
    const rows = await this.db
      .selectFrom('channel_tracks')
      .select(['at', 'longitude', 'latitude', 'speed', 'direction'])
      .where('channel_id', '=', channelId)
      .where('at', '>=', from)
      .where('at', '<=', to)
      .orderBy('at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ at: r.at, lng: Number(r.longitude), lat: Number(r.latitude), speed: r.speed === null ? null : Number(r.speed), direction: r.direction === null ? null : Number(r.direction) }));
  }

  /** Channels with any track point since `from` (the map offers their tracks). */
  async trackedChannels(from: string): Promise<string[]> {
    const rows = await this.db.selectFrom('channel_tracks').select('channel_id').distinct().where('at', '>=', from).execute();
    return rows.map((r) => r.channel_id);
  }

  async purgeTracksBefore(cutoff: string): Promise<number> {
    const r = await this.db.deleteFrom('channel_tracks').where('at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
