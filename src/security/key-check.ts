import { AppError } from '../core/errors.js';
import type { SecretBox } from '../core/secrets.js';
import type { Store } from '../store/index.js';

/** Settings row holding a known text sealed with the secret key (a key check value). */
export const KEY_CHECK_SETTING = 'secretKeyCheck';
const KNOWN_TEXT = 'sharpeye secret key check v1';

/** Tables whose `password_sealed` column is sealed with the same key (devices, upper platforms, bureau targets). */
const SEALED_TABLES = ['devices', 'upper_platforms', 'image_targets'] as const;

function mismatch(source: string, why: string): AppError {
  return new AppError(
    'SECRET_KEY_MISMATCH',
    `The secret key (${source}) cannot open the secrets sealed in this database (${why}). Start with the SHARPEYE_SECRET_KEY ` +
      `(or <data dir>/secret.key) this database was created with; a backup restored elsewhere needs its key too. Refusing to start.`,
  );
}

/**
 * R11, secrets at rest: before anything reads a sealed secret, prove the key is the one the database was sealed with.
 * First start: writes the check value. An older database without one: tries a stored sealed password instead.
 */
export async function checkSecretKey(store: Store, secrets: SecretBox, source: string): Promise<'created' | 'ok'> {
  const { db } = store.database;
  const row = await db.selectFrom('settings').select('value').where('key', '=', KEY_CHECK_SETTING).executeTakeFirst();
  if (row) {
    let sealed: unknown;
    try {
      sealed = JSON.parse(row.value);
    } catch {
      throw mismatch(source, 'the key check value is damaged');
    }
    let plain: string | undefined;
    try {
      plain = secrets.open(String(sealed));
    } catch {
      plain = undefined;
    }
    if (plain !== KNOWN_TEXT) throw mismatch(source, 'the key check value does not open');
    return 'ok';
  }
  for (const table of SEALED_TABLES) {
    const r = await db
      .selectFrom(table)
      .select('password_sealed')
      .where('password_sealed', 'is not', null)
      .limit(1)
      .executeTakeFirst()
      .catch(() => undefined); // a table a later migration adds
    if (!r?.password_sealed) continue;
    try {
      secrets.open(r.password_sealed);
    } catch {
      throw mismatch(source, `a password sealed in ${table} does not open`);
    }
  }
  const value = JSON.stringify(secrets.seal(KNOWN_TEXT));
  await db.insertInto('settings').values({ key: KEY_CHECK_SETTING, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return 'created';
}
