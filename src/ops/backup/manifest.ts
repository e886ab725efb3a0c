import { AppError } from '../../core/errors.js';

/** Version of the backup container; a reader refuses a higher one (BACKUP_TOO_NEW). */
export const BACKUP_FORMAT = 'sharpeye-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

export interface BackupPart {
  name: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  createdAt: string;
  app: { name: string; version: string };
  dialect: 'sqlite' | 'postgres';
  /** migrations applied to the database in the backup, in order */
  migrations: string[];
  /** rows per table at backup time (for the operator's eye; the checksums are the proof) */
  counts: Record<string, number>;
  parts: BackupPart[];
  /** whether secret.key is inside (only with --include-key) */
  includesKey: boolean;
}

/** Checks shape, format version and migrations against what this version knows; the clear messages live here. */
export function checkManifest(raw: unknown, known: string[]): BackupManifest {
  const m = raw as Partial<BackupManifest> | null;
  if (!m || typeof m !== 'object' || m.format !== BACKUP_FORMAT) throw new AppError('BACKUP_INVALID', 'Not a sharpeye backup: the manifest is missing or of another format (不是 sharpeye 备份文件)');
  if (typeof m.formatVersion !== 'number' || m.formatVersion < 1) throw new AppError('BACKUP_INVALID', 'Backup manifest has no format version');
  if (m.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new AppError('BACKUP_TOO_NEW', `The backup has format version ${m.formatVersion} (sharpeye ${m.app?.version ?? '?'}); this sharpeye reads up to ${BACKUP_FORMAT_VERSION}: upgrade sharpeye first (备份来自更新的版本). Nothing was changed.`);
  }
  if (m.dialect !== 'sqlite' && m.dialect !== 'postgres') throw new AppError('BACKUP_INVALID', 'Backup manifest names no database kind');
  if (!Array.isArray(m.migrations) || !Array.isArray(m.parts)) throw new AppError('BACKUP_INVALID', 'Backup manifest lacks migrations or parts');
  const unknown = m.migrations.filter((x) => !known.includes(x));
  if (unknown.length) {
    throw new AppError('BACKUP_TOO_NEW', `The backup's database has migrations this sharpeye does not know (${unknown.join(', ')}; made by sharpeye ${m.app?.version ?? '?'}): upgrade sharpeye first (备份来自更新的版本). Nothing was changed.`);
  }
  for (const p of m.parts) {
    if (!p || typeof p.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(p.name) || typeof p.sha256 !== 'string' || typeof p.size !== 'number') throw new AppError('BACKUP_INVALID', 'Backup manifest has a malformed part entry');
  }
  return m as BackupManifest;
}
