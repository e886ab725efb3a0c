#!/usr/bin/env node
/**
 * Licence check of the installed dependencies (docs/security.md): reads every node_modules/.../package.json `license`
 * fields and flags copyleft licences that would bind the product (GPL, AGPL, LGPL, SSPL, EUPL, OSL) and packages
 * without a readable licence. `--prod` looks only at what `npm ci --omit=dev` installs (package-lock.json marks
 * dev-only packages). Exit 1 when something is flagged, so CI can run it.
 *
 *   node scripts/licences.mjs [--prod] [--json]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const prodOnly = process.argv.includes('--prod');
const asJson = process.argv.includes('--json');
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const FLAG = /\b(A?GPL|LGPL|SSPL|EUPL|OSL)\b/i;

/** SPDX expression or the old `licenses: [{type}]` / `license: {type}` forms. */
function licenceOf(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license && typeof pkg.license.type === 'string') return pkg.license.type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l) => (typeof l === 'string' ? l : l.type)).join(' OR ');
  return '';
}

/** An `A OR B` expression is fine when one side is acceptable; `A AND B` needs both. */
function verdict(expr) {
  if (!expr || /^(UNLICENSED|SEE LICENSE IN)/i.test(expr)) return 'unknown';
  const ors = expr.replace(/[()]/g, '').split(/\s+OR\s+/i);
  return ors.some((alt) => !FLAG.test(alt)) ? 'ok' : 'copyleft';
}

const rows = [];
for (const [where, meta] of Object.entries(lock.packages ?? {})) {
  if (!where.startsWith('node_modules/')) continue;
  if (prodOnly && meta.dev) continue;
  const file = path.join(root, where, 'package.json');
  if (!existsSync(file)) continue; // optional package for another platform
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const licence = licenceOf(pkg) || meta.license || '';
  rows.push({ name: pkg.name ?? where.slice(13), version: pkg.version, licence, verdict: verdict(licence), dev: !!meta.dev });
}
const byLicence = new Map();
for (const r of rows) byLicence.set(r.licence || '(none)', (byLicence.get(r.licence || '(none)') ?? 0) + 1);
const flagged = rows.filter((r) => r.verdict !== 'ok');
if (asJson) console.log(JSON.stringify({ packages: rows.length, byLicence: Object.fromEntries(byLicence), flagged }, null, 2));
else {
  console.log(`${rows.length} packages${prodOnly ? ' (production)' : ''} in ${readdirSync(path.join(root, 'node_modules')).length} top-level folders`);
  for (const [l, n] of [...byLicence].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${l}`);
  if (flagged.length) {
    console.log(`\nflagged (${flagged.length}):`);
    for (const f of flagged) console.log(`  ${f.verdict.padEnd(8)} ${f.name}@${f.version}  ${f.licence || '(no licence field)'}${f.dev ? '  [dev]' : ''}`);
  } else console.log('\nnothing flagged');
}
process.exit(flagged.length ? 1 : 0);
