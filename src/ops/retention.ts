import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';

const DAY = 24 * 3600 * 1000;
/** Cybersecurity Law art. 21 (3): network logs kept no less than six months */
export const MIN_LOG_DAYS = 180;

/** Log retention (R8, default 180 days) and expired-token cleanup; runs at start and every 6 hours. */
export function startRetention(store: Store, clock: Clock, log: Logger): () => void {
  const run = async () => {
    try {
      // R8/R11: the audit logs are kept at least 180 days (6 months) whatever the stored setting says
      const logRetentionDays = Math.max(MIN_LOG_DAYS, (await store.settings.get()).logRetentionDays);
      const now = clock.now().getTime();
      const removed = await store.logs.purgeBefore(new Date(now - logRetentionDays * DAY).toISOString());
      await store.tokens.purgeExpired(new Date(now - DAY).toISOString());
      if (removed) log.info({ removed, logRetentionDays }, 'old log rows removed by retention');
    } catch (e) {
      log.error({ err: e }, 'retention run failed');
    }
  };
  void run();
  const t = setInterval(run, 6 * 3600 * 1000);
  t.unref();
  return () => clearInterval(t);
}
