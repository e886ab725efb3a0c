import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../fixtures/manscdp/', import.meta.url));

/** Raw bytes of a fixture in test/fixtures/manscdp. */
export function fixture(name: string): Buffer {
  return readFileSync(DIR + name);
}

export function fixtureNames(): string[] {
  return readdirSync(DIR).filter((f) => f.endsWith('.xml')).sort();
}
