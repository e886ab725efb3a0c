export interface PageQuery {
  page?: number;
  pageSize?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export const MAX_PAGE_SIZE = 1000;

export function pageBounds(q: PageQuery): { page: number; pageSize: number; offset: number } {
  const page = Math.max(1, Math.floor(q.page ?? 1));
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(q.pageSize ?? 20)));
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** `LIKE` pattern for a user's search text, with wildcards in the text escaped (used with `ESCAPE '\'`). */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function nowIso(d: Date): string {
  return d.toISOString();
}

/** PostgreSQL returns COUNT(*) as a string (bigint); SQLite as a number. */
export function toCount(v: unknown): number {
  return typeof v === 'number' ? v : Number(v ?? 0);
}

export function parseJson<T>(s: string | null | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}
