/** Helpers to turn form models into API bodies. */

/** Empty strings become null (so PATCH can clear a field); undefined keys are dropped. */
export function emptyToNull<T extends Record<string, unknown>>(obj: T): { [K in keyof T]: T[K] | null } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' && v.trim() === '' ? null : typeof v === 'string' ? v.trim() : v;
  }
  return out as { [K in keyof T]: T[K] | null };
}

/** Keeps only the listed keys. */
export function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (k in obj) out[k] = obj[k];
  return out;
}

/** Drops null / empty-string values (for create requests that do not need to clear anything). */
export function dropEmpty<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) continue;
    out[k] = typeof v === 'string' ? v.trim() : v;
  }
  return out as Partial<T>;
}

/** Valid GB/T 28181 20-digit id. */
export const GB_ID = /^\d{20}$/;

/** Type code (digits 11–13) of a GB/T 28181 id. */
export function gbTypeCode(id: string): string | null {
  return GB_ID.test(id) ? id.slice(10, 13) : null;
}
