import type { Config } from '../config/index.js';
import { openDatabase } from '../store/db.js';
import { createStore } from '../store/index.js';

/**
 * Walks the hash chain of the user log (R11 tamper evidence) of the configured database. Exit code 0 when intact,
 * 1 naming the first row whose content or link does not match (changed, or rows inserted/deleted in the middle).
 */
export async function runAuditVerify(config: Readonly<Config>): Promise<{ exitCode: 0 | 1; message: string; brokenAt?: number }> {
  const database = openDatabase(config.databaseUrl);
  try {
    const store = createStore(database);
    const t0 = performance.now();
    const r = await store.logs.verifyUserChain();
    const ms = Math.round(performance.now() - t0);
    if (r.ok) return { exitCode: 0, message: `user log intact: ${r.checked} rows checked in ${ms} ms` };
    const row = await database.db.selectFrom('user_logs').select(['id', 'at', 'username', 'action', 'target_id']).where('id', '=', r.brokenAt!).executeTakeFirst();
    return {
      exitCode: 1,
      brokenAt: r.brokenAt,
      message: `user log BROKEN at row ${r.brokenAt}${row ? ` (${row.at} ${row.username ?? '-'} ${row.action} ${row.target_id ?? ''})` : ''}: its content or its link to the previous row was changed; the ${r.checked} rows before it are intact`,
    };
  } finally {
    await database.close();
  }
}
