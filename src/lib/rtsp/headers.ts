/** RTSP headers (RFC 2326 §12): names compared case-insensitively, written as given, repeats kept in order. */
export class RtspHeaders {
  private readonly list: [string, string][] = [];

  constructor(init?: Record<string, string | number | undefined> | [string, string][]) {
    if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
    else if (init) for (const [k, v] of Object.entries(init)) if (v !== undefined) this.append(k, String(v));
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.list) if (k.toLowerCase() === n) return v;
    return undefined;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    return this.list.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  append(name: string, value: string): this {
    this.list.push([name, value]);
    return this;
  }

  /** Replaces every header of that name with one. */
  set(name: string, value: string | number): this {
    this.delete(name);
    this.list.push([name, String(value)]);
    return this;
  }

  delete(name: string): void {
    const n = name.toLowerCase();
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i][0].toLowerCase() === n) this.list.splice(i, 1);
  }

  entries(): readonly (readonly [string, string])[] {
    return this.list;
  }
}
