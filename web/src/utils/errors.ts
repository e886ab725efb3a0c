import { ElMessage } from 'element-plus';
import { ApiError } from '../api/http';

/** Text for an error: the API's message plus its code. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.code && !e.code.startsWith('HTTP_') ? `${e.message} (${e.code})` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function showError(e: unknown): void {
  ElMessage({ type: 'error', message: errorText(e), showClose: true, duration: 6000 });
}

export interface ImportErrorRow {
  row: number | string;
  column: string;
  message: string;
}

/** Row-by-row problems of an `IMPORT_INVALID` answer (`details: [{row, column, message}]`). */
export function importErrors(e: unknown): ImportErrorRow[] {
  if (!(e instanceof ApiError) || !Array.isArray(e.details)) return [];
  return e.details.map((d: unknown) => {
    const r = (d ?? {}) as Record<string, unknown>;
    return {
      row: typeof r.row === 'number' || typeof r.row === 'string' ? r.row : '',
      column: r.column == null ? '' : String(r.column),
      message: r.message == null ? '' : String(r.message),
    };
  });
}
