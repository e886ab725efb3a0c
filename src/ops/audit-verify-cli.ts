import { loadConfig } from '../config/index.js';
import { isAppError } from '../core/errors.js';
import { runAuditVerify } from './audit-verify.js';

/** `npm run audit:verify` (docs/security.md): exit 0 intact, 1 broken (first broken row named), 2 bad configuration. */
runAuditVerify(loadConfig()).then(
  (r) => {
    (r.exitCode === 0 ? console.log : console.error)(r.message);
    process.exit(r.exitCode);
  },
  (e) => {
    console.error(isAppError(e) ? `sharpeye: ${e.code}: ${e.message}` : e);
    process.exit(2);
  },
);
