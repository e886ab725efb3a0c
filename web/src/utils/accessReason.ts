import { onReasonRequired } from '../api/http';
import { t } from '../i18n';

/**
 * Sensitive channels (R11, docs/security.md): the server answers SENSITIVE_REASON_REQUIRED until a reason is given;
 * this asks the operator once per request and the client sends the request again with it (logged on the server).
 * Element Plus is loaded here on demand so the login bundle stays small.
 */
export function installAccessReasonPrompt(): void {
  onReasonRequired(async () => {
    // the signed-in shell's UI chunk (never a second copy of Element Plus, never on the login page)
    const { ElMessageBox } = await import('../ui/full-ui');
    try {
      const r = await ElMessageBox.prompt(t('viewAudit.reasonPrompt'), t('viewAudit.reasonTitle'), {
        confirmButtonText: t('common.confirm'),
        cancelButtonText: t('common.cancel'),
        inputPattern: /\S{2,}/,
        inputErrorMessage: t('viewAudit.reasonTooShort'),
        inputPlaceholder: t('viewAudit.reasonPlaceholder'),
      });
      return r.value.trim().slice(0, 200);
    } catch {
      return null;
    }
  });
}
