import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { TlsConfig } from '../config/index.js';
import { AppError } from '../core/errors.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** true when this call created a self-signed pair */
  generated: boolean;
}

/** Subject alternative names of a generated certificate: localhost, this host's addresses and extra names. */
export function subjectAltNames(extra: string[] = []): string[] {
  const out = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (!a.internal) out.add(`IP:${a.address.replace(/%.*$/, '')}`);
  for (const e of extra) out.add(/^[0-9.]+$|:/.test(e) ? `IP:${e}` : `DNS:${e}`);
  return [...out];
}

/**
 * A self-signed certificate (RSA 2048, SHA-256, 825 days: the longest browsers accept) made by the `openssl` CLI in
 * a separate process, key file owner-only. Used when SHARPEYE_TLS_SELF_SIGNED=true and no pair exists yet.
 */
export function generateSelfSigned(certFile: string, keyFile: string, names: string[] = subjectAltNames()): void {
  mkdirSync(path.dirname(certFile), { recursive: true });
  mkdirSync(path.dirname(keyFile), { recursive: true });
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-days', '825', '-keyout', keyFile, '-out', certFile, '-subj', '/O=sharpeye/CN=sharpeye self-signed', '-addext', `subjectAltName=${names.join(',')}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign', '-addext', 'extendedKeyUsage=serverAuth'],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    const why = err.code === 'ENOENT' ? 'the openssl command is not installed (apt-get install openssl)' : String(err.stderr ?? (e as Error).message).trim();
    throw new AppError('CONFIG_INVALID', `SHARPEYE_TLS_SELF_SIGNED: cannot generate a certificate: ${why}`);
  }
  chmodSync(keyFile, 0o600);
}

/** Reads the configured pair, generating the self-signed one first when asked and absent. */
export function loadTls(tls: Readonly<TlsConfig>): TlsMaterial {
  let generated = false;
  if (tls.selfSigned && !(existsSync(tls.certFile) && existsSync(tls.keyFile))) {
    generateSelfSigned(tls.certFile, tls.keyFile);
    generated = true;
  }
  const read = (file: string, key: string, marker: RegExp) => {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      throw new AppError('CONFIG_INVALID', `Invalid configuration ${key}: cannot read ${file}: ${(e as Error).message}`, { key });
    }
    if (!marker.test(buf.toString('latin1'))) throw new AppError('CONFIG_INVALID', `Invalid configuration ${key}: ${file} is not a PEM file`, { key });
    return buf;
  };
  const cert = read(tls.certFile, tls.selfSigned ? 'SHARPEYE_TLS_SELF_SIGNED' : 'SHARPEYE_TLS_CERT', /-----BEGIN CERTIFICATE-----/);
  const key = read(tls.keyFile, tls.selfSigned ? 'SHARPEYE_TLS_SELF_SIGNED' : 'SHARPEYE_TLS_KEY', /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  return { cert, key, generated };
}
