import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import type { ImageKind } from './image-forward.js';

/** An appIdentityKey we issued (seed appendices 1/2, §2.1); only its SHA-256 is stored. */
export interface ImageKey {
  kind: ImageKind;
  subjectType: 'device' | 'node' | 'any';
  subject: string;
  issuedAt: string;
  expiresAt: string;
}

export class ImageKeyRepo {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(hash: string, k: ImageKey, remote: string | null): Promise<void> {
    await this.db
      .insertInto('image_keys')
      .values({ key_hash: hash, kind: k.kind, subject_type: k.subjectType, subject: k.subject, issued_at: k.issuedAt, expires_at: k.expiresAt, remote })
      .execute();
  }

  async get(hash: string): Promise<ImageKey | undefined> {
    const r = await this.db.selectFrom('image_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    return r ? { kind: r.kind as ImageKind, subjectType: r.subject_type as ImageKey['subjectType'], subject: r.subject, issuedAt: r.issued_at, expiresAt: r.expires_at } : undefined;
  }

  async delete(hash: string): Promise<void> {
    await this.db.deleteFrom('image_keys').where('key_hash', '=', hash).execute();
  }

  async deleteSubject(kind: string, subject: string): Promise<void> {
    await this.db.deleteFrom('image_keys').where('kind', '=', kind).where('subject', '=', subject).execute();
  }

  /** Keys whose validity ended before `before` are forgotten (they then count as invalid rather than expired). */
  async purgeExpired(before: string): Promise<number> {
    const r = await this.db.deleteFrom('image_keys').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async active(now: string): Promise<{ kind: string; subjectType: string; subject: string; issuedAt: string; expiresAt: string; remote: string | null }[]> {
    const rows = await this.db.selectFrom('image_keys').selectAll().where('expires_at', '>', now).orderBy('issued_at', 'desc').limit(1000).execute();
    return rows.map((r) => ({ kind: r.kind, subjectType: r.subject_type, subject: r.subject, issuedAt: r.issued_at, expiresAt: r.expires_at, remote: r.remote }));
  }
}
