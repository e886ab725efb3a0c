import { loadConfig } from '../config/index.js';
import { isAppError } from '../core/errors.js';
import { createBackup, restoreBackup } from './backup/backup.js';

const USAGE = `usage:
  backup  [--out <dir or file>] [--include-key]   one .tar.gz: database + non-secret configuration (+ secret.key)
  restore <file>                                  stop sharpeye first; checks everything before changing anything`;

/** `npm run backup` / `npm run restore -- <file>` (issue 14 §5). Exit 0 done, 1 refused or failed, 2 usage. */
async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const value = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const config = loadConfig();
  if (cmd === 'backup') {
    const r = await createBackup(config, { out: value('--out') ?? process.env.SHARPEYE_BACKUP_DIR ?? `${config.dataDir}/backups`, includeKey: flag('--include-key') });
    const c = r.manifest.counts;
    console.log(`backup written: ${r.file}\n  ${(r.bytes / 2 ** 20).toFixed(2)} MiB in ${r.ms} ms; ${r.manifest.dialect}, ${r.manifest.migrations.length} migrations; devices ${c.devices}, channels ${c.channels}, users ${c.users}, user log ${c.user_logs}`);
    if (r.manifest.includesKey) console.log('  the secret key is INSIDE this file: keep it as secret as the key itself');
    else console.log('  the secret key is NOT inside: keep SHARPEYE_SECRET_KEY or <data dir>/secret.key with this backup (sealed passwords need it)');
    return 0;
  }
  if (cmd === 'restore') {
    const file = rest.find((a) => !a.startsWith('--'));
    if (!file) {
      console.error(USAGE);
      return 2;
    }
    const r = await restoreBackup(config, { file });
    const c = r.manifest.counts;
    console.log(`restored ${file} (made ${r.manifest.createdAt} by sharpeye ${r.manifest.app.version}) in ${r.ms} ms: devices ${c.devices}, channels ${c.channels}, users ${c.users}, user log ${c.user_logs}`);
    if (r.previous.length) console.log(`  the previous database files were kept as ${r.previous.join(', ')}`);
    console.log(`  configuration of the backup: ${r.configFile} (use it with SHARPEYE_CONFIG if this is a new machine)`);
    if (r.keyRestored) console.log('  secret.key restored into the data dir');
    console.log('  start sharpeye now; it applies newer migrations if the backup is older');
    return 0;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(isAppError(e) ? `sharpeye: ${e.code}: ${e.message}` : e);
    process.exit(isAppError(e) && e.code === 'CONFIG_INVALID' ? 2 : 1);
  },
);
