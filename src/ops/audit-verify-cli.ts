import { loadConfig } from '../config/index.js';
import { isAppError } from '../core/errors.js';
import { openDatabase } from '../store/db.js';
import { createStore } from '../store/index.js';

/**
 * `npm run audit:verify`: walks the hash chain of the user log (R11 tamper evidence). Exit 0 when intact, 1 naming
 * the first row whose content or link does not match (changed, inserted or deleted in the middle), 2 on bad config.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const database = openDatabase(config.databaseUrl);
  try {
    const store = createStore(database);
    const t0 = performance.now();
    const r = await store.logs.verifyUserChain();
    const ms = Math.round(performance.now() - t0);
    if (r.ok) {
      console.log(`user log intact: ${r.checked} rows checked in ${ms} ms`);
      return 0;
    }
    const row = await database.db.selectFrom('user_logs').select(['id', 'at', 'username', 'action', 'target_id']).where('id', '=', r.brokenAt!).executeTakeFirst();
    console.error(`user log BROKEN at row ${r.brokenAt}${row ? ` (${row.at} ${row.username ?? '-'} ${row.action} ${row.target_id ?? ''})` : ''}: its content or its link to the previous row was changed; ${r.checked} rows before it are intact`);
    return 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(isAppError(e) ? `sharpeye: ${e.code}: ${e.message}` : e);
    process.exit(2);
  },
);
