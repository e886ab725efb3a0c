import { createHash, randomBytes } from 'node:crypto';
import { OnvifError } from './errors.js';
import { NS, WSSE_BASE64, WSSE_PASSWORD_DIGEST } from './namespaces.js';
import { escapeXml } from './xml.js';

/**
 * PasswordDigest of the WS-Security UsernameToken Profile 1.0 §3.1 as ONVIF Core §5.12 requires it:
 * Base64( SHA-1( nonce bytes ‖ Created (UTF-8) ‖ password (UTF-8) ) ).
 */
export function passwordDigest(nonce: Uint8Array, created: string, password: string): string {
  return createHash('sha1').update(nonce).update(Buffer.from(created, 'utf8')).update(Buffer.from(password, 'utf8')).digest('base64');
}

/** `xs:dateTime` in UTC with whole seconds (`2010-09-16T07:50:45Z`): several cameras refuse fractional seconds. */
export function formatCreated(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new OnvifError('INVALID_ARGUMENT', 'invalid Created time');
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface UsernameTokenInput {
  username: string;
  password: string;
  /** The device's idea of now (our clock plus the measured offset). */
  created: Date;
  /** 16 random bytes unless given (tests). */
  nonce?: Uint8Array;
}

/**
 * The `<wsse:Security>` header with a UsernameToken carrying a PasswordDigest, a Base64 Nonce and wsu:Created
 * (ONVIF Core §5.12.2). `mustUnderstand` is set as the ONVIF examples do.
 */
export function usernameToken(t: UsernameTokenInput): string {
  const nonce = t.nonce ?? randomBytes(16);
  const created = formatCreated(t.created);
  const digest = passwordDigest(nonce, created, t.password);
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    '<wsse:UsernameToken>' +
    `<wsse:Username>${escapeXml(t.username)}</wsse:Username>` +
    `<wsse:Password Type="${WSSE_PASSWORD_DIGEST}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${WSSE_BASE64}">${Buffer.from(nonce).toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created>` +
    '</wsse:UsernameToken>' +
    '</wsse:Security>'
  );
}
